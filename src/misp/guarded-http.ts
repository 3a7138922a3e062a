// MISP's transport behind its circuit breaker, as a decorator of MispHttp: every REST call passes
// through it. MISP unreachable, timing out, or answering 429/5xx (ENRICHD_MISP_UNAVAILABLE) counts
// against it; any other answer, refusals included, shows MISP is up; a call its caller aborted
// says nothing about MISP.

import type { BreakerVerdict, CallOutcome, CircuitBreaker } from "../circuit-breaker.js";
import { errorCode } from "../errors.js";
import type { MispAnswer, MispHttp } from "./http.js";

export function guardMispHttp(http: MispHttp, breaker: CircuitBreaker): MispHttp {
  return {
    baseUrl: http.baseUrl,
    send: (req, signal) => breaker.run(() => http.send(req, signal), (outcome) => judgeMispCall(outcome, signal)),
    close: () => http.close(),
  };
}

export function judgeMispCall(outcome: CallOutcome<MispAnswer>, signal: AbortSignal | undefined): BreakerVerdict {
  if (signal?.aborted === true) return "ignore";
  if (outcome.ok) return "success";
  return errorCode(outcome.error) === "ENRICHD_MISP_UNAVAILABLE" ? "failure" : "success";
}
