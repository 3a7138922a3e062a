// One HTTP request and its whole answer (its text decoded on first read), through an undici
// dispatcher's handler interface: a time limit on the whole exchange, the caller's signal, and an
// optional cap on the body. The MISP and module clients make two or three of these per enrichment;
// undici's `request()` would add an AsyncResource, a Readable stream for the body and, for the time
// limit, an AbortController per call (about a fifth of what an exchange costs the daemon, measured in
// bench section 5), none of which a whole answer needs. The callers judge the status and map the
// errors.

import type { Dispatcher } from "undici";
import { onAbort } from "./deadline.js";

export interface HttpExchangeOptions {
  readonly origin: string;
  /** Path and query, starting with `/`. */
  readonly path: string;
  readonly method: Dispatcher.HttpMethod;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Time for the whole exchange, from the call to the last byte of the answer. */
  readonly timeoutMs: number;
  /** Aborting it aborts the exchange, which rejects with the signal's reason. */
  readonly signal?: AbortSignal | undefined;
  /** Bodies longer than this reject with HttpAnswerTooLargeError (default: no limit). */
  readonly maxBytes?: number;
}

export interface HttpAnswerText {
  readonly status: number;
  /** Lower-case names; a repeated header is an array. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body as it came. */
  readonly bytes: Buffer;
  /** The body decoded as UTF-8 (a leading byte order mark removed, as undici's `text()` does), on first read. */
  readonly text: string;
}

/**
 * An answer whose text is decoded when first read: a caller that only checks the bytes (a MISP
 * write's answer it never reads, ~3 KB per enrichment) makes no string of them.
 */
class ExchangeAnswer implements HttpAnswerText {
  #text: string | undefined;
  constructor(
    readonly status: number,
    readonly headers: Readonly<Record<string, string | string[] | undefined>>,
    readonly bytes: Buffer,
  ) {}
  get text(): string {
    if (this.#text === undefined) {
      const text = this.bytes.toString("utf8");
      this.#text = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    }
    return this.#text;
  }
}

/** The exchange took longer than `timeoutMs`. */
export class HttpTimeoutError extends Error {
  override readonly name = "TimeoutError";
  constructor(readonly timeoutMs: number) {
    super(`the operation timed out after ${timeoutMs} ms`);
  }
}

/** The answer's body passed `maxBytes`; the connection was dropped. */
export class HttpAnswerTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`the answer is longer than ${maxBytes} bytes`);
  }
}

/**
 * Sends the request and reads the whole answer. Rejects with HttpTimeoutError, HttpAnswerTooLargeError,
 * the signal's reason when it aborts, or undici's error when the connection fails.
 */
export function httpExchange(dispatcher: Dispatcher, options: HttpExchangeOptions): Promise<HttpAnswerText> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  return new Promise<HttpAnswerText>((resolve, reject) => {
    let controller: Dispatcher.DispatchController | undefined;
    let stopReason: unknown;
    let settled = false;
    let status = 0;
    let headers: Record<string, string | string[] | undefined> = {};
    const chunks: Buffer[] = [];
    let bytes = 0;

    function settle(): boolean {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      unwatch?.();
      return true;
    }
    /** Ends the exchange with `reason`: at once, and the request is dropped as soon as undici hands it over. */
    function stop(reason: unknown): void {
      if (!settle()) return;
      stopReason = reason;
      controller?.abort(reason as Error); // undici only hands it back to onResponseError, which finds the exchange settled
      reject(reason);
    }
    const timer = setTimeout(() => stop(new HttpTimeoutError(options.timeoutMs)), options.timeoutMs);
    // Like AbortSignal.timeout: a pending exchange never keeps the process alive by its timer.
    timer.unref();
    const unwatch = signal === undefined ? undefined : onAbort(signal, stop);

    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c;
        // Stopped while undici still held the request (waiting for a connection): drop it now.
        if (settled) c.abort(stopReason as Error);
      },
      onResponseStart(_c, statusCode, responseHeaders) {
        // Called again after a 1xx (103 Early Hints): the last call is the answer.
        status = statusCode;
        headers = responseHeaders;
      },
      onResponseData(_c, chunk) {
        if (settled) return;
        bytes += chunk.length;
        if (bytes > maxBytes) stop(new HttpAnswerTooLargeError(maxBytes));
        else chunks.push(chunk);
      },
      onResponseEnd() {
        if (!settle()) return;
        resolve(new ExchangeAnswer(status, headers, chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, bytes)));
      },
      onResponseError(_c, error) {
        if (settle()) reject(error);
      },
    };
    dispatcher.dispatch({ origin: options.origin, path: options.path, method: options.method, headers: options.headers, body: options.body }, handler);
  });
}
