import { describe, expect, it } from "vitest";
import { createMetrics } from "../../src/metrics/metrics.js";

describe("metrics", () => {
  it("counts by label set whether the labels object is fresh or reused, and renders Prometheus text", () => {
    const m = createMetrics();
    const reused = Object.freeze({ transport: "zmq", kind: "attribute" });
    m.inc("misp_enrichd_frames_total", reused);
    m.inc("misp_enrichd_frames_total", reused);
    m.inc("misp_enrichd_frames_total", { kind: "attribute", transport: "zmq" });
    m.inc("misp_enrichd_frames_total", { transport: "kafka", kind: 'we"ird\n' });
    m.set("misp_enrichd_in_flight", 4);
    expect(m.get("misp_enrichd_frames_total", { transport: "zmq", kind: "attribute" })).toBe(3);
    expect(m.total("misp_enrichd_frames_total")).toBe(4);
    const text = m.renderPrometheus();
    expect(text).toContain('misp_enrichd_frames_total{kind="attribute",transport="zmq"} 3\n');
    expect(text).toContain('misp_enrichd_frames_total{kind="we\\"ird\\n",transport="kafka"} 1\n');
    expect(text).toContain("# TYPE misp_enrichd_frames_total counter\n");
    expect(text).toContain("# TYPE misp_enrichd_in_flight gauge\nmisp_enrichd_in_flight 4\n");
  });
});

describe("metrics endpoint", () => {
  it("serves Prometheus text on /metrics and ok on /healthz, on the address given", async () => {
    const { startMetricsServer } = await import("../../src/metrics/server.js");
    const { captureLogs } = await import("../support/log-capture.js");
    const m = createMetrics();
    m.inc("misp_enrichd_echoes_total", { kind: "attribute" }, 3);
    const server = await startMetricsServer("127.0.0.1:0", m, captureLogs().logger);
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const metrics = await fetch(`${server.url}/metrics`);
      expect(metrics.headers.get("content-type")).toContain("text/plain");
      expect(await metrics.text()).toContain('misp_enrichd_echoes_total{kind="attribute"} 3');
      expect(await (await fetch(`${server.url}/healthz`)).text()).toBe("ok\n");
      expect((await fetch(`${server.url}/other`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
