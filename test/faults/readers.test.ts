// What the fault suite reads back: the daemon's Prometheus text (whatever renders it) and its own
// hostile frames, whose base message must be one the daemon accepts for the mutations to mean anything.

import { describe, expect, it } from "vitest";
import { prng } from "@misp-enrichd/standins";
import { attributeTemplate, fuzzFrames } from "../../faults/fuzz-frames.js";
import { metricSum, metricsMatching, parseMetrics } from "../../faults/metrics-text.js";
import { breakerStates } from "../../faults/observe.js";
import { createDecoder } from "../../src/decode/decoder.js";
import { createTopicTable } from "../../src/decode/topic.js";

const TEXT = `# HELP misp_enrichd_handler_runs_total Handler runs.
# TYPE misp_enrichd_handler_runs_total counter
misp_enrichd_handler_runs_total{subscriber="geolocation",outcome="done"} 7
misp_enrichd_handler_runs_total{outcome="spooled",subscriber="geolocation"} 2
misp_enrichd_handler_runs_total{outcome="done",subscriber="onion-lookup"} 1
misp_enrichd_in_flight 0
misp_enrichd_breaker_state{target="misp",note="a \\"quoted\\" value"} 1
`;

describe("the fault suite's metrics reader", () => {
  it("sums the samples whose labels include the ones asked for, in any label order", () => {
    const samples = parseMetrics(TEXT);
    expect(metricSum(samples, "misp_enrichd_handler_runs_total")).toBe(10);
    expect(metricSum(samples, "misp_enrichd_handler_runs_total", { outcome: "done" })).toBe(8);
    expect(metricSum(samples, "misp_enrichd_handler_runs_total", { subscriber: "geolocation", outcome: "spooled" })).toBe(2);
    expect(metricSum(samples, "misp_enrichd_missing_total")).toBe(0);
    expect(metricsMatching(samples, /breaker/)).toEqual([{ name: "misp_enrichd_breaker_state", labels: { target: "misp", note: 'a "quoted" value' }, value: 1 }]);
  });
});

describe("the fault suite's breaker reader", () => {
  it("says each peer's state, its transitions and the calls refused, and nothing when there is no breaker metric", () => {
    const samples = parseMetrics(`misp_enrichd_breaker_state{peer="misp"} 0
misp_enrichd_breaker_state{peer="modules"} 2
misp_enrichd_breaker_transitions_total{peer="modules",state="open"} 1
misp_enrichd_breaker_transitions_total{peer="modules",state="closed"} 0
misp_enrichd_breaker_rejections_total{peer="modules"} 12
`);
    expect(breakerStates(samples)).toBe("misp closed; modules open (open 1×), 12 calls refused");
    expect(breakerStates(parseMetrics(TEXT.replace(/.*breaker.*\n/, "")))).toBeUndefined();
  });
});

describe("the fault suite's hostile frames", () => {
  const decoder = createDecoder({ table: createTopicTable(), wanted: new Set(["attribute"]), maxFrameBytes: 1 << 20 });

  it("start from a message the daemon decodes as an attribute add", () => {
    const payload = Buffer.from(`misp_json_attribute ${JSON.stringify(attributeTemplate(prng(1)))}`);
    const outcome = decoder.decodeFrame({ topic: "misp_json_attribute", payload, transport: "zmq", receivedAt: 0 });
    expect(outcome).toMatchObject({ status: "message", message: { kind: "attribute", action: "add", attribute: { type: "ip-dst" } } });
  });

  it("are the same for the same seed, on the attribute topic, the huge ones one byte over the limit", () => {
    const options = { seed: 7, maxFrameBytes: 4096, hugeEvery: 50 };
    const once = [...fuzzFrames(200, options)];
    expect([...fuzzFrames(200, options)]).toEqual(once);
    expect(once.every((f) => f.frame.subarray(0, 20).toString() === "misp_json_attribute ")).toBe(true);
    const huge = once.filter((f) => f.kind === "huge");
    expect(huge.map((f) => f.frame.length)).toEqual([4097, 4097, 4097, 4097]);
    expect(new Set(once.map((f) => f.kind)).size).toBe(9);
  });
});
