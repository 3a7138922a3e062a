import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { openEntryFolder } from "../../src/state/entry-folder.js";
import { startHarness, TEST_KEY, type Harness } from "../support/harness.js";

describe("bad input never stops the daemon", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  async function enrichAfter(harness: Harness, value: string): Promise<void> {
    const event = harness.misp.seedEvent();
    const source = harness.misp.seedAttribute(event.uuid, { type: "ip-dst", value });
    await harness.publish(source.message.topic, source.message.payload);
    await harness.settle();
  }

  it("logs and counts malformed frames, missing fields and huge frames, then goes on", async () => {
    h = await startHarness({ overrides: { "bus.maxFrameBytes": 4096 } });
    await h.publishRaw("misp_json_attribute", "{not json");
    await h.publishRaw("misp_json_attribute", "[1,2,3]");
    await h.publishRaw("misp_json_attribute", JSON.stringify({ Attribute: { id: "1" }, action: "add" }));
    await h.publishRaw("misp_json_attribute", JSON.stringify({ Attribute: { comment: "x".repeat(5000) }, action: "add" }));
    // (Unknown topics and frames without a space never pass the socket's "misp_json_attribute "
    // prefix subscription; the decoder's own tests cover them.)
    await h.settle();
    await enrichAfter(h, "8.8.8.8");

    expect(h.counter("misp_enrichd_decode_errors_total", { code: "ENRICHD_FRAME_MALFORMED" })).toBeGreaterThanOrEqual(2);
    expect(h.counter("misp_enrichd_decode_errors_total", { code: "ENRICHD_MESSAGE_INVALID" })).toBe(1);
    expect(h.counter("misp_enrichd_frames_dropped_total", { reason: "too-large" })).toBe(1);
    const rejected = h.logs.find("frame rejected");
    expect(rejected.length).toBe(3);
    expect(rejected.find((l) => l.code === "ENRICHD_MESSAGE_INVALID")?.err).toMatch(/^misp_json_attribute: (Event|Attribute\.\w+) /);
    // Still running: the next good message is enriched.
    expect(h.misp.state.objects).toHaveLength(1);
  });

  it("dead-letters a module error with its input and keeps going", async () => {
    h = await startHarness();
    h.modules?.failNext(1, "generic-error");
    await enrichAfter(h, "8.8.8.8");
    expect(h.counter("misp_enrichd_handler_runs_total", { subscriber: "geolocation", outcome: "dead-lettered" })).toBe(1);
    const line = h.logs.find("handler failed permanently")[0];
    expect(line).toMatchObject({ code: "ENRICHD_MODULE_ERROR", value: "8.8.8.8", attributeType: "ip-dst", sub: "geolocation" });
    const letters = await openEntryFolder(join(h.stateDir, "dead-letters")).list();
    expect(letters[0]).toMatchObject({ subscriber: "geolocation", error: { code: "ENRICHD_MODULE_ERROR" }, frame: { topic: "misp_json_attribute" } });
    await enrichAfter(h, "188.65.220.25");
    expect(h.misp.state.objects).toHaveLength(1);
  });

  it("retries a MISP 503 and writes the object once MISP answers", async () => {
    h = await startHarness();
    h.misp.failNext(2, 503, "/objects/add/");
    await enrichAfter(h, "8.8.8.8");
    expect(h.counter("misp_enrichd_retries_total")).toBe(2);
    expect(h.misp.state.objects).toHaveLength(1);
    expect(h.misp.state.references).toHaveLength(1);
  });

  it("dead-letters a MISP 4xx (unknown event) with the reason", async () => {
    h = await startHarness();
    const event = h.misp.seedEvent();
    const source = h.misp.seedAttribute(event.uuid, { type: "ip-dst", value: "8.8.8.8" });
    const payload = structuredClone(source.message.payload) as Record<string, Record<string, unknown>>;
    (payload.Event as Record<string, unknown>).uuid = "00000000-0000-4000-8000-000000000000";
    await h.publish("misp_json_attribute", payload);
    await h.settle();
    const line = h.logs.find("handler failed permanently")[0];
    expect(line?.code).toBe("ENRICHD_MISP_REJECTED");
    expect(String(line?.err)).toMatch(/404/);
    expect(h.counter("misp_enrichd_retries_total")).toBe(0);
  });

  it("spools work MISP keeps refusing with 5xx and writes it on the next re-drive", async () => {
    h = await startHarness();
    h.misp.failNext(3, 502, "/objects/add/");
    await enrichAfter(h, "8.8.8.8");
    expect(h.counter("misp_enrichd_handler_runs_total", { subscriber: "geolocation", outcome: "spooled" })).toBe(1);
    expect(await h.daemon.pipeline.spool.count()).toBe(1);
    expect(h.misp.state.objects).toHaveLength(0);

    expect(await h.daemon.pipeline.redriveSpool()).toBe(1);
    await h.settle();
    expect(await h.daemon.pipeline.spool.count()).toBe(0);
    expect(h.misp.state.objects).toHaveLength(1);
  });

  it("runs a spooled entry once when a re-drive is asked for while one is running", async () => {
    h = await startHarness();
    h.misp.failNext(3, 502, "/objects/add/");
    await enrichAfter(h, "8.8.8.8");
    expect(await h.daemon.pipeline.spool.count()).toBe(1);
    // The first pass holds its write; the timer's next tick comes meanwhile.
    h.misp.faults.slowWrites(300);
    const passes = await Promise.all([h.daemon.pipeline.redriveSpool(), h.daemon.pipeline.redriveSpool()]);
    await h.settle();
    expect(passes).toEqual([1, 1]);
    expect(h.misp.calls.filter((c) => c.path.startsWith("/objects/add/")).map((c) => c.status)).toEqual([502, 502, 502, 200]);
    expect(h.misp.state.references).toHaveLength(1);
  });

  // A spooled attribute can come again meanwhile (a backfill, a Kafka redelivery, a reload's re-drive):
  // the re-drive and the queue take turns on its key, so one run enriches it and the other finds it handled.
  async function spoolOne(harness: Harness): Promise<{ topic: string; payload: object }> {
    const event = harness.misp.seedEvent();
    const source = harness.misp.seedAttribute(event.uuid, { type: "ip-dst", value: "8.8.8.8" });
    harness.misp.failNext(3, 502, "/objects/add/");
    await harness.publish(source.message.topic, source.message.payload);
    await harness.settle();
    expect(await harness.daemon.pipeline.spool.count()).toBe(1);
    harness.misp.faults.slowWrites(300);
    return source.message;
  }
  const objectAdds = (harness: Harness): number => harness.misp.calls.filter((c) => c.path.startsWith("/objects/add/")).length;
  const runs = (harness: Harness, outcome: string): number => harness.counter("misp_enrichd_handler_runs_total", { subscriber: "geolocation", outcome });

  it("lets a message about an attribute the re-drive is running wait for it, then finds it handled", async () => {
    h = await startHarness();
    const harness = h;
    const message = await spoolOne(harness);
    const pass = harness.daemon.pipeline.redriveSpool();
    await vi.waitFor(() => expect(objectAdds(harness)).toBe(4), { timeout: 5_000, interval: 5 });
    await harness.publish(message.topic, message.payload);
    expect(await pass).toBe(1);
    await harness.settle();
    expect(runs(harness, "done")).toBe(1);
    expect(runs(harness, "duplicate")).toBe(1);
    expect(objectAdds(harness)).toBe(4);
    expect(harness.misp.state.objects).toHaveLength(1);
  });

  it("leaves a spooled entry for the next pass while the queue runs its attribute", async () => {
    h = await startHarness();
    const harness = h;
    const message = await spoolOne(harness);
    await harness.publish(message.topic, message.payload);
    await vi.waitFor(() => expect(objectAdds(harness)).toBe(4), { timeout: 5_000, interval: 5 });
    expect(await harness.daemon.pipeline.redriveSpool()).toBe(0);
    await harness.settle();
    expect(await harness.daemon.pipeline.redriveSpool()).toBe(1);
    expect(await harness.daemon.pipeline.spool.count()).toBe(0);
    expect(runs(harness, "done")).toBe(1);
    expect(runs(harness, "duplicate")).toBe(1);
    expect(objectAdds(harness)).toBe(4);
  });

  it("never writes the MISP key to a log line, even at debug level and on auth failures", async () => {
    h = await startHarness({ level: "debug" });
    await enrichAfter(h, "8.8.8.8");
    h.misp.failNext(1, 403, "/objects/add/");
    await enrichAfter(h, "188.65.220.25");
    const text = h.logs.text();
    expect(text.length).toBeGreaterThan(1000);
    expect(text).not.toContain(TEST_KEY);
    expect(h.misp.calls[0]?.headers.authorization).toBe(TEST_KEY);
  });
});
