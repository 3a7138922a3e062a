import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Pool } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { HttpAnswerTooLargeError, HttpTimeoutError, httpExchange } from "../src/http-exchange.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A node:http server on port 0 and a Pool to it; counts the requests it received. */
async function serve(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ pool: Pool; origin: string; received: () => number }> {
  let received = 0;
  const server = createServer((req, res) => {
    received++;
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const pool = new Pool(origin);
  cleanups.push(async () => {
    await pool.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { pool, origin, received: () => received };
}

const GET = { path: "/", method: "GET", headers: {}, timeoutMs: 5_000 } as const;

describe("httpExchange", () => {
  it("sends the method, path, headers and body, and reads status, headers and the whole body as text", async () => {
    const { pool, origin } = await serve((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        res.writeHead(201, { "x-seen": `${req.method} ${req.url} ${req.headers["x-test"]}`, "retry-after": "3" });
        // Several chunks, one of them a multi-byte character split across two writes.
        const bytes = Buffer.from(`{"echo":${JSON.stringify(body)},"word":"né"}`);
        res.write(bytes.subarray(0, bytes.length - 4));
        setTimeout(() => res.end(bytes.subarray(bytes.length - 4)), 10);
      });
    });
    const answer = await httpExchange(pool, { origin, path: "/a/b?c=1", method: "POST", headers: { "x-test": "yes" }, body: "hello", timeoutMs: 5_000 });
    expect(answer.status).toBe(201);
    expect(answer.headers["x-seen"]).toBe("POST /a/b?c=1 yes");
    expect(answer.headers["retry-after"]).toBe("3");
    expect(JSON.parse(answer.text)).toEqual({ echo: "hello", word: "né" });
  });

  it("drops a leading byte order mark, as undici's text() does", async () => {
    const { pool, origin } = await serve((_req, res) => res.end(Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d])));
    expect((await httpExchange(pool, { origin, ...GET })).text).toBe("{}");
  });

  it("waits past a 1xx informational answer for the final one", async () => {
    const { pool, origin } = await serve((_req, res) => {
      res.writeEarlyHints({ link: "</x>; rel=preload" });
      setTimeout(() => res.end("done"), 10);
    });
    const answer = await httpExchange(pool, { origin, ...GET });
    expect([answer.status, answer.text]).toEqual([200, "done"]);
  });

  it("gives up with HttpTimeoutError when the whole exchange takes longer than timeoutMs, the body included", async () => {
    const { pool, origin } = await serve((_req, res) => {
      res.writeHead(200);
      res.write("{");
      // Headers and a first byte at once, the rest never: only a limit on the whole exchange ends it.
    });
    const error = await httpExchange(pool, { origin, ...GET, timeoutMs: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpTimeoutError);
    expect((error as HttpTimeoutError).timeoutMs).toBe(100);
  });

  it("rejects with the signal's reason when the caller aborts, and sends nothing when it already had", async () => {
    const { pool, origin, received } = await serve(() => undefined); // never answers
    const controller = new AbortController();
    const pending = httpExchange(pool, { origin, ...GET, signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort(new Error("shutting down"));
    await expect(pending).rejects.toThrow("shutting down");
    expect(received()).toBe(1);
    await expect(httpExchange(pool, { origin, ...GET, signal: controller.signal })).rejects.toThrow("shutting down");
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(received()).toBe(1);
  });

  it("stops reading past maxBytes with HttpAnswerTooLargeError", async () => {
    const { pool, origin } = await serve((_req, res) => {
      res.write("x".repeat(600));
      res.end("y".repeat(600)); // no content-length: chunked, counted as it comes
    });
    const error = await httpExchange(pool, { origin, ...GET, maxBytes: 1_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpAnswerTooLargeError);
    expect((await httpExchange(pool, { origin, ...GET, maxBytes: 1_200 })).text).toHaveLength(1_200);
  });

  it("rejects with the transport's error when nothing listens", async () => {
    const { origin } = await serve(() => undefined);
    await cleanups.pop()?.(); // the server is gone
    const pool = new Pool(origin);
    cleanups.push(() => pool.destroy());
    const error = await httpExchange(pool, { origin, ...GET }).catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe("ECONNREFUSED");
  });
});
