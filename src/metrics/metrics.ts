// Counters and gauges, named by string where the thing happens; a Map update each (a frozen labels
// object has its key built once). Rendered as Prometheus text by the optional /metrics listener and
// read back by `replay`'s summary.

export type Labels = Readonly<Record<string, string>>;

export interface Metrics {
  inc(name: string, labels?: Labels, by?: number): void;
  set(name: string, value: number, labels?: Labels): void;
  /** Current value, 0 when never touched. */
  get(name: string, labels?: Labels): number;
  /** Sum over every label set of a metric. */
  total(name: string): number;
  snapshot(): Readonly<Record<string, number>>;
  renderPrometheus(): string;
}

const HELP: Readonly<Record<string, string>> = {
  misp_enrichd_frames_total: "Bus frames received, by transport and kind (unknown for unknown topics).",
  misp_enrichd_frames_dropped_total: "Frames dropped before parsing, by reason (unwanted topic, too large, no route can match).",
  misp_enrichd_decode_errors_total: "Frames that failed to decode, by error code.",
  misp_enrichd_messages_total: "Decoded messages, by kind.",
  misp_enrichd_handler_runs_total: "Handler runs, by subscriber and outcome (done, skipped, duplicate, revoked, spooled, dead-lettered, retry-later).",
  misp_enrichd_echoes_total: "Messages recognised as echoes of the daemon's own writes.",
  misp_enrichd_module_queries_total: "misp-modules queries sent to the server, by module and outcome.",
  misp_enrichd_module_cache_hits_total: "Module queries answered from the result cache, by module.",
  misp_enrichd_module_cache_misses_total: "Module queries the result cache sent to the server, by module.",
  misp_enrichd_module_cache_coalesced_total: "Module queries that joined an identical query in flight instead of calling, by module.",
  misp_enrichd_module_cache_evictions_total: "Answers evicted from the result cache to stay within its bounds, by module.",
  misp_enrichd_misp_requests_total: "MISP REST requests, by endpoint and outcome.",
  misp_enrichd_objects_written_total: "Objects created in MISP (outcome created) or found already there (exists).",
  misp_enrichd_retries_total: "Handler retries after a retriable error.",
  misp_enrichd_spool_entries: "Entries waiting in the on-disk retry spool.",
  misp_enrichd_in_flight: "Handler runs accepted by the pipeline (running or queued) and not yet done.",
  misp_enrichd_bus_silence_warnings_total: "Times the bus was silent for longer than bus.zmq.silenceWarnMs.",
  misp_enrichd_backfill_runs_total: "Gap backfill runs, by trigger.",
  misp_enrichd_backfill_attributes_total: "Attributes fed to the pipeline by gap backfill.",
};

// Hot-path callers reuse one frozen labels object per label set: its keys are built once.
const keyCache = new WeakMap<Labels, Map<string, string>>();

function key(name: string, labels?: Labels): string {
  if (!labels) return name;
  if (!Object.isFrozen(labels)) return buildKey(name, labels);
  let byName = keyCache.get(labels);
  const cached = byName?.get(name);
  if (cached !== undefined) return cached;
  const built = buildKey(name, labels);
  if (!byName) keyCache.set(labels, (byName = new Map()));
  byName.set(name, built);
  return built;
}

function buildKey(name: string, labels: Labels): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}="${String(labels[k]).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`);
  return parts.length === 0 ? name : `${name}{${parts.join(",")}}`;
}

export function createMetrics(): Metrics {
  const values = new Map<string, number>();
  const byName = new Map<string, Set<string>>();

  function touch(name: string, k: string): void {
    let set = byName.get(name);
    if (!set) byName.set(name, (set = new Set()));
    set.add(k);
  }

  return {
    inc(name, labels, by = 1) {
      const k = key(name, labels);
      values.set(k, (values.get(k) ?? 0) + by);
      touch(name, k);
    },
    set(name, value, labels) {
      const k = key(name, labels);
      values.set(k, value);
      touch(name, k);
    },
    get(name, labels) {
      return values.get(key(name, labels)) ?? 0;
    },
    total(name) {
      let sum = 0;
      for (const k of byName.get(name) ?? []) sum += values.get(k) ?? 0;
      return sum;
    },
    snapshot() {
      return Object.fromEntries(values);
    },
    renderPrometheus() {
      const lines: string[] = [];
      for (const name of [...byName.keys()].sort()) {
        const help = HELP[name];
        if (help) lines.push(`# HELP ${name} ${help}`);
        lines.push(`# TYPE ${name} ${name.endsWith("_total") ? "counter" : "gauge"}`);
        for (const k of [...(byName.get(name) ?? [])].sort()) lines.push(`${k} ${values.get(k) ?? 0}`);
      }
      return lines.join("\n") + "\n";
    },
  };
}
