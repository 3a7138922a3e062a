import { afterEach, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "../support/harness.js";

describe("gap backfill", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it("enriches attributes whose bus messages were lost, once, and skips what it saw", async () => {
    h = await startHarness();
    const event = h.misp.seedEvent();
    const seen = h.misp.seedAttribute(event.uuid, { type: "ip-dst", value: "8.8.8.8" });
    await h.publish(seen.message.topic, seen.message.payload);
    await h.settle();
    expect(h.daemon.backfill.watermark()).toBeGreaterThan(0);

    // Two attributes added while the daemon was away: MISP never delivers their messages.
    h.misp.seedAttribute(event.uuid, { type: "ip-src", value: "188.65.220.25" });
    h.misp.seedAttribute(event.uuid, { type: "ip-dst", value: "2001:4860:4860::8888" });
    h.misp.seedAttribute(event.uuid, { type: "domain", value: "example.org" });

    await h.daemon.backfill.run("test");
    await h.settle();
    const search = h.misp.calls.filter((c) => c.path === "/attributes/restSearch");
    expect(search).toHaveLength(1);
    expect(search[0]?.body).toMatchObject({ returnFormat: "json", type: expect.arrayContaining(["ip-src", "ip-dst"]) });
    expect(h.misp.state.objects.map((o) => o.name)).toEqual(["geolocation", "geolocation", "geolocation"]);
    expect(h.modules?.queryCount("mmdb_lookup")).toBe(3);

    // A second run finds nothing new: everything it fetched is remembered, its own writes are echoes.
    await h.daemon.backfill.run("test");
    await h.settle();
    expect(h.misp.state.objects).toHaveLength(3);
    expect(h.modules?.queryCount("mmdb_lookup")).toBe(3);
  });

  it("starts from now the first time, never from MISP's whole history", async () => {
    h = await startHarness();
    const event = h.misp.seedEvent();
    h.misp.seedAttribute(event.uuid, { type: "ip-dst", value: "8.8.8.8" });
    expect(h.daemon.backfill.watermark()).toBeUndefined();
    expect(await h.daemon.backfill.run("start-up")).toBe(0);
    expect(h.daemon.backfill.watermark()).toBeGreaterThan(0);
    expect(h.misp.calls.filter((c) => c.path === "/attributes/restSearch")).toHaveLength(0);
    expect(h.misp.state.objects).toHaveLength(0);
  });
});
