// A chat or case tool for webhook tests: a node:http or node:https server on 127.0.0.1 (port 0)
// that records every request (method, path, headers, body as received) and answers with the
// statuses it is told to, then 200. HTTPS uses the test-only self-signed certificate of
// test/fixtures/misp/tls, whose SAN is 127.0.0.1.

import { readFileSync } from "node:fs";
import { createServer as createHttpServer, type IncomingHttpHeaders, type IncomingMessage, type Server as HttpServer, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { listenOnLoopback } from "@misp-enrichd/standins";
import { fileURLToPath } from "node:url";
import { onTestFinished } from "vitest";

const TLS = new URL("../fixtures/misp/tls/", import.meta.url);
/** The receiver's certificate, to give a rule as `caFile`. */
export const RECEIVER_CA_FILE = fileURLToPath(new URL("cert.pem", TLS));

export interface ReceivedRequest {
  readonly method: string;
  /** Path and query as sent (still percent-encoded). */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface WebhookReceiver {
  /** `http(s)://127.0.0.1:<port>` */
  readonly origin: string;
  readonly requests: ReceivedRequest[];
  /** The next answers, in order: a status, or a status with headers. */
  answer(...statuses: (number | { status: number; headers: Record<string, string> })[]): void;
}

export async function startWebhookReceiver(options: { https?: boolean } = {}): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  const answers: { status: number; headers: Record<string, string> }[] = [];
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (body += c));
    req.on("end", () => {
      requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      const next = answers.shift() ?? { status: 200, headers: {} };
      res.writeHead(next.status, { "content-type": "application/json", ...next.headers }).end(JSON.stringify({ ok: next.status < 300 }));
    });
  };
  const server = options.https
    ? createHttpsServer({ key: readFileSync(new URL("key.pem", TLS)), cert: readFileSync(RECEIVER_CA_FILE) }, handle)
    : createHttpServer(handle);
  // An https.Server listens and closes as its http parent does.
  const listening = await listenOnLoopback(server as unknown as HttpServer);
  onTestFinished(() => listening.close());
  return {
    origin: `${options.https ? "https" : "http"}://127.0.0.1:${listening.port}`,
    requests,
    answer(...statuses) {
      for (const s of statuses) answers.push(typeof s === "number" ? { status: s, headers: {} } : s);
    },
  };
}
