// Reads the daemon's own counters (daemon.metrics) by label, for before/after differences.

type Snapshot = Readonly<Record<string, number>>;

function sumBy(snapshot: Snapshot, metric: string, label: string): Record<string, number> {
  const pattern = new RegExp(`^${metric}\\{.*\\b${label}="([^"]+)"`);
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(snapshot)) {
    const match = pattern.exec(key);
    if (match?.[1]) out[match[1]] = (out[match[1]] ?? 0) + value;
  }
  return out;
}

/** misp_enrichd_handler_runs_total by outcome, summed over subscribers. */
export function handlerRuns(snapshot: Snapshot): Record<string, number> {
  return sumBy(snapshot, "misp_enrichd_handler_runs_total", "outcome");
}

/** misp_enrichd_frames_total by kind, summed over transports. */
export function framesByKind(snapshot: Snapshot): Record<string, number> {
  return sumBy(snapshot, "misp_enrichd_frames_total", "kind");
}

/** after − before, key by key, leaving out keys that did not grow. */
export function growth(before: Readonly<Record<string, number>>, after: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(after)) {
    const diff = value - (before[key] ?? 0);
    if (diff > 0) out[key] = diff;
  }
  return out;
}
