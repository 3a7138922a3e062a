// What a replay did, read back from the daemon's own counters: the same numbers `/metrics` shows,
// so a replay and a live daemon are described alike.

import type { Metrics } from "../metrics/metrics.js";
import type { RestCall } from "../misp/types.js";
import type { ReplayStats } from "../bus/replay.js";

/** Label sets and values of one metric, parsed back from the snapshot's `name{k="v",...}` keys. */
export function series(metrics: Metrics, name: string): { labels: Record<string, string>; value: number }[] {
  const out: { labels: Record<string, string>; value: number }[] = [];
  for (const [key, value] of Object.entries(metrics.snapshot())) {
    if (key !== name && !key.startsWith(`${name}{`)) continue;
    const labels: Record<string, string> = {};
    for (const m of key.slice(name.length).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[m[1] as string] = (m[2] as string).replace(/\\(.)/g, "$1");
    out.push({ labels, value });
  }
  return out;
}

function sum(metrics: Metrics, name: string, where: Record<string, string> = {}): number {
  return series(metrics, name)
    .filter((s) => Object.entries(where).every(([k, v]) => s.labels[k] === v))
    .reduce((total, s) => total + s.value, 0);
}

/** "3 (geolocation 2, onion-lookup 1)" for a label's breakdown, by name. */
function breakdown(metrics: Metrics, name: string, by: string, where: Record<string, string>): string {
  const parts = new Map<string, number>();
  for (const s of series(metrics, name)) {
    if (!Object.entries(where).every(([k, v]) => s.labels[k] === v) || s.value === 0) continue;
    const key = s.labels[by] ?? "?";
    parts.set(key, (parts.get(key) ?? 0) + s.value);
  }
  const total = [...parts.values()].reduce((a, b) => a + b, 0);
  // By name: the order in which series appeared depends on which handler finished first.
  const named = [...parts].sort(([a], [b]) => a.localeCompare(b));
  return parts.size === 0 ? "0" : `${total} (${named.map(([k, v]) => `${k} ${v}`).join(", ")})`;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

const WRITES = ["objects/add", "objectReferences/add", "tags/attachTagToObject", "attributes/add", "attributes/edit"] as const;

export interface ReplaySummary {
  readonly text: string;
  readonly deadLettered: number;
  readonly spooled: number;
}

export function summarizeReplay(file: string, stats: ReplayStats, metrics: Metrics, dryRunCalls: readonly RestCall[] | undefined): ReplaySummary {
  return summarizeRun(`replayed ${file}: ${plural(stats.frames, "frame")}${stats.skipped ? ` (${stats.skipped} more on topics no subscriber wants)` : ""}`, metrics, dryRunCalls);
}

/** What a run of the pipeline did (`replay`, `enrich`), under a first line saying what was run. */
export function summarizeRun(header: string, metrics: Metrics, dryRunCalls: readonly RestCall[] | undefined): ReplaySummary {
  const runs = "misp_enrichd_handler_runs_total";
  const heartbeats = metrics.get("misp_enrichd_messages_total", { kind: "heartbeat" });
  const decoded = metrics.total("misp_enrichd_messages_total");
  const rejected = metrics.total("misp_enrichd_decode_errors_total");
  const dropped = metrics.total("misp_enrichd_frames_dropped_total");
  const deadLettered = sum(metrics, runs, { outcome: "dead-lettered" });
  const spooled = sum(metrics, runs, { outcome: "spooled" });
  const lines = [header];
  const rejectedText = rejected ? `${rejected} rejected (${breakdown(metrics, "misp_enrichd_decode_errors_total", "code", {}).replace(/^\d+ \((.*)\)$/, "$1")})` : "0 rejected";
  lines.push(`  messages  ${decoded} decoded${heartbeats ? ` (${plural(heartbeats, "heartbeat")})` : ""}, ${rejectedText}, ${dropped} dropped unread`);
  lines.push(`  echoes    ${metrics.total("misp_enrichd_echoes_total")} ignored (the daemon's own writes)`);
  lines.push(`  handled   ${breakdown(metrics, runs, "subscriber", { outcome: "done" })}`);
  lines.push(`  skipped   ${breakdown(metrics, runs, "subscriber", { outcome: "skipped" })}`);
  const duplicates = sum(metrics, runs, { outcome: "duplicate" });
  if (duplicates > 0) lines.push(`  before    ${breakdown(metrics, runs, "subscriber", { outcome: "duplicate" })} handled already (handled.jsonl)`);
  if (dryRunCalls) {
    const byPath = WRITES.map((endpoint) => [endpoint, sum(metrics, "misp_enrichd_misp_requests_total", { endpoint, outcome: "dry_run" })] as const).filter(([, n]) => n > 0);
    lines.push(`  written   nothing (dry run); would call ${dryRunCalls.length}${byPath.length ? ` (${byPath.map(([e, n]) => `${e} ${n}`).join(", ")})` : ""}`);
  } else {
    const created = metrics.get("misp_enrichd_objects_written_total", { outcome: "created" });
    const exists = metrics.get("misp_enrichd_objects_written_total", { outcome: "exists" });
    const other = WRITES.slice(1).map((endpoint) => [endpoint, sum(metrics, "misp_enrichd_misp_requests_total", { endpoint, outcome: "ok" })] as const).filter(([, n]) => n > 0);
    lines.push(`  written   ${plural(created, "object")} created, ${exists} already there${other.length ? `; ${other.map(([e, n]) => `${e} ${n}`).join(", ")}` : ""}`);
  }
  lines.push(`  errors    ${plural(rejected, "frame")} rejected, ${spooled} spooled for a later retry, ${deadLettered} dead-lettered`);
  if (dryRunCalls && dryRunCalls.length > 0) {
    lines.push("would call:");
    for (const call of dryRunCalls) lines.push(`  ${call.method} ${call.path}${call.body === undefined ? "" : ` ${JSON.stringify(call.body)}`}`);
  }
  return { text: lines.join("\n") + "\n", deadLettered, spooled };
}
