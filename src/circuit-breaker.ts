// A circuit breaker for one peer (MISP, a module server). Closed: calls go through, and
// `failureThreshold` consecutive failures open it. Open: calls fail at once with the retriable
// ENRICHD_CIRCUIT_OPEN (the runner parks the work in the spool instead of burning its retries)
// for `openMs`. Then half-open: up to `halfOpenProbes` calls go through; a success closes it, a
// failure opens it again. Consecutive failures rather than a failure ratio: the daemon's traffic
// runs from a few messages an hour to thousands a minute, a ratio needs a minimum volume to mean
// anything at the low end, and the outages that matter (a peer down, answering 503) fail every
// call, which N in a row detects at any rate; a single success resets the count, so a peer that
// answers some calls stays in use and per-call retries handle the rest. What counts as a failure
// is the caller's verdict (`judge`): a peer that answers "no" (a 4xx) is up; a call the caller
// aborted says nothing about the peer. Every transition is logged once and counted.

import { EnrichdError, errorMessage } from "./errors.js";
import type { Logger } from "./log.js";
import type { Metrics } from "./metrics/metrics.js";

export type BreakerState = "closed" | "open" | "half-open";
/** A failure may say what it was when the outcome is an answer rather than an error (`{ failure: "HTTP 500" }`). */
export type BreakerVerdict = "failure" | "success" | "ignore" | { readonly failure: string };
export type CallOutcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

export interface BreakerSettings {
  /** Consecutive failures that open the breaker. */
  readonly failureThreshold: number;
  /** How long it stays open before letting probes through. */
  readonly openMs: number;
  /** Calls let through at once while half-open. */
  readonly halfOpenProbes: number;
}

export interface CircuitBreakerOptions extends BreakerSettings {
  /** Names the peer in errors, log lines and the `peer` label: "misp", "modules". */
  readonly peer: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly now?: () => number;
  /** Wakes the breaker when the cool-down is over (default: an unref'd timer); returns a cancel function. */
  readonly schedule?: (ms: number, wake: () => void) => () => void;
}

export interface BreakerStatus {
  readonly peer: string;
  readonly state: BreakerState;
  readonly consecutiveFailures: number;
  readonly lastError?: string;
  /** Epoch ms when a probe may go, while open. */
  readonly retryAt?: number;
}

export interface CircuitBreaker {
  readonly peer: string;
  /** The current state; moves open → half-open once the cool-down is over. */
  state(): BreakerState;
  /** Whether a call would be let through now (closed, or half-open with a probe slot free). */
  allows(): boolean;
  status(): BreakerStatus;
  /** Runs `call` when allowed, else throws ENRICHD_CIRCUIT_OPEN; `judge` says what its outcome tells about the peer. */
  run<T>(call: () => Promise<T>, judge: (outcome: CallOutcome<T>) => BreakerVerdict): Promise<T>;
  /** Called with each new state. Returns the function that removes the listener. */
  subscribe(listener: (state: BreakerState) => void): () => void;
  /** Cancels the wake-up timer. */
  close(): void;
}

const STATE_VALUE: Readonly<Record<BreakerState, number>> = { closed: 0, "half-open": 1, open: 2 };

const defaultSchedule = (ms: number, wake: () => void): (() => void) => {
  const timer = setTimeout(wake, ms);
  timer.unref();
  return () => clearTimeout(timer);
};

export function createCircuitBreaker(options: CircuitBreakerOptions): CircuitBreaker {
  const { peer, metrics } = options;
  const now = options.now ?? Date.now;
  const schedule = options.schedule ?? defaultSchedule;
  const log = options.logger.child({ component: "breaker", peer });
  const peerLabels = Object.freeze({ peer });
  const listeners = new Set<(state: BreakerState) => void>();
  let current: BreakerState = "closed";
  let failures = 0;
  let lastError: string | undefined;
  let openedAt = 0;
  let probes = 0;
  // Bumped on every transition: the outcome of a call started in an earlier state is not evidence now.
  let generation = 0;
  let cancelWake: (() => void) | undefined;
  metrics.set("misp_enrichd_breaker_state", 0, peerLabels);

  function moveTo(next: BreakerState, facts: Record<string, unknown> = {}): void {
    if (next === current) return;
    current = next;
    generation++;
    probes = 0;
    metrics.set("misp_enrichd_breaker_state", STATE_VALUE[next], peerLabels);
    metrics.inc("misp_enrichd_breaker_transitions_total", { peer, state: next });
    if (next === "open") {
      openedAt = now();
      cancelWake?.();
      cancelWake = schedule(options.openMs, wake);
      log.warn({ ...facts, consecutiveFailures: failures, lastError, openMs: options.openMs }, `circuit breaker opened: calls to ${peer} fail at once for ${options.openMs} ms, work is parked in the spool`);
    } else if (next === "half-open") {
      log.info({ probes: options.halfOpenProbes }, `circuit breaker half-open: probing ${peer}`);
    } else {
      failures = 0;
      log.info(facts, `circuit breaker closed: ${peer} answers again`);
    }
    for (const listener of listeners) listener(next);
  }

  /** Timers may fire a little before the wall clock says the cool-down is over: then look again. */
  function wake(): void {
    if (state() !== "open") return;
    cancelWake = schedule(Math.max(1, openedAt + options.openMs - now()), wake);
  }

  function state(): BreakerState {
    if (current === "open" && now() - openedAt >= options.openMs) moveTo("half-open");
    return current;
  }

  function allows(): boolean {
    const s = state();
    return s === "closed" || (s === "half-open" && probes < options.halfOpenProbes);
  }

  function refuse(): EnrichdError {
    metrics.inc("misp_enrichd_breaker_rejections_total", peerLabels);
    const retryInMs = current === "open" ? Math.max(0, openedAt + options.openMs - now()) : 0;
    return new EnrichdError(
      "ENRICHD_CIRCUIT_OPEN",
      `the ${peer} circuit breaker is ${current} after ${failures} consecutive failures (last: ${lastError ?? "none"}); not calling ${peer}`,
      { details: { peer, state: current, retryInMs } },
    );
  }

  function record<T>(startedIn: number, probe: boolean, outcome: CallOutcome<T>, verdict: BreakerVerdict): void {
    if (probe) probes = Math.max(0, probes - 1);
    if (startedIn !== generation || verdict === "ignore") return;
    if (verdict === "success") {
      if (current === "half-open") moveTo("closed");
      else failures = 0;
      return;
    }
    failures++;
    lastError = typeof verdict === "object" ? verdict.failure : outcome.ok ? "an answer judged a failure" : errorMessage(outcome.error);
    if (current === "half-open") moveTo("open", { probe: "failed" });
    else if (failures >= options.failureThreshold) moveTo("open");
  }

  return {
    peer,
    state,
    allows,
    status() {
      const s = state();
      return {
        peer,
        state: s,
        consecutiveFailures: failures,
        ...(lastError === undefined ? {} : { lastError }),
        ...(s === "open" ? { retryAt: openedAt + options.openMs } : {}),
      };
    },
    async run<T>(call: () => Promise<T>, judge: (outcome: CallOutcome<T>) => BreakerVerdict): Promise<T> {
      if (!allows()) throw refuse();
      const probe = current === "half-open";
      if (probe) probes++;
      const startedIn = generation;
      let outcome: CallOutcome<T>;
      try {
        outcome = { ok: true, value: await call() };
      } catch (error) {
        outcome = { ok: false, error };
      }
      record(startedIn, probe, outcome, judge(outcome));
      if (!outcome.ok) throw outcome.error;
      return outcome.value;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    close() {
      cancelWake?.();
      cancelWake = undefined;
    },
  };
}
