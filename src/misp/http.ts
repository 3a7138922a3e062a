// One REST call to MISP: the headers rest.md §0 requires, a timeout on every call, every body read,
// dry-run for writes, the request counter, and errors mapped to the catalogue. The API key goes into
// the Authorization header and nowhere else: it is scrubbed from every error this file raises.

import { readFileSync } from "node:fs";
import { rootCertificates } from "node:tls";
import { Pool, type Dispatcher } from "undici";
import { EnrichdError } from "../errors.js";
import { HttpTimeoutError, httpExchange, type HttpAnswerText } from "../http-exchange.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics/metrics.js";
import { createLabelCache } from "../metrics/labels.js";
import { errorForStatus, errorsText } from "./misp-errors.js";
import { isRecord } from "../json.js";
import type { HttpMethod, RestCall } from "./types.js";
import { parseRetryAfter } from "../retry-delay.js";
import { VERSION } from "../version.js";

export interface MispHttpOptions {
  readonly url: string;
  readonly key: string;
  /** PEM file of a private CA, read once and trusted in addition to the public roots. */
  readonly caFile?: string;
  /** The same PEM already read (wins over `caFile`). */
  readonly ca?: string;
  readonly rejectUnauthorized?: boolean;
  readonly timeoutMs?: number;
  /** When set, writes are recorded and answered as if they succeeded; reads still go out. */
  readonly dryRun?: { record(call: RestCall): void };
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** `X-Request-ID: <prefix>-<n>`, which MISP copies into its audit log (pubsub.md §5). */
  readonly requestIdPrefix?: string;
  /** Tests pass their own; otherwise a keep-alive Agent owned (and closed) by this client. */
  readonly dispatcher?: Dispatcher;
  readonly userAgent?: string;
}

export interface MispRequest {
  readonly method: HttpMethod;
  /** Below the base URL, starting with `/`. */
  readonly path: string;
  /** Metrics label: the route without ids, e.g. `objects/add`. */
  readonly endpoint: string;
  readonly body?: unknown;
  /** Changes data: dry-run records it instead of sending it (restSearch is a POST that only reads). */
  readonly write?: boolean;
  /** Names the outcome of a non-2xx answer the caller handles itself (a duplicate uuid → "exists"). */
  readonly tolerate?: (status: number, body: unknown) => string | undefined;
  /**
   * The caller does not read a 2xx answer's body (`body` is then undefined): its bytes are checked for
   * the shape of JSON and for a legacy `saved` flag, but neither decoded nor parsed. An objects/add
   * answer echoes the whole object (~2.7 KB): parsing it was the largest cost of the write after the
   * exchange itself.
   */
  readonly unreadBody?: boolean;
}

export interface MispAnswer {
  readonly status: number;
  readonly body: unknown;
  /** "ok", "dry_run", or the label `tolerate` gave. */
  readonly outcome: string;
}

export interface MispHttp {
  readonly baseUrl: string;
  send(req: MispRequest, signal?: AbortSignal): Promise<MispAnswer>;
  close(): Promise<void>;
}

const REQUESTS = "misp_enrichd_misp_requests_total";
const DURATION = "misp_enrichd_misp_request_duration_seconds";

export function createMispHttp(options: MispHttpOptions): MispHttp {
  const baseUrl = options.url.replace(/\/+$/, "");
  const timeoutMs = options.timeoutMs ?? 15_000;
  const key = options.key;
  const prefix = options.requestIdPrefix ?? "misp-enrichd";
  const userAgent = options.userAgent ?? `misp-enrichd/${VERSION}`;
  const owned = options.dispatcher === undefined;
  const ca = options.ca ?? (options.caFile ? readFileSync(options.caFile, "utf8") : undefined);
  const { origin, pathname } = new URL(baseUrl);
  const basePath = pathname.replace(/\/+$/, "");
  // One origin: a Pool for it costs a fifth less CPU per request than an Agent looking it up.
  const dispatcher =
    options.dispatcher ??
    new Pool(origin, {
      keepAliveTimeout: 30_000,
      connect: {
        rejectUnauthorized: options.rejectUnauthorized ?? true,
        ...(ca ? { ca: [...rootCertificates, ca] } : {}),
      },
    });
  let counter = 0;
  const labels = createLabelCache();
  let closing: Promise<void> | undefined;

  /** The key must never travel in a message or a log line, whatever MISP or undici put there. */
  function scrub<E extends Error>(error: E): E {
    if (key.length === 0) return error;
    const clean = (s: string): string => s.split(key).join("[redacted]");
    error.message = clean(error.message);
    if (error instanceof EnrichdError) {
      for (const [k, v] of Object.entries(error.details)) {
        if (typeof v === "string") error.details[k] = clean(v);
        else if (v !== null && typeof v === "object" && JSON.stringify(v).includes(key)) error.details[k] = clean(JSON.stringify(v));
      }
    }
    return error;
  }

  function count(endpoint: string, outcome: string): void {
    options.metrics.inc(REQUESTS, labels({ endpoint, outcome }));
  }

  const endpointLabels = new Map<string, Readonly<{ endpoint: string }>>();
  function observe(endpoint: string, started: number): void {
    let labels = endpointLabels.get(endpoint);
    if (!labels) endpointLabels.set(endpoint, (labels = Object.freeze({ endpoint })));
    options.metrics.observe(DURATION, (performance.now() - started) / 1000, labels);
  }

  async function send(req: MispRequest, signal?: AbortSignal): Promise<MispAnswer> {
    if (req.write && options.dryRun) {
      const call: RestCall = req.body === undefined ? { method: req.method, path: req.path } : { method: req.method, path: req.path, body: req.body };
      options.dryRun.record(call);
      options.logger.info({ method: req.method, path: req.path, body: req.body }, "would call");
      count(req.endpoint, "dry_run");
      return { status: 200, body: undefined, outcome: "dry_run" };
    }
    signal?.throwIfAborted();
    const requestId = `${prefix}-${++counter}`;
    const headers: Record<string, string> = {
      authorization: key,
      accept: "application/json",
      "user-agent": userAgent,
      "x-request-id": requestId,
    };
    if (req.body !== undefined) headers["content-type"] = "application/json";
    const started = performance.now();
    let status: number;
    let answer: HttpAnswerText;
    let location: string | undefined;
    let retryAfterMs: number | undefined;
    try {
      const res = await httpExchange(dispatcher, {
        origin,
        path: `${basePath}${req.path}`,
        method: req.method,
        headers,
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
        timeoutMs,
        signal,
      });
      status = res.status;
      const loc = res.headers.location;
      location = Array.isArray(loc) ? loc[0] : loc;
      retryAfterMs = parseRetryAfter(res.headers["retry-after"]);
      answer = res;
    } catch (error) {
      if (signal?.aborted) {
        count(req.endpoint, "aborted");
        throw signal.reason ?? error;
      }
      count(req.endpoint, "unavailable");
      const timedOut = error instanceof HttpTimeoutError;
      const reason = timedOut ? `did not answer within ${timeoutMs} ms` : `could not be reached (${error instanceof Error ? error.message : String(error)})`;
      throw scrub(
        new EnrichdError("ENRICHD_MISP_UNAVAILABLE", `MISP ${reason}: ${req.method} ${req.path}`, {
          cause: error,
          details: { method: req.method, path: req.path, timeoutMs, requestId, timedOut },
        }),
      );
    } finally {
      // The exchange's duration, whatever its end (judging the answer below takes microseconds).
      observe(req.endpoint, started);
    }
    const ms = Math.round(performance.now() - started);
    options.logger.debug({ method: req.method, path: req.path, status, ms, requestId }, "misp call");
    // An unread answer is judged on its bytes, never decoded; `"saved"` anywhere in it (as a key, or
    // in a value) takes the full path below, which reads the flag.
    const ok = status >= 200 && status < 300;
    const unread = ok && req.unreadBody === true && answer.bytes.indexOf(SAVED) === -1;
    const body = unread ? (looksLikeJson(answer.bytes) ? undefined : PARSE_FAILED) : parseBody(answer.text);
    if (ok) {
      if (body === PARSE_FAILED) {
        count(req.endpoint, "invalid");
        throw scrub(
          new EnrichdError("ENRICHD_MISP_RESPONSE_INVALID", `MISP answered ${req.method} ${req.path} with something that is not JSON`, {
            details: { method: req.method, path: req.path, status, start: answer.text.slice(0, 80) },
          }),
        );
      }
      // Legacy endpoints answer 200 with {"saved": false, "errors": …} (rest.md §0.4).
      if (isRecord(body) && body.saved === false) {
        count(req.endpoint, "rejected");
        throw scrub(
          new EnrichdError("ENRICHD_MISP_REJECTED", `MISP refused ${req.method} ${req.path}: ${errorsText(body.errors)}`, {
            details: { method: req.method, path: req.path, status, errors: body.errors },
          }),
        );
      }
      count(req.endpoint, "ok");
      return { status, body, outcome: "ok" };
    }
    const parsed = body === PARSE_FAILED ? answer.text : body;
    const tolerated = req.tolerate?.(status, parsed);
    if (tolerated !== undefined) {
      count(req.endpoint, tolerated);
      return { status, body: parsed, outcome: tolerated };
    }
    const error = scrub(errorForStatus(req, status, parsed, { ...(location ? { location } : {}), ...(retryAfterMs === undefined ? {} : { retryAfterMs }) }));
    count(req.endpoint, outcomeOf(error.code));
    throw error;
  }

  return {
    baseUrl,
    send,
    close() {
      closing ??= owned ? dispatcher.close().catch(() => undefined) : Promise.resolve();
      return closing;
    },
  };
}

const PARSE_FAILED = Symbol("not json");

function parseBody(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return PARSE_FAILED;
  }
}

const SAVED = Buffer.from('"saved"');

/** Empty, or starts and ends like a JSON object or array (JSON's white space around it): what an unread answer must look like. */
function looksLikeJson(bytes: Buffer): boolean {
  let first = 0;
  let last = bytes.length - 1;
  while (first <= last && isSpace(bytes[first] as number)) first++;
  while (last >= first && isSpace(bytes[last] as number)) last--;
  if (first > last) return true;
  const open = bytes[first];
  const close = bytes[last];
  return (open === 0x7b && close === 0x7d) || (open === 0x5b && close === 0x5d);
}

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

function outcomeOf(code: string): string {
  switch (code) {
    case "ENRICHD_MISP_UNAVAILABLE":
      return "unavailable";
    case "ENRICHD_MISP_AUTH":
      return "auth";
    case "ENRICHD_MISP_REJECTED":
      return "rejected";
    default:
      return "invalid";
  }
}
