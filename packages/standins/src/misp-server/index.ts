// A MISP stand-in for the test suite and the demo: a node:http server on 127.0.0.1 that answers the
// REST calls the daemon makes exactly as MISP 2.5.1 does (misp-contract/rest.md) and, after each
// write, publishes what MISP would publish on its bus (pubsub.md §4, §6). Rules live in rules.ts.

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { StandinConfig } from "./context.js";
import { dispatch, injectedFailure } from "./dispatch.js";
import { createEchoQueue, type EchoMessage } from "./echo.js";
import { createFaultGate, type MispFaults } from "./faults.js";
import type { Reply } from "./responses.js";
import type { StandinRole, StandinUser } from "./rules.js";
import { seedAttribute, seedEvent, type SeedAttributeOptions, type SeededAttribute, type SeededEvent, type SeedEventOptions } from "./seed.js";
import { createStore, type StandinState } from "./store.js";

export type { StandinState } from "./store.js";
export type { EchoMessage } from "./echo.js";
export type { MispFaults, OutageStatus } from "./faults.js";
export type { SeedAttributeOptions, SeededAttribute, SeededEvent, SeedEventOptions } from "./seed.js";
export { TEMPLATES } from "./templates.js";

export interface MispStandinOptions {
  readonly key: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** MISP.host_org_id. Default 1. */
  readonly hostOrgId?: number;
  /** The key's organisation; when it is not the host org, local tags are refused. Default: hostOrgId. */
  readonly orgId?: number;
  /** Sharing groups the key may use for distribution 4 (by id). Default none. */
  readonly sharingGroups?: readonly number[];
  /** MISP 2.5.1 refuses 56-character (Tor v3) onion addresses. Default true. */
  readonly rejectV3Onions?: boolean;
  /** Role flags of the key's user; default: an org admin who may add, tag and create tags. */
  readonly role?: Partial<Omit<StandinRole, "id" | "name">> & { readonly name?: string };
  /** Receives what MISP would publish on its bus for each write. */
  readonly publish?: (topic: string, payload: object) => void | Promise<void>;
  /**
   * When a write's bus messages go out. "during" (default): before the HTTP answer, as a real MISP
   * often does (docs/real-misp-observations.md finding 7: frames 70-235 ms after the request, often
   * before the answer is complete). "after": once the answer has been sent, plus `echoDelayMs`.
   */
  readonly echoTiming?: "during" | "after";
  /** With echoTiming "after": the delay before the messages go out. Default 0. */
  readonly echoDelayMs?: number;
  /**
   * Keep every request in `calls` and every bus message in `published` (default true). Runs of
   * hundreds of thousands of writes (the fault suite) turn it off: both lists then stay empty.
   */
  readonly record?: boolean;
}

export interface RecordedCall {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  body: unknown;
  /** 0 while the answer is pending (or never came, see `failNext(n, "hang")`). */
  status: number;
}

export interface MispStandin {
  readonly url: string;
  readonly key: string;
  readonly state: StandinState;
  readonly calls: readonly RecordedCall[];
  /** Every bus message published so far, in order (recorded also when no `publish` was given). */
  readonly published: readonly EchoMessage[];
  seedEvent(options?: SeedEventOptions): SeededEvent;
  seedAttribute(event: string | number, options: SeedAttributeOptions): SeededAttribute;
  /**
   * A REST call made by an analyst (a site admin of the host organisation) rather than the daemon:
   * applied to the state, published on the bus as MISP would, never recorded in `calls`.
   * E.g. `analyst("POST", "/tags/attachTagToObject", { uuid, tag, local: 1 })`.
   */
  analyst(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  /** The next n requests (optionally only those whose path matches) fail with this status, or never answer. */
  failNext(n: number, status: number | "hang", match?: string | RegExp): void;
  /** Outages and slow writes, switched on and off at run time. */
  readonly faults: MispFaults;
  /** Resolves once every bus message of the answers sent so far has been published. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_ROLE: StandinRole = {
  id: 2, name: "Org Admin", permAdd: true, permModify: true, permModifyOrg: true, permTagger: true, permTagEditor: true,
  permSiteAdmin: false, permSync: false, permSighting: true,
};

const MAX_BODY_BYTES = 10 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) req.destroy(new Error("request body too large"));
      else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = { ...reply.headers };
  let payload = "";
  if (typeof reply.body === "string") payload = reply.body;
  else if (reply.body !== undefined) {
    payload = JSON.stringify(reply.body);
    headers["content-type"] ??= "application/json; charset=UTF-8";
  }
  res.writeHead(reply.status, headers);
  res.end(payload);
}

export async function startMispStandin(options: MispStandinOptions): Promise<MispStandin> {
  const store = createStore();
  const hostOrgId = options.hostOrgId ?? 1;
  const user: StandinUser = {
    id: 7,
    email: "enrichd@stand-in.example",
    orgId: options.orgId ?? hostOrgId,
    role: { ...DEFAULT_ROLE, ...options.role },
  };
  const config: StandinConfig = { hostOrgId, rejectV3Onions: options.rejectV3Onions ?? true, user, sharingGroups: options.sharingGroups ?? [] };
  const calls: RecordedCall[] = [];
  const published: EchoMessage[] = [];
  const failures: { status: number | "hang"; match?: string | RegExp }[] = [];
  const gate = createFaultGate();
  const recording = options.record ?? true;
  const echo = createEchoQueue({ publish: options.publish, record: recording ? (m) => published.push(m) : () => undefined });
  const during = (options.echoTiming ?? "during") === "during";
  let baseUrl = "";

  const server = createServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? "/", "http://stand-in").pathname;
      const rawBody = await readBody(req);
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(", ") : v;
      const call: RecordedCall = { method: req.method ?? "GET", path, headers, body: undefined, status: 0 };
      if (recording) calls.push(call);
      const refused = await gate.admit(call.method, path);
      if (refused !== undefined) {
        call.body = rawBody;
        send(res, injectedFailure(refused, path));
        call.status = refused;
        return;
      }
      const failure = failures.findIndex((f) => f.match === undefined || (typeof f.match === "string" ? path.includes(f.match) : f.match.test(path)));
      if (failure >= 0) {
        const { status } = failures.splice(failure, 1)[0] as { status: number | "hang" };
        call.body = rawBody;
        if (status === "hang") return; // answered never; close() cuts the connection
        send(res, injectedFailure(status, path));
        call.status = status;
        return;
      }
      const out = dispatch({ method: call.method, path, headers, rawBody }, store, { ...config, key: options.key, baseUrl });
      call.body = out.body;
      if (during) await echo.schedule(out.echoes, 0);
      else res.once("finish", () => void echo.schedule(out.echoes, options.echoDelayMs ?? 0));
      send(res, out.reply);
      call.status = out.reply.status;
    })().catch((error: unknown) => {
      if (!res.headersSent) send(res, { status: 500, body: { name: "stand-in error", message: String(error), url: req.url ?? "" } });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let closing: Promise<void> | undefined;
  return {
    url: baseUrl,
    key: options.key,
    state: store.state,
    calls,
    published,
    seedEvent: (seed) => seedEvent(store, user, seed),
    seedAttribute: (event, seed) => seedAttribute(store, event, seed),
    async analyst(method, path, body) {
      const headers = { accept: "application/json", authorization: options.key, "content-type": "application/json" };
      const analystUser: StandinUser = { id: 1, email: "analyst@stand-in.example", orgId: hostOrgId, role: { ...DEFAULT_ROLE, name: "admin", permSiteAdmin: true } };
      const out = dispatch({ method, path, headers, rawBody: body === undefined ? "" : JSON.stringify(body) }, store, { ...config, user: analystUser, key: options.key, baseUrl });
      await echo.schedule(out.echoes, 0);
      return { status: out.reply.status, body: out.reply.body };
    },
    failNext(n, status, match) {
      for (let i = 0; i < n; i++) failures.push(match === undefined ? { status } : { status, match });
    },
    faults: { outage: gate.outage, recover: gate.recover, slowWrites: gate.slowWrites },
    settled: () => echo.drain(),
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
        await echo.drain();
      })();
      return closing;
    },
  };
}
