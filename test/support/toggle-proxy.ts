// A reverse proxy a test can switch between "pass everything to the target" and "answer every
// request with this status": a peer going down and coming back, at the moment the test chooses.

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { onTestFinished } from "vitest";
import { request } from "undici";

export interface ToggleProxy {
  readonly url: string;
  /** Where requests go while passing; set it once the target runs. */
  target: string | undefined;
  /** Every request is answered with `status` until `pass()`. */
  fail(status: number): void;
  pass(): void;
  /** Requests answered with the failure status so far. */
  readonly refused: number;
}

export async function startToggleProxy(): Promise<ToggleProxy> {
  let failing: number | undefined;
  let refused = 0;
  const proxy: ToggleProxy = {
    url: "",
    target: undefined,
    fail(status) {
      failing = status;
    },
    pass() {
      failing = undefined;
    },
    get refused() {
      return refused;
    },
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (failing !== undefined || proxy.target === undefined) {
        refused++;
        res.writeHead(failing ?? 503, { "content-type": "text/html" }).end(`<html><body><h1>${failing ?? 503}</h1></body></html>`);
        return;
      }
      const headers = { ...req.headers };
      delete headers.host;
      delete headers.connection;
      request(`${proxy.target}${req.url ?? "/"}`, { method: req.method as "GET", headers, body: chunks.length ? Buffer.concat(chunks) : null }).then(
        async (answer) => {
          const body = Buffer.from(await answer.body.arrayBuffer());
          res.writeHead(answer.statusCode, { "content-type": String(answer.headers["content-type"] ?? "application/json") }).end(body);
        },
        () => res.writeHead(502).end(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())).then(() => undefined));
  Object.defineProperty(proxy, "url", { value: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  return proxy;
}
