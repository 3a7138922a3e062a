// What the daemon did about a fault, read from what it shows an operator: its log lines (which
// survive a kill -9, unlike its metrics), its state folder, and its /metrics. Each reader tolerates
// absence: a figure the running version does not expose reads 0 or "n/a", never an error, so the
// suite runs on any version of the daemon.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { levelOf, type DaemonProcess } from "./daemon-process.js";
import { metricsMatching, type MetricSample } from "./metrics-text.js";

/** Log messages of the daemon (src/subscriber/runner.ts, src/bus/backfill.ts, src/pipeline/). */
const MSG = {
  retry: "handler failed, will retry",
  spooled: "handler failed; work kept in the spool for a later retry",
  spoolFailed: "handler failed and the spool could not keep it",
  permanent: "handler failed permanently",
  deadLetterFailed: "dead-letter file write failed",
  backfillDone: "backfill done",
  redriven: "spool re-driven",
} as const;

export interface LogFigures {
  readonly retries: number;
  readonly spooled: number;
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
    retries: total((d) => d.count(MSG.retry)),
    spooled: total((d) => d.count(MSG.spooled)),
    redriven: total((d) => d.sum(MSG.redriven, "cleared")),
    backfilled: total((d) => d.sum(MSG.backfillDone, "fed")),
    permanentFailures: total((d) => d.count(MSG.permanent)),
    spoolRefused: total((d) => d.count(MSG.spoolFailed)),
    unkept: total((d) => d.count(MSG.deadLetterFailed)),
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

/** Dead letters: lines of `<state>/dead-letter.jsonl`, or files in a `<state>/dead-letter/` folder. */
export function deadLetterCount(stateDir: string): number {
  const file = join(stateDir, "dead-letter.jsonl");
  try {
    if (statSync(file).isFile()) return readFileSync(file, "utf8").split("\n").filter(Boolean).length;
  } catch {
    // no file: look for a folder
  }
  try {
    return readdirSync(join(stateDir, "dead-letter")).filter((name) => name.endsWith(".json")).length;
  } catch {
    return 0;
  }
}

/** Breaker states as the daemon's metrics show them (`name{labels}=value` each), or undefined when it has none. */
export function breakerStates(samples: readonly MetricSample[]): string | undefined {
  const found = metricsMatching(samples, BREAKER);
  if (found.length === 0) return undefined;
  return found.map((s) => `${s.name}{${Object.values(s.labels).join(",")}}=${s.value}`).join(" ");
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
