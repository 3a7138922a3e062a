// What a scrape of the running daemon shows after one enrichment on real ZeroMQ: the latency
// histograms, the bus's silence, the ledgers and the breakers, with bounded labels.

import { afterEach, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "../support/harness.js";

describe("the daemon's metrics", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it("time the module query, the MISP calls, the handler and the way from bus to written; and say how long the bus was quiet", async () => {
    h = await startHarness();
    const event = h.misp.seedEvent();
    const source = h.misp.seedAttribute(event.uuid, { type: "ip-dst", value: "8.8.8.8" });
    await h.publish(source.message.topic, source.message.payload);
    await h.settle();
    const m = h.daemon.metrics;
    expect(m.get("misp_enrichd_module_query_duration_seconds", { module: "mmdb_lookup" })).toBe(1);
    expect(m.get("misp_enrichd_misp_request_duration_seconds", { endpoint: "objects/add" })).toBe(1);
    expect(m.get("misp_enrichd_handler_duration_seconds", { subscriber: "geolocation" })).toBe(1);
    expect(m.get("misp_enrichd_bus_to_written_seconds", { subscriber: "geolocation" })).toBe(1);
    const text = await m.renderPrometheus();
    const age = Number(/^misp_enrichd_bus_last_message_age_seconds\{transport="zmq"\} (\S+)$/m.exec(text)?.[1]);
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(30);
    expect(text).toMatch(/^misp_enrichd_ledger_entries\{ledger="handled"\} 1$/m);
    expect(text).toMatch(/^misp_enrichd_breaker_state\{peer="misp"\} 0$/m);
    expect(text).toMatch(/^misp_enrichd_breaker_state\{peer="modules"\} 0$/m);
    // No value from a frame is ever a label: not the attribute's value, not its event's uuid.
    expect(text).not.toContain("8.8.8.8");
    expect(text).not.toContain(event.uuid);
    expect(h.daemon.readiness()).toEqual({ ok: true, reasons: [] });
  });
});
