// The module server's transport behind its circuit breaker: a decorator of `exchange`, one per
// server, so the client guards each server the same way however many it talks to. A connection
// failure, a timeout, a 5xx or a 429 counts against the server; any other answer shows it is up; a
// call its caller aborted (shutdown, a handler's deadline) says nothing about it.

import type { BreakerVerdict, CallOutcome, CircuitBreaker } from "../circuit-breaker.js";
import { errorCode } from "../errors.js";
import type { ExchangeOptions, HttpAnswer } from "./transport.js";

export type Exchange = (options: ExchangeOptions) => Promise<HttpAnswer>;

export function guardExchange(exchange: Exchange, breaker: CircuitBreaker): Exchange {
  return (options) => breaker.run(() => exchange(options), (outcome) => judgeModuleCall(outcome, options.signal));
}

export function judgeModuleCall(outcome: CallOutcome<HttpAnswer>, signal: AbortSignal | undefined): BreakerVerdict {
  if (signal?.aborted === true) return "ignore";
  if (outcome.ok) return outcome.value.status >= 500 || outcome.value.status === 429 ? { failure: `the module server answered HTTP ${outcome.value.status}` } : "success";
  const code = errorCode(outcome.error);
  return code === "ENRICHD_MODULE_UNAVAILABLE" || code === "ENRICHD_MODULE_TIMEOUT" ? "failure" : "success";
}
