// One HTTP exchange with the misp-modules server: a timeout on every call, the body always read or
// destroyed, and transport failures turned into catalogue errors. The status is judged by the caller.

import type { Dispatcher } from "undici";
import { createDeadline } from "../deadline.js";
import { EnrichdError, errorMessage } from "../errors.js";
import { parseRetryAfter } from "../retry-delay.js";

/** /modules is about 150 kB on a full install; anything near this cap is not a module server. */
export const MAX_ANSWER_BYTES = 32 * 1024 * 1024;

const JSON_ACCEPT = { accept: "application/json" };
const JSON_BODY = { ...JSON_ACCEPT, "content-type": "application/json" };

export interface HttpAnswer {
  readonly status: number;
  readonly text: string;
  /** `Retry-After` in milliseconds, when the answer carried one. */
  readonly retryAfterMs?: number;
  /** The `Server` header, when there was one (`TornadoServer/6.4.1` from a stock misp-modules). */
  readonly server?: string;
}

export interface ExchangeOptions {
  readonly dispatcher: Dispatcher;
  readonly origin: string;
  readonly path: string;
  readonly method: "GET" | "POST";
  readonly body?: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Facts for the error, e.g. `{ module, attributeType, value }`. */
  readonly details: Record<string, unknown>;
}

/**
 * Sends one request and reads the whole answer. Throws ENRICHD_MODULE_TIMEOUT when `timeoutMs`
 * passes or `signal` aborts, ENRICHD_MODULE_UNAVAILABLE when the connection fails.
 */
export async function exchange(options: ExchangeOptions): Promise<HttpAnswer> {
  const deadline = createDeadline(options.timeoutMs, options.signal);
  const { signal } = deadline;
  const what = `${options.method} ${options.path}`;
  try {
    const response = await options.dispatcher.request({
      origin: options.origin,
      path: options.path,
      method: options.method,
      headers: options.body === undefined ? JSON_ACCEPT : JSON_BODY,
      body: options.body,
      signal,
    });
    const text = await readCapped(response.body, response.headers["content-length"], what, options.details);
    const retryAfterMs = parseRetryAfter(response.headers["retry-after"]);
    const server = response.headers.server;
    return {
      status: response.statusCode,
      text,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      ...(typeof server === "string" ? { server } : {}),
    };
  } catch (error) {
    if (error instanceof EnrichdError) throw error;
    if (options.signal?.aborted === true) throw abortedError(what, options.details, options.signal.reason);
    if (deadline.timedOut) {
      throw new EnrichdError("ENRICHD_MODULE_TIMEOUT", `${what} got no answer within ${options.timeoutMs} ms`, {
        cause: error,
        details: { ...options.details, timeoutMs: options.timeoutMs },
      });
    }
    throw new EnrichdError("ENRICHD_MODULE_UNAVAILABLE", `${what} failed: ${errorMessage(error)}`, {
      cause: error,
      details: { ...options.details, errorCode: (error as { code?: unknown }).code },
    });
  } finally {
    deadline.clear();
  }
}

/** The caller gave up (shutdown, or its own deadline): retriable like a timeout. */
export function abortedError(what: string, details: Record<string, unknown>, reason: unknown): EnrichdError {
  return new EnrichdError("ENRICHD_MODULE_TIMEOUT", `${what} was aborted by the caller`, {
    cause: reason,
    details: { ...details, aborted: true },
  });
}

async function readCapped(body: Dispatcher.ResponseData["body"], contentLength: string | string[] | undefined, what: string, details: Record<string, unknown>): Promise<string> {
  // A declared length within the cap (Tornado always declares it) is read in one go; the chunk by
  // chunk count below is for answers that do not say how long they are.
  const declared = typeof contentLength === "string" && /^\d+$/.test(contentLength) ? Number(contentLength) : undefined;
  if (declared !== undefined && declared <= MAX_ANSWER_BYTES) return body.text();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    size += buffer.length;
    if (size > MAX_ANSWER_BYTES) {
      body.destroy();
      throw new EnrichdError("ENRICHD_MODULE_RESPONSE_INVALID", `${what} answered more than ${MAX_ANSWER_BYTES} bytes`, {
        details,
      });
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
