// What every scenario receives and the figures every row reports beside its own.

import type { DaemonProcess } from "../daemon-process.js";
import { logFigures } from "../observe.js";

export interface ScenarioEnv {
  /** Each scenario writes its state folder, configs and daemon logs under `<runDir>/<scenario>/`. */
  readonly runDir: string;
  /** `host:port` of a Kafka broker; the Kafka legs need one. */
  readonly kafkaBrokers: string | undefined;
  /** One line of progress (stderr). */
  readonly progress: (text: string) => void;
}

/** Retries, spool, backfill, breaker and failures, as the daemons logged them (zeros left out). */
export function daemonNotes(daemons: readonly DaemonProcess[]): string[] {
  const f = logFigures(daemons);
  const notes = [
    `retries ${f.retries}`,
    `spooled ${f.spooled}`,
    f.parked > 0 ? `parked by an open breaker ${f.parked}` : "",
    f.redriven > 0 ? `re-driven from the spool ${f.redriven}` : "",
    f.backfilled > 0 ? `fed by the backfill ${f.backfilled}` : "",
    f.breakerChanges > 0 ? `breaker log lines ${f.breakerChanges}` : "",
    f.permanentFailures > 0 ? `permanent failures ${f.permanentFailures}` : "",
    f.spoolRefused > 0 ? `spool refused ${f.spoolRefused}` : "",
    f.unkept > 0 ? `kept nowhere ${f.unkept}` : "",
    f.errors > 0 ? `error lines ${f.errors}` : "",
  ];
  return notes.filter(Boolean);
}

export const mib = (bytes: number): string => `${Math.round(bytes / 2 ** 20)} MiB`;
