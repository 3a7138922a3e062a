import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Histogram, Registry } from "prom-client";
import { METRIC_CATALOGUE } from "../../src/metrics/catalogue.js";
import { createMetrics } from "../../src/metrics/metrics.js";
import { fuzzParameters } from "../fuzz/arbitraries.js";

describe("metrics", () => {
  it("counts by label set whether the labels object is fresh or reused, and renders Prometheus text", async () => {
    const m = createMetrics();
    const reused = Object.freeze({ transport: "zmq", kind: "attribute" });
    m.inc("misp_enrichd_frames_total", reused);
    m.inc("misp_enrichd_frames_total", reused);
    m.inc("misp_enrichd_frames_total", { kind: "attribute", transport: "zmq" });
    m.inc("misp_enrichd_frames_total", { transport: "kafka", kind: 'we"ird\n' });
    m.set("misp_enrichd_in_flight", 4);
    expect(m.get("misp_enrichd_frames_total", { transport: "zmq", kind: "attribute" })).toBe(3);
    expect(m.total("misp_enrichd_frames_total")).toBe(4);
    const text = await m.renderPrometheus();
    expect(text).toContain('misp_enrichd_frames_total{transport="zmq",kind="attribute"} 3\n');
    expect(text).toContain('misp_enrichd_frames_total{transport="kafka",kind="we\\"ird\\n"} 1\n');
    expect(text).toContain("# TYPE misp_enrichd_frames_total counter\n");
    expect(text).toContain("# TYPE misp_enrichd_in_flight gauge\nmisp_enrichd_in_flight 4\n");
  });

  it("reads back what it holds synchronously: get, total and snapshot agree with the rendered text", async () => {
    const m = createMetrics();
    m.inc("misp_enrichd_handler_runs_total", { subscriber: "geolocation", outcome: "done" }, 2);
    m.inc("misp_enrichd_handler_runs_total", { subscriber: "onion-lookup", outcome: "done" });
    m.observe("misp_enrichd_module_query_duration_seconds", 0.2, { module: "mmdb_lookup" });
    m.observe("misp_enrichd_module_query_duration_seconds", 3, { module: "mmdb_lookup" });
    expect(m.get("misp_enrichd_handler_runs_total", { outcome: "done", subscriber: "geolocation" })).toBe(2);
    expect(m.get("misp_enrichd_handler_runs_total", { outcome: "done", subscriber: "nobody" })).toBe(0);
    expect(m.total("misp_enrichd_handler_runs_total")).toBe(3);
    expect(m.get("misp_enrichd_module_query_duration_seconds", { module: "mmdb_lookup" })).toBe(2);
    expect(m.snapshot()).toMatchObject({
      'misp_enrichd_handler_runs_total{outcome="done",subscriber="geolocation"}': 2,
      'misp_enrichd_module_query_duration_seconds_count{module="mmdb_lookup"}': 2,
      'misp_enrichd_module_query_duration_seconds_sum{module="mmdb_lookup"}': 3.2,
    });
    const text = await m.renderPrometheus();
    expect(text).toContain('misp_enrichd_module_query_duration_seconds_bucket{le="0.25",module="mmdb_lookup"} 1\n');
    expect(text).toContain('misp_enrichd_module_query_duration_seconds_bucket{le="5",module="mmdb_lookup"} 2\n');
    expect(text).toContain('misp_enrichd_module_query_duration_seconds_count{module="mmdb_lookup"} 2\n');
  });

  it("observes a histogram through a reused labels object exactly as prom-client does (buckets, sum, count)", async () => {
    const name = "misp_enrichd_module_query_duration_seconds";
    const buckets = [...(METRIC_CATALOGUE[name].buckets ?? [])];
    const values = fc.array(fc.oneof(fc.double({ min: 0, max: 100, noNaN: true }), fc.constantFrom(0, ...buckets, buckets.at(-1)! * 2)), { minLength: 1, maxLength: 40 });
    await fc.assert(
      fc.asyncProperty(values, async (observed) => {
        const m = createMetrics();
        const labels = Object.freeze({ module: "mmdb_lookup" });
        const registry = new Registry();
        const reference = new Histogram({ name, help: "reference", labelNames: ["module"], buckets, registers: [registry] });
        for (const seconds of observed) {
          m.observe(name, seconds, labels);
          reference.observe({ module: "mmdb_lookup" }, seconds);
        }
        const series = (text: string): string[] => text.split("\n").filter((line) => line.startsWith(`${name}_`));
        expect(series(await m.renderPrometheus())).toEqual(series(await registry.metrics()));
      }),
      fuzzParameters,
    );
  });

  it("shows every catalogued metric from the start, and a metric the catalogue lacks once it is used", async () => {
    const m = createMetrics();
    const text = await m.renderPrometheus();
    expect(text).toContain("# TYPE misp_enrichd_spool_entries gauge\nmisp_enrichd_spool_entries 0\n");
    expect(text).toContain("# TYPE misp_enrichd_bus_to_written_seconds histogram\n");
    m.inc("misp_enrichd_something_new_total", { kind: "x" });
    expect(m.get("misp_enrichd_something_new_total", { kind: "x" })).toBe(1);
    expect(await m.renderPrometheus()).toContain('misp_enrichd_something_new_total{kind="x"} 1\n');
  });

  it("runs collect hooks before rendering until they are removed", async () => {
    const m = createMetrics();
    let age = 7;
    const remove = m.onCollect(() => m.set("misp_enrichd_bus_last_message_age_seconds", age, { transport: "zmq" }));
    expect(await m.renderPrometheus()).toContain('misp_enrichd_bus_last_message_age_seconds{transport="zmq"} 7\n');
    remove();
    age = 9;
    expect(await m.renderPrometheus()).toContain('misp_enrichd_bus_last_message_age_seconds{transport="zmq"} 7\n');
  });

  it("adds the process and event-loop metrics under the daemon's prefix on request", async () => {
    const m = createMetrics();
    expect(await m.renderPrometheus()).not.toContain("misp_enrichd_process_cpu_seconds_total");
    m.collectProcessMetrics();
    const text = await m.renderPrometheus();
    expect(text).toContain("misp_enrichd_process_cpu_seconds_total");
    expect(text).toContain("misp_enrichd_nodejs_eventloop_lag_p99_seconds");
    expect(text).toContain("misp_enrichd_process_resident_memory_bytes");
  });

  it("keeps each instance's series apart (two daemons in one process)", () => {
    const a = createMetrics();
    const b = createMetrics();
    a.inc("misp_enrichd_echoes_total", { kind: "attribute" });
    expect(b.get("misp_enrichd_echoes_total", { kind: "attribute" })).toBe(0);
  });
});

describe("metrics endpoint", () => {
  it("serves Prometheus text on /metrics and the probes as JSON, on the address given", async () => {
    const { startMetricsServer } = await import("../../src/metrics/server.js");
    const { captureLogs } = await import("../support/log-capture.js");
    const m = createMetrics();
    m.inc("misp_enrichd_echoes_total", { kind: "attribute" }, 3);
    let healthy = true;
    const server = await startMetricsServer("127.0.0.1:0", m, captureLogs().logger, {
      health: () => (healthy ? { ok: true, reasons: [] } : { ok: false, reasons: ["misp breaker open"] }),
      readiness: () => ({ ok: false, reasons: ["bus not connected yet"] }),
    });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const metrics = await fetch(`${server.url}/metrics`);
      expect(metrics.headers.get("content-type")).toContain("text/plain");
      const text = await metrics.text();
      expect(text).toContain('misp_enrichd_echoes_total{kind="attribute"} 3');
      expect(text).toContain("misp_enrichd_healthy 1\n");
      const ok = await fetch(`${server.url}/healthz`);
      expect([ok.status, await ok.json()]).toEqual([200, { status: "ok", reasons: [] }]);
      healthy = false;
      const bad = await fetch(`${server.url}/healthz`);
      expect([bad.status, await bad.json()]).toEqual([503, { status: "unhealthy", reasons: ["misp breaker open"] }]);
      expect(await (await fetch(`${server.url}/metrics`)).text()).toContain("misp_enrichd_healthy 0\n");
      const ready = await fetch(`${server.url}/readyz`);
      expect([ready.status, await ready.json()]).toEqual([503, { status: "not ready", reasons: ["bus not connected yet"] }]);
      expect((await fetch(`${server.url}/other`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
