import { describe, expect, it } from "vitest";
import { judgeHealth, judgeReadiness, type HealthFacts } from "../src/health.js";

const NOW = 1_700_000_000_000;
const healthy: HealthFacts = {
  now: NOW,
  bus: { transport: "zmq", status: { connected: true, lastFrameAt: NOW - 1_000 }, startedAt: NOW - 60_000 },
  busSilenceMs: 30_000,
  breakers: [
    { peer: "misp", state: "closed", consecutiveFailures: 0 },
    { peer: "modules", state: "closed", consecutiveFailures: 0 },
  ],
  spool: { entries: 0, bytes: 0, full: false },
  stopping: false,
};

describe("/healthz's verdict", () => {
  it("is ok when the bus was heard from, every breaker is closed and the spool has room", () => {
    expect(judgeHealth(healthy)).toEqual({ ok: true, reasons: [] });
  });

  it("names each thing that is wrong, one reason each", () => {
    const verdict = judgeHealth({
      ...healthy,
      bus: { transport: "zmq", status: { connected: true, lastFrameAt: NOW - 45_000 }, startedAt: NOW - 60_000 },
      breakers: [
        { peer: "misp", state: "open", consecutiveFailures: 5, lastError: "MISP answered 503", retryAt: NOW + 10_000 },
        { peer: "modules", state: "closed", consecutiveFailures: 2, lastError: "connect ECONNREFUSED" },
      ],
      spool: { entries: 100, bytes: 4096, full: true },
    });
    expect(verdict).toEqual({
      ok: false,
      reasons: [
        "bus silent for 45 s (no message, no misp_json_self heartbeat)",
        "misp circuit breaker open (5 consecutive failures; last: MISP answered 503)",
        "modules unreachable: the last 2 call(s) failed (connect ECONNREFUSED)",
        "spool full (100 entries, 4096 bytes): new work is held",
      ],
    });
  });

  it("counts a ZeroMQ silence from the start when nothing came yet, and a Kafka group left only after the grace time", () => {
    expect(judgeHealth({ ...healthy, bus: { transport: "zmq", status: { connected: false, lastFrameAt: 0 }, startedAt: NOW - 31_000 } }).reasons).toEqual([
      "bus silent for 31 s (no message, no misp_json_self heartbeat)",
    ]);
    expect(judgeHealth({ ...healthy, bus: { transport: "kafka", status: { connected: false, lastFrameAt: 0 }, startedAt: NOW - 1_000 } }).ok).toBe(true);
    expect(judgeHealth({ ...healthy, bus: { transport: "kafka", status: { connected: false, lastFrameAt: 0 }, startedAt: NOW - 31_000 } }).reasons).toEqual([
      "kafka consumer not in its group",
    ]);
  });
});

describe("/readyz's verdict", () => {
  it("is ready once the bus connected or delivered, and not while starting or stopping", () => {
    expect(judgeReadiness({ stopping: false })).toEqual({ ok: false, reasons: ["starting: subscribers loaded, bus not started"] });
    expect(judgeReadiness({ stopping: false, bus: { transport: "kafka", status: { connected: false, lastFrameAt: 0 }, startedAt: NOW } }).reasons).toEqual([
      "starting: kafka bus not connected yet",
    ]);
    expect(judgeReadiness({ stopping: false, bus: healthy.bus })).toEqual({ ok: true, reasons: [] });
    expect(judgeReadiness({ stopping: true, bus: healthy.bus })).toEqual({ ok: false, reasons: ["stopping"] });
  });
});
