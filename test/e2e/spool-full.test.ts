// A full spool is backpressure, never loss: on real ZeroMQ, with MISP down, the spool fills to its
// bound, the handlers that cannot park hold their slots, the pipeline stops accepting and the
// daemon stops reading the socket (frames wait in it). Once MISP is back, everything is written.

import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { requestRetry } from "../../src/state/retry-requests.js";
import { startHarness, type Harness } from "../support/harness.js";
import { startToggleProxy } from "../support/toggle-proxy.js";

describe("a full spool", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it("holds new work and slows the bus instead of dropping anything, then lets it all through", async () => {
    const misp = await startToggleProxy();
    misp.fail(503);
    h = await startHarness({
      overrides: {
        "misp.url": misp.url,
        "state.spool.maxEntries": 2,
        "pipeline.maxPending": 3,
        "pipeline.concurrency": 2,
        "pipeline.retryAttempts": 1,
        "breaker.failureThreshold": 1_000,
      },
    });
    misp.target = h.misp.url;
    const harness = h;
    const spoolDir = join(harness.stateDir, "spool");
    const spooled = (): number => readdirSync(spoolDir).filter((n) => n.endsWith(".json")).length;
    const attributeFrames = (): number => harness.counter("misp_enrichd_frames_total", { transport: "zmq", kind: "attribute" });
    for (let i = 1; i <= 8; i++) {
      const event = harness.misp.seedEvent();
      const source = harness.misp.seedAttribute(event.uuid, { type: "ip-dst", value: `8.8.8.${i}` });
      await harness.driver.publish(source.message.topic, source.message.payload);
    }
    // Two parked, two handlers waiting for room, one queued: maxPending reached, and the sixth frame
    // is the one the bus waits to hand over. The last two stay in the socket.
    await vi.waitFor(
      () => {
        expect(spooled()).toBe(2);
        expect(harness.counter("misp_enrichd_spool_full")).toBe(1);
        expect(harness.counter("misp_enrichd_in_flight")).toBe(3);
        expect(attributeFrames()).toBe(6);
      },
      { timeout: 10_000, interval: 25 },
    );
    expect(harness.logs.find("spool full")).toHaveLength(1);
    expect(harness.daemon.health().reasons).toContain("spool full (2 entries, " + String(harness.daemon.pipeline.spool.usage().bytes) + " bytes): new work is held");

    misp.pass();
    await requestRetry(spoolDir, []);
    await vi.waitFor(() => expect(harness.misp.state.objects).toHaveLength(8), { timeout: 15_000, interval: 25 });
    await vi.waitFor(() => expect(spooled()).toBe(0), { timeout: 5_000, interval: 25 });
    await harness.settle();
    expect(harness.counter("misp_enrichd_handler_runs_total", { subscriber: "geolocation", outcome: "done" })).toBe(8);
    expect(harness.counter("misp_enrichd_spool_full")).toBe(0);
    expect(harness.counter("misp_enrichd_handler_runs_total", { subscriber: "geolocation", outcome: "dead-lettered" })).toBe(0);
    expect(harness.counter("misp_enrichd_handler_runs_total", { subscriber: "geolocation", outcome: "lost" })).toBe(0);
    expect(harness.logs.find("spool has room again")).toHaveLength(1);
  });
});
