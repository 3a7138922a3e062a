// The daemon's metrics, kept by prom-client in a registry of their own (one per `createMetrics`,
// never prom-client's global one, so two daemons in one process never share a series). Callers name
// a metric where the thing happens (`metrics.inc("misp_enrichd_frames_total", labels)`); the
// catalogue gives its type, help and label names. The /metrics listener renders the registry, and
// `replay`'s summary, the bench and the tests read values back with `get` and `total`.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { DEFAULT_METRICS_PREFIX, METRIC_CATALOGUE, type MetricSpec, type MetricType } from "./catalogue.js";

export type Labels = Readonly<Record<string, string>>;

export interface Metrics {
  inc(name: string, labels?: Labels, by?: number): void;
  set(name: string, value: number, labels?: Labels): void;
  /** Records one observation of a histogram, in seconds. */
  observe(name: string, seconds: number, labels?: Labels): void;
  /** Current value, 0 when never touched; for a histogram, how many observations it holds. */
  get(name: string, labels?: Labels): number;
  /** Sum over every label set of a metric. */
  total(name: string): number;
  /** Every series as `name{label="value",…}` → value (histograms as `name_count` and `name_sum`). */
  snapshot(): Readonly<Record<string, number>>;
  /** The Prometheus text exposition of every metric, after the collect hooks ran. */
  renderPrometheus(): Promise<string>;
  readonly contentType: string;
  /**
   * Runs `hook` before each rendering, for gauges computed at scrape time (bus silence, breaker
   * state). Returns the function that removes it (a reloaded daemon removes the old one's hooks).
   */
  onCollect(hook: () => void | Promise<void>): () => void;
  /** Adds prom-client's process and Node.js metrics (CPU, memory, event-loop lag, GC, handles). Once; `run` only. */
  collectProcessMetrics(): void;
}

/** What prom-client keeps per series; read directly so that `get` stays synchronous. */
interface SeriesValue {
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value?: number;
  readonly count?: number;
  readonly sum?: number;
}

type Instrument = Counter | Gauge | Histogram;

interface Entry {
  readonly type: MetricType;
  readonly instrument: Instrument;
}

/** A metric another part of the code uses before the catalogue names it: typed by its first use. */
function specFor(name: string, type: MetricType, labels: Labels | undefined): MetricSpec {
  const known = (METRIC_CATALOGUE as Readonly<Record<string, MetricSpec>>)[name];
  if (known) return known;
  return { type, help: `${name} (not in the metrics catalogue yet)`, labels: Object.keys(labels ?? {}) };
}

function seriesOf(instrument: Instrument): readonly SeriesValue[] {
  // prom-client 15 keeps one record per label set in `hashMap`; test/metrics/metrics.test.ts pins it.
  return Object.values((instrument as unknown as { hashMap: Record<string, SeriesValue> }).hashMap);
}

function sameLabels(series: SeriesValue, labels: Labels | undefined): boolean {
  const want = labels ?? {};
  const have = series.labels;
  const keys = Object.keys(want);
  if (keys.length !== Object.keys(have).length) return false;
  return keys.every((k) => String(have[k]) === want[k]);
}

function seriesValue(type: MetricType, series: SeriesValue): number {
  return type === "histogram" ? (series.count ?? 0) : (series.value ?? 0);
}

function escapeLabel(value: string | number): string {
  return String(value).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function seriesKey(name: string, labels: Readonly<Record<string, string | number>>): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}="${escapeLabel(labels[k] as string | number)}"`);
  return parts.length === 0 ? name : `${name}{${parts.join(",")}}`;
}

/**
 * The series record prom-client keeps for `labels` (created by one ordinary `inc`/`set`/`observe`
 * first). The hot path (every frame counts twice, every enrichment observes five durations) reuses
 * it for frozen labels objects, as the hand-written metrics did with their keys: a WeakMap and a Map
 * lookup instead of building the series key and validating the label names on every call.
 * prom-client never replaces a record but on reset(), which the daemon never calls.
 */
function recordOf<R>(instrument: Instrument, labels: Labels): R | undefined {
  return seriesOf(instrument).find((s) => sameLabels(s, labels)) as R | undefined;
}

/** A histogram series as prom-client 15 keeps it (test/metrics/metrics.test.ts checks the two agree). */
interface HistogramRecord {
  sum: number;
  count: number;
  readonly bucketValues: Record<number, number>;
}

/** prom-client's bucket for a value: the first upper bound it does not exceed (-1, no bucket: +Inf only). */
function bucketOf(upperBounds: readonly number[], value: number): number {
  for (const bound of upperBounds) if (value <= bound) return bound;
  return -1;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  const entries = new Map<string, Entry>();
  const records = new WeakMap<Labels, Map<string, unknown>>();

  /** The cached series record of a frozen labels object, found after `first` created it. */
  function cached<R>(name: string, instrument: Instrument, labels: Labels, first: () => void): R | undefined {
    if (!Object.isFrozen(labels)) {
      first();
      return undefined;
    }
    let byName = records.get(labels);
    const hit = byName?.get(name);
    if (hit) return hit as R;
    first();
    const record = recordOf<R>(instrument, labels);
    if (record) {
      if (!byName) records.set(labels, (byName = new Map()));
      byName.set(name, record);
    }
    return undefined;
  }
  const hooks = new Set<() => void | Promise<void>>();
  let processMetrics = false;

  function entry(name: string, type: MetricType, labels: Labels | undefined): Entry {
    const found = entries.get(name);
    if (found) return found;
    const spec = specFor(name, type, labels);
    const config = { name, help: spec.help, labelNames: [...spec.labels], registers: [registry] };
    const instrument =
      spec.type === "counter" ? new Counter(config) : spec.type === "gauge" ? new Gauge(config) : new Histogram({ ...config, buckets: [...(spec.buckets ?? [])] });
    const created = { type: spec.type, instrument };
    entries.set(name, created);
    return created;
  }

  // Every catalogued metric exists from the start: a scrape shows the whole set, zeros included.
  for (const [name, spec] of Object.entries(METRIC_CATALOGUE) as [string, MetricSpec][]) entry(name, spec.type, undefined);

  return {
    inc(name, labels, by = 1) {
      const { instrument } = entry(name, "counter", labels);
      if (!labels) return void (instrument as Counter).inc(by);
      const record = cached<{ value: number }>(name, instrument, labels, () => (instrument as Counter).inc(labels, by));
      if (record && by >= 0 && Number.isFinite(by)) record.value += by;
      else if (record) (instrument as Counter).inc(labels, by); // let prom-client refuse it
    },
    set(name, value, labels) {
      const { instrument } = entry(name, "gauge", labels);
      if (!labels) return void (instrument as Gauge).set(value);
      const record = cached<{ value: number }>(name, instrument, labels, () => (instrument as Gauge).set(labels, value));
      if (record) record.value = value;
    },
    observe(name, seconds, labels) {
      const histogram = entry(name, "histogram", labels).instrument as Histogram;
      if (!labels) return void histogram.observe(seconds);
      const record = cached<HistogramRecord>(name, histogram, labels, () => histogram.observe(labels, seconds));
      if (record === undefined) return;
      if (!Number.isFinite(seconds)) return void histogram.observe(labels, seconds); // let prom-client refuse it
      record.sum += seconds;
      record.count += 1;
      const bound = bucketOf((histogram as unknown as { upperBounds: readonly number[] }).upperBounds, seconds);
      if (Object.prototype.hasOwnProperty.call(record.bucketValues, bound)) record.bucketValues[bound] = (record.bucketValues[bound] ?? 0) + 1;
    },
    get(name, labels) {
      const found = entries.get(name);
      if (!found) return 0;
      const series = seriesOf(found.instrument).find((s) => sameLabels(s, labels));
      return series ? seriesValue(found.type, series) : 0;
    },
    total(name) {
      const found = entries.get(name);
      if (!found) return 0;
      return seriesOf(found.instrument).reduce((sum, s) => sum + seriesValue(found.type, s), 0);
    },
    snapshot() {
      const out: Record<string, number> = {};
      for (const [name, { type, instrument }] of entries) {
        for (const series of seriesOf(instrument)) {
          if (type === "histogram") {
            out[seriesKey(`${name}_count`, series.labels)] = series.count ?? 0;
            out[seriesKey(`${name}_sum`, series.labels)] = series.sum ?? 0;
          } else {
            out[seriesKey(name, series.labels)] = series.value ?? 0;
          }
        }
      }
      return out;
    },
    async renderPrometheus() {
      for (const hook of hooks) await hook();
      return registry.metrics();
    },
    contentType: registry.contentType,
    onCollect(hook) {
      hooks.add(hook);
      return () => void hooks.delete(hook);
    },
    collectProcessMetrics() {
      if (processMetrics) return;
      processMetrics = true;
      collectDefaultMetrics({ register: registry, prefix: DEFAULT_METRICS_PREFIX });
    },
  };
}
