// When to try again, for every retry loop of the daemon (handler retries, the Kafka supervisor):
// exponential from `initialMs`, capped at `maxMs`, with "equal jitter" (half fixed, half random) so
// that the retries after one outage do not all arrive together. A server that said when to come back
// (`Retry-After` on a 429 or 503) is waited for at least that long, within the same cap.

import { isEnrichdError } from "./errors.js";

export interface RetryDelayOptions {
  readonly initialMs: number;
  readonly maxMs: number;
}

/** Retry-After values beyond a day are nonsense; keeping them finite keeps them loggable. */
const RETRY_AFTER_LIMIT_MS = 86_400_000;

/**
 * The delay before retry number `attempt` (1 for the first retry). `retryAfterMs` (what the server
 * asked for) raises it, never past `maxMs`.
 */
export function retryDelayMs(attempt: number, options: RetryDelayOptions, hints: { retryAfterMs?: number; random?: () => number } = {}): number {
  const base = Math.min(options.maxMs, options.initialMs * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.round(base / 2 + (hints.random ?? Math.random)() * (base / 2));
  return Math.min(options.maxMs, Math.max(jittered, hints.retryAfterMs ?? 0));
}

/**
 * An HTTP `Retry-After` value in milliseconds from `nowMs`: delay-seconds or an HTTP-date (RFC 9110
 * §10.2.3). A date in the past is 0; anything unreadable is undefined.
 */
export function parseRetryAfter(value: string | readonly string[] | undefined, nowMs: number = Date.now()): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (text === undefined || text === "") return undefined;
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, RETRY_AFTER_LIMIT_MS);
  // Every HTTP-date form names its month; Date.parse alone would take "-5" for a year.
  const at = /[A-Za-z]{3}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - nowMs), RETRY_AFTER_LIMIT_MS);
}

/** What the server asked for, as the MISP and module clients record it in `details.retryAfterMs`. */
export function retryAfterOf(error: unknown): number | undefined {
  if (!isEnrichdError(error)) return undefined;
  const ms = error.details.retryAfterMs;
  return typeof ms === "number" && Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}
