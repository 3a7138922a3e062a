// A misp-modules stand-in for the test suite and `misp-enrichd demo`, faithful to what the real
// server 3.1.0 answers (misp-contract/modules.md §1, §8; module-samples/pypi-3.1.0): JSON labelled
// text/html, module failures as HTTP 200 `{"error"}`, Tornado HTML pages for 404/405/500. It answers
// every request at once: it never holds a connection open.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { STANDIN_DESCRIPTORS } from "./modules-server-catalogue.js";
import { STANDIN_HANDLERS } from "./modules-server-modules.js";
import { listenOnLoopback } from "./listen.js";

export interface ModulesStandinOptions {
  /** 0 (default) picks a free port. */
  readonly port?: number;
  readonly host?: "127.0.0.1";
  /** Keep every `/query` body in `requests` (default true); long runs turn it off and only count. */
  readonly record?: boolean;
  /**
   * Holds every `/query` answer this long (default 0): a module that asks an upstream, with no
   * thread cap, so any number of queries may wait at once (the benchmark's "module farm").
   */
  readonly latencyMs?: number;
}

/** What the next `/query` calls answer instead of running their module. */
export type StandinFailure = "http500" | "timeout-error" | "generic-error";

export interface ModulesStandin {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Every `/query` body that parsed as a JSON object, in arrival order (none with `record: false`). */
  readonly requests: readonly Readonly<Record<string, unknown>>[];
  /** `/query` calls recorded, for one module or all. */
  queryCount(module?: string): number;
  /** The next `count` `/query` calls fail this way (queued after earlier failNext calls). */
  failNext(count: number, kind: StandinFailure): void;
  /** Goes away as a killed server does: every connection cut, the port closed. */
  kill(): Promise<void>;
  /** Listens again on the same port after `kill()`. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export const STANDIN_VERSION = "3.1.0";
const GENERIC_ERROR = { error: "Something went wrong, look in the server logs for details" };
const DEFAULT_TIMEOUT_SECONDS = 300;
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const REASONS: Readonly<Record<number, string>> = { 404: "Not Found", 405: "Method Not Allowed", 500: "Internal Server Error" };

export async function startModulesStandin(options: ModulesStandinOptions = {}): Promise<ModulesStandin> {
  const requests: Readonly<Record<string, unknown>>[] = [];
  const recording = options.record ?? true;
  const counts = new Map<unknown, number>();
  const failures: StandinFailure[] = [];

  const server = createServer((req, res) => {
    handle(req, res).catch(() => send(res, 500, html(500)));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0];
    const routes: Readonly<Record<string, { method: string; answer: () => Promise<unknown> | unknown }>> = {
      "/healthcheck": { method: "GET", answer: () => ({ status: true }) },
      "/version": { method: "GET", answer: () => ({ version: STANDIN_VERSION }) },
      "/modules": { method: "GET", answer: () => STANDIN_DESCRIPTORS },
      "/query": { method: "POST", answer: () => query(req) },
    };
    const route = path === undefined ? undefined : routes[path];
    if (route === undefined || req.method !== route.method) {
      await drain(req);
      const status = route === undefined ? 404 : 405;
      send(res, status, html(status));
      return;
    }
    const answer = await route.answer();
    if (path === "/query" && (options.latencyMs ?? 0) > 0) await new Promise((resolve) => setTimeout(resolve, options.latencyMs));
    if (answer === HTTP_500) return send(res, 500, html(500));
    send(res, 200, JSON.stringify(answer));
  }

  async function query(req: IncomingMessage): Promise<unknown> {
    const text = await readBody(req);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return HTTP_500; // orjson.loads raised
    }
    // A JSON array or string has no .get(): Tornado answers 500.
    if (typeof body !== "object" || body === null || Array.isArray(body)) return HTTP_500;
    const request = body as Record<string, unknown>;
    if (recording) requests.push(request);
    counts.set(request.module, (counts.get(request.module) ?? 0) + 1);
    const timeout = timeoutSeconds(request.timeout);
    if (timeout === undefined) return HTTP_500; // int("abc") raised
    const failure = failures.shift();
    if (failure === "http500") return HTTP_500;
    if (failure === "timeout-error" || timeout <= 0) return { error: "Timeout." };
    if (failure === "generic-error") return GENERIC_ERROR;
    const handler = typeof request.module === "string" ? STANDIN_HANDLERS[request.module] : undefined;
    if (handler === undefined) return GENERIC_ERROR; // unknown, missing or null module
    try {
      return handler(request);
    } catch {
      return GENERIC_ERROR; // an exception inside the module
    }
  }

  const listening = await listenOnLoopback(server, options.port, options.host);

  return {
    url: listening.url,
    get requests() {
      return requests;
    },
    queryCount(module) {
      if (module !== undefined) return counts.get(module) ?? 0;
      let total = 0;
      for (const n of counts.values()) total += n;
      return total;
    },
    failNext(count, kind) {
      if (!Number.isInteger(count) || count < 0) throw new RangeError(`failNext count must be a whole number, got ${count}`);
      for (let i = 0; i < count; i += 1) failures.push(kind);
    },
    async kill() {
      if (!server.listening) return;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
    restart: () => relisten(server, listening.port),
    close: listening.close,
  };
}

const HTTP_500 = Symbol("HTTP 500");

function relisten(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (server.listening) return resolve();
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
}

/** The server's `int(body.get("timeout", 300))`: numbers truncate, digit strings parse, the rest raise. */
function timeoutSeconds(value: unknown): number | undefined {
  if (value === undefined) return DEFAULT_TIMEOUT_SECONDS;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "number" && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === "string" && /^\s*[+-]?\d+\s*$/.test(value)) return Number.parseInt(value, 10);
  return undefined;
}

function html(status: number): string {
  const title = `${status}: ${REASONS[status] ?? "Error"}`;
  return `<html><title>${title}</title><body>${title}</body></html>`;
}

/** Tornado writes bytes, so every answer says text/html whatever it holds. */
function send(res: ServerResponse, status: number, body: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const bytes = Buffer.from(body, "utf8");
  res.writeHead(status, {
    "Content-Type": "text/html; charset=UTF-8",
    "Content-Length": bytes.length,
    Server: "TornadoServer/6.6.1",
  });
  res.end(bytes);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error("request body too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

async function drain(req: IncomingMessage): Promise<void> {
  for await (const _ of req) {
    // discard: the body must be read before the keep-alive connection can be reused
  }
}
