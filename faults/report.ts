// One row per scenario: messages sent / effects expected / written / lost / duplicated / time to
// recover, and the figures that say how the daemon got there; printed as a plain-text table.

import type { Settled } from "./settle.js";

export interface ScenarioRow {
  /** "1", "3a"… as in the README. */
  readonly id: string;
  readonly title: string;
  readonly transport: "zmq" | "kafka";
  readonly sent: number;
  readonly expected: number;
  readonly written: number;
  readonly lost: number;
  readonly duplicated: number;
  /** From the fault's end until every message sent before it ended had its effect (Settled.recoverMs). */
  readonly recoverMs: number | undefined;
  /** How the daemon coped: retries, spool, backfill, breaker, RSS… */
  readonly notes: readonly string[];
  /** Why an effect is missing or doubled, and where the daemon's logs are. */
  readonly problems: readonly string[];
}

export interface RowInput {
  readonly id: string;
  readonly title: string;
  readonly transport: "zmq" | "kafka";
  readonly sent: number;
  readonly settled: Settled;
  readonly notes: readonly string[];
  /** The daemons' log files, named in the problems when something was lost or doubled. */
  readonly logFiles: readonly string[];
  /** A promise of the scenario's own that did not hold (e.g. a fuzzed frame no counter saw). */
  readonly broken?: readonly string[];
}

export function scenarioRow(input: RowInput): ScenarioRow {
  const { counts, recoverMs, complete } = input.settled;
  const problems: string[] = [];
  if (counts.lost > 0) {
    problems.push(`${counts.lost} effect(s) missing${complete ? "" : " when the time allowed ran out"}, e.g. the attributes ${counts.lostSample.join(", ")}`);
  }
  if (counts.duplicated > 0) problems.push(`duplicated: ${counts.duplicateDetail}`);
  problems.push(...(input.broken ?? []));
  if (problems.length > 0) problems.push(`daemon logs: ${input.logFiles.join(", ")}`);
  return {
    id: input.id,
    title: input.title,
    transport: input.transport,
    sent: input.sent,
    expected: counts.expected,
    written: counts.written,
    lost: counts.lost,
    duplicated: counts.duplicated,
    recoverMs,
    notes: input.notes,
    problems,
  };
}

const HEAD = ["#", "scenario", "bus", "sent", "expected", "written", "lost", "duplicated", "recovery s"] as const;

export function formatTable(rows: readonly ScenarioRow[]): string {
  const cells = rows.map((r) => [
    r.id,
    r.title,
    r.transport === "zmq" ? "ZeroMQ" : "Kafka",
    r.sent.toLocaleString("en-US"),
    r.expected.toLocaleString("en-US"),
    r.written.toLocaleString("en-US"),
    String(r.lost),
    String(r.duplicated),
    r.recoverMs === undefined ? "-" : (r.recoverMs / 1000).toFixed(1),
  ]);
  const widths = HEAD.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const numeric = new Set([3, 4, 5, 6, 7, 8]);
  const line = (c: readonly string[]): string =>
    c.map((v, i) => (numeric.has(i) ? v.padStart(widths[i] as number) : v.padEnd(widths[i] as number))).join("  ").trimEnd();
  const out = [line(HEAD), widths.map((w) => "-".repeat(w)).join("  "), ...cells.map(line)];
  const details = rows.flatMap((r) => [`${r.id}. ${r.notes.join("; ")}`, ...r.problems.map((p) => `${r.id}. PROBLEM: ${p}`)]);
  return [...out, "", ...details].join("\n");
}
