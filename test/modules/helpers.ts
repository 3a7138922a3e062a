// Shared by the test/modules suites: fixtures, attributes, and tiny node:http servers that each
// test owns and closes.

import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { onTestFinished } from "vitest";
import type { Attribute } from "../../src/decode/types.js";
import { EnrichdError } from "../../src/errors.js";
import { createLogger, type Logger } from "../../src/log.js";
import { createMetrics, type Metrics } from "../../src/metrics/metrics.js";
import { createModulesClient, type ModulesClientOptions } from "../../src/modules/client.js";
import type { ModulesClient } from "../../src/modules/types.js";

const FIXTURES = new URL("../fixtures/modules/", import.meta.url);

export function fixture(path: string): unknown {
  return JSON.parse(readFileSync(new URL(path, FIXTURES), "utf8")) as unknown;
}

export function fixtureText(path: string): string {
  return readFileSync(new URL(path, FIXTURES), "utf8");
}

export function silentLogger(): Logger {
  return createLogger({ level: "silent" });
}

export function makeAttribute(overrides: Partial<Attribute> = {}): Attribute {
  return {
    id: 42,
    uuid: "5a0c4f1e-2b3d-4c5e-8f90-1a2b3c4d5e6f",
    eventId: 7,
    objectId: 0,
    objectRelation: null,
    category: "Network activity",
    type: "ip-dst",
    value: "8.8.8.8",
    toIds: false,
    timestamp: 1_700_000_000,
    distribution: 5,
    sharingGroupId: 0,
    comment: "",
    deleted: false,
    disableCorrelation: false,
    firstSeen: null,
    lastSeen: null,
    tags: [],
    ...overrides,
  };
}

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: string;
}

export interface AdhocServer {
  readonly url: string;
  readonly received: readonly ReceivedRequest[];
  close(): Promise<void>;
}

export type AdhocHandler = (request: ReceivedRequest, res: ServerResponse) => void;

/** A node:http server on 127.0.0.1:0 that reads each body, then lets `handler` answer; closed when the test ends. */
export async function startAdhocServer(handler: AdhocHandler): Promise<AdhocServer> {
  const received: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const request = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      received.push(request);
      handler(request, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }));
  onTestFinished(close);
  return { url: `http://127.0.0.1:${port}`, received, close };
}

/** Answers like Tornado: JSON bytes labelled text/html. */
export function answerTornado(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "Content-Type": "text/html; charset=UTF-8", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

/** A /modules list with one module of each format, for ad-hoc servers. */
export const ADHOC_MODULES = [
  {
    name: "mmdb_lookup",
    type: "expansion",
    mispattributes: { input: ["ip-src", "ip-dst"], format: "misp_standard" },
    meta: { description: "geo", "module-type": ["expansion", "hover"], config: ["custom_API", "db_source_filter", "max_country_info_qt"] },
  },
  {
    name: "dns",
    type: "expansion",
    mispattributes: { input: ["hostname", "domain"], output: ["ip-src", "ip-dst"] },
    meta: { description: "dns", "module-type": ["expansion"], config: ["nameserver"] },
  },
];

/** An ad-hoc module server: GET /modules from ADHOC_MODULES, POST /query answered by `query`. */
export function startModuleServer(query: AdhocHandler): Promise<AdhocServer> {
  return startAdhocServer((request, res) => {
    if (request.method === "GET" && request.path === "/modules") return answerTornado(res, 200, JSON.stringify(ADHOC_MODULES));
    if (request.method === "POST" && request.path === "/query") return query(request, res);
    answerTornado(res, 404, "<html><title>404: Not Found</title><body>404: Not Found</body></html>");
  });
}

/** A client with a silent logger and fresh metrics, closed when the test ends. */
export function makeClient(url: string, overrides: Partial<ModulesClientOptions> = {}): { client: ModulesClient; metrics: Metrics } {
  const metrics = createMetrics();
  const client = createModulesClient({ url, logger: silentLogger(), metrics, ...overrides });
  onTestFinished(() => client.close());
  return { client, metrics };
}

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<EnrichdError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof EnrichdError) return error;
    throw error;
  }
  throw new Error("expected the promise to reject");
}
