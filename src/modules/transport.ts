// One HTTP exchange with the misp-modules server (http-exchange.ts: a timeout on every call, the body
// read whole or the connection dropped), transport failures turned into catalogue errors. The status
// is judged by the caller.

import type { Dispatcher } from "undici";
import { EnrichdError, errorMessage } from "../errors.js";
import { HttpAnswerTooLargeError, HttpTimeoutError, httpExchange } from "../http-exchange.js";
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
 * passes or `signal` aborts, ENRICHD_MODULE_UNAVAILABLE when the connection fails,
 * ENRICHD_MODULE_RESPONSE_INVALID when the answer passes MAX_ANSWER_BYTES.
 */
export async function exchange(options: ExchangeOptions): Promise<HttpAnswer> {
  const what = `${options.method} ${options.path}`;
  try {
    const answer = await httpExchange(options.dispatcher, {
      origin: options.origin,
      path: options.path,
      method: options.method,
      headers: options.body === undefined ? JSON_ACCEPT : JSON_BODY,
      body: options.body,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      maxBytes: MAX_ANSWER_BYTES,
    });
    const retryAfterMs = parseRetryAfter(answer.headers["retry-after"]);
    const server = answer.headers.server;
    return {
      status: answer.status,
      text: answer.text,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      ...(typeof server === "string" ? { server } : {}),
    };
  } catch (error) {
    if (options.signal?.aborted === true) throw abortedError(what, options.details, options.signal.reason);
    if (error instanceof HttpAnswerTooLargeError) {
      throw new EnrichdError("ENRICHD_MODULE_RESPONSE_INVALID", `${what} answered more than ${MAX_ANSWER_BYTES} bytes`, { details: options.details });
    }
    if (error instanceof HttpTimeoutError) {
      throw new EnrichdError("ENRICHD_MODULE_TIMEOUT", `${what} got no answer within ${options.timeoutMs} ms`, {
        cause: error,
        details: { ...options.details, timeoutMs: options.timeoutMs },
      });
    }
    throw new EnrichdError("ENRICHD_MODULE_UNAVAILABLE", `${what} failed: ${errorMessage(error)}`, {
      cause: error,
      details: { ...options.details, errorCode: (error as { code?: unknown }).code },
    });
  }
}

/** The caller gave up (shutdown, or its own deadline): retriable like a timeout. */
export function abortedError(what: string, details: Record<string, unknown>, reason: unknown): EnrichdError {
  return new EnrichdError("ENRICHD_MODULE_TIMEOUT", `${what} was aborted by the caller`, {
    cause: reason,
    details: { ...details, aborted: true },
  });
}
