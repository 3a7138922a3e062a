// What the daemon did about a fault, read from what it shows an operator: its log lines (which
// survive a kill -9, unlike its metrics), its state folder, and its /metrics. Each reader tolerates
// absence: a figure the running version does not expose reads 0 or "n/a", never an error, so the
// suite runs on any version of the daemon.

import { readdirSync } from "node:fs";
import { join } from "node:path";
import { levelOf, type DaemonProcess } from "./daemon-process.js";
import { metricsMatching, type MetricSample } from "./metrics-text.js";

/**
 * Log messages of the daemon (src/subscriber/, src/bus/backfill.ts, src/pipeline/), each with the
 * wordings of earlier versions, so that the suite reads both.
 */
const MSG = {
  retry: ["handler failed, will retry"],
  spooled: ["handler failed; work kept in the spool for a later retry"],
  parked: ["peer's circuit breaker open: work parked in the spool"],
  spoolFailed: ["handler failed and the spool could not keep it; kept as a dead letter", "handler failed and the spool could not keep it"],
  permanent: ["handler failed permanently"],
  deadLetterFailed: ["dead letter could not be written; the work is only in this log line", "dead-letter file write failed"],
  backfillDone: "backfill done",
  redriven: "spool re-driven",
} as const;

const countOf = (daemon: DaemonProcess, messages: readonly string[]): number => messages.reduce((sum, msg) => sum + daemon.count(msg), 0);

export interface LogFigures {
  readonly retries: number;
  readonly spooled: number;
  /** Work parked in the spool at once because a peer's circuit breaker was open. */
  readonly parked: number;
  readonly redriven: number;
  readonly backfilled: number;
  readonly permanentFailures: number;
  /** Failed work the spool could not keep (it then goes to the dead letters). */
  readonly spoolRefused: number;
  /** Failed work nothing kept: the dead-letter file refused it too. */
  readonly unkept: number;
  /** Lines at error level. */
  readonly errors: number;
  /** Lines that report a circuit breaker changing state (any message naming a breaker or circuit). */
  readonly breakerChanges: number;
}

const BREAKER = /breaker|circuit/i;

/** Summed over every daemon process of a scenario (each restart is a new process). */
export function logFigures(daemons: readonly DaemonProcess[]): LogFigures {
  const total = (f: (d: DaemonProcess) => number): number => daemons.reduce((sum, d) => sum + f(d), 0);
  return {
    retries: total((d) => countOf(d, MSG.retry)),
    spooled: total((d) => countOf(d, MSG.spooled)),
    parked: total((d) => countOf(d, MSG.parked)),
    redriven: total((d) => d.sum(MSG.redriven, "cleared")),
    backfilled: total((d) => d.sum(MSG.backfillDone, "fed")),
    permanentFailures: total((d) => countOf(d, MSG.permanent)),
    spoolRefused: total((d) => countOf(d, MSG.spoolFailed)),
    unkept: total((d) => countOf(d, MSG.deadLetterFailed)),
    errors: total((d) => d.notable().filter((line) => levelOf(line) >= 50).length),
    breakerChanges: total((d) => [...d.counts()].filter(([msg]) => BREAKER.test(msg)).reduce((sum, [, n]) => sum + n, 0)),
  };
}

/** Entries waiting in `<state>/spool/` (one file each); 0 when the folder is missing. */
export function spoolDepth(stateDir: string): number {
  try {
    return readdirSync(join(stateDir, "spool")).filter((name) => name.endsWith(".json")).length;
  } catch {
    return 0;
  }
}

/** The breaker gauge's values (src/circuit-breaker.ts). */
const BREAKER_STATES: Readonly<Record<number, string>> = { 0: "closed", 1: "half-open", 2: "open" };

/**
 * Circuit breakers as the daemon's metrics show them, per peer: the state now, the transitions so far,
 * the calls refused; undefined when the daemon exports no breaker metric.
 */
export function breakerStates(samples: readonly MetricSample[]): string | undefined {
  const found = metricsMatching(samples, BREAKER);
  if (found.length === 0) return undefined;
  const peers = [...new Set(found.map((s) => s.labels.peer ?? "?"))].sort();
  return peers
    .map((peer) => {
      const of = (name: string): MetricSample[] => found.filter((s) => s.name === name && (s.labels.peer ?? "?") === peer);
      const state = of("misp_enrichd_breaker_state")[0]?.value;
      const transitions = of("misp_enrichd_breaker_transitions_total")
        .filter((s) => s.value > 0)
        .map((s) => `${s.labels.state ?? "?"} ${s.value}×`);
      const refused = of("misp_enrichd_breaker_rejections_total").reduce((sum, s) => sum + s.value, 0);
      return `${peer} ${state === undefined ? "?" : (BREAKER_STATES[state] ?? state)}${transitions.length > 0 ? ` (${transitions.join(", ")})` : ""}${refused > 0 ? `, ${refused} calls refused` : ""}`;
    })
    .join("; ");
}

/** Calls a function every `intervalMs` and keeps the highest number it returned. */
export interface PeakSampler {
  readonly peak: number;
  readonly samples: number;
  stop(): void;
}

export function samplePeak(intervalMs: number, read: () => number | undefined): PeakSampler {
  let peak = 0;
  let samples = 0;
  const take = (): void => {
    const value = read();
    if (value === undefined) return;
    samples++;
    if (value > peak) peak = value;
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    get peak() {
      return peak;
    },
    get samples() {
      return samples;
    },
    stop: () => clearInterval(timer),
  };
}
