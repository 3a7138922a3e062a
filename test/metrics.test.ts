import { describe, expect, it } from "vitest";
import { createMetrics } from "../src/metrics/metrics.js";

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
