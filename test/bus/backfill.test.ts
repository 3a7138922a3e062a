import { afterEach, describe, expect, it } from "vitest";
import { createBackfill } from "../../src/bus/backfill.js";
import type { BusFrame } from "../../src/decode/types.js";
import type { Attribute, AttributeMessage } from "../../src/decode/types.js";
import { createMetrics } from "../../src/metrics/metrics.js";
import type { MispClient } from "../../src/misp/types.js";
import { captureLogs } from "../support/log-capture.js";
import { startHarness, type Harness } from "../support/harness.js";

function attribute(uuid: string, timestamp: number): Attribute {
  return {
    id: 1, uuid, eventId: 1, objectId: 0, objectRelation: null, category: "Network activity", type: "ip-dst", value: "198.51.100.7",
    toIds: false, timestamp, distribution: 5, sharingGroupId: 0, comment: "", deleted: false, disableCorrelation: false,
    firstSeen: null, lastSeen: null, tags: [],
  };
}

/** A backfill over a MISP whose restSearch answers the `rows` changed since the search's timestamp, feeding a sink that records each frame. */
function backfillOver(rows: readonly Attribute[]) {
  const fed: string[] = [];
  const misp = {
    searchAttributes: async (query: { timestamp: number }) => rows.filter((a) => a.timestamp >= query.timestamp).map((a) => ({ attribute: a })),
  } as unknown as MispClient;
  const sink = async (frame: BusFrame) => {
    fed.push((JSON.parse(frame.payload.toString().slice(frame.topic.length + 1)) as { Attribute: { uuid: string } }).Attribute.uuid);
    return { done: Promise.resolve() };
  };
  let t = 1_000;
  const backfill = createBackfill({ misp, sink, logger: captureLogs().logger, metrics: createMetrics(), overlapSeconds: 60, maxAgeSeconds: 86_400, now: () => t });
  return { backfill, fed, later: () => (t += 10) };
}

describe("gap backfill, against a MISP that answers the same rows every time", () => {
  const a = attribute("aaaaaaaa-0000-4000-8000-000000000000", 1_001);
  const b = attribute("bbbbbbbb-0000-4000-8000-000000000000", 1_002);

  it("never feeds an attribute it saw on the bus", async () => {
    const { backfill, fed, later } = backfillOver([a, b]);
    const onTheBus: AttributeMessage = { topic: "misp_json_attribute", transport: "zmq", receivedAt: 0, raw: {}, kind: "attribute", action: "add", attribute: a };
    backfill.observe(onTheBus);
    later();
    expect(await backfill.run("test")).toBe(1);
    expect(fed).toEqual([b.uuid]);
  });

  it("feeds what it fetched once, not again on the next run", async () => {
    const { backfill, fed, later } = backfillOver([a, b]);
    expect(await backfill.run("start-up")).toBe(0); // sets the watermark
    later();
    expect(await backfill.run("test")).toBe(2);
    later();
    expect(await backfill.run("test")).toBe(0);
    expect(fed).toEqual([a.uuid, b.uuid]);
  });
});

describe("gap backfill, against a MISP whose clock moves on", () => {
  const message = (a: Attribute): AttributeMessage => ({ topic: "misp_json_attribute", transport: "zmq", receivedAt: 0, raw: {}, kind: "attribute", action: "add", attribute: a });

  it("fetches a message dropped long before the newest one seen (its own writes' echoes keep coming)", async () => {
    const dropped = attribute("dddddddd-0000-4000-8000-000000000000", 1_001);
    const { backfill, fed, later } = backfillOver([dropped]);
    expect(await backfill.run("start-up")).toBe(0); // watermark 1000
    // ZeroMQ dropped `dropped` (a full high-water mark); minutes later the daemon sees newer traffic.
    backfill.observe(message(attribute("eeeeeeee-0000-4000-8000-000000000000", 1_500)));
    later();
    expect(await backfill.run("periodic")).toBe(1);
    expect(fed).toEqual([dropped.uuid]);
    // The run covered everything up to the newest timestamp seen when it began.
    expect(backfill.watermark()).toBe(1_500);
  });
});

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

    // Only the two lost ip attributes are fed: the one seen on the bus is not, the domain is not searched.
    expect(await h.daemon.backfill.run("test")).toBe(2);
    await h.settle();
    const search = h.misp.calls.filter((c) => c.path === "/attributes/restSearch");
    expect(search).toHaveLength(1);
    expect(search[0]?.body).toMatchObject({ returnFormat: "json", type: expect.arrayContaining(["ip-src", "ip-dst"]) });
    expect(h.misp.state.objects.map((o) => o.name)).toEqual(["geolocation", "geolocation", "geolocation"]);
    expect(h.modules?.queryCount("mmdb_lookup")).toBe(3);

    // A second run feeds nothing: everything it fetched is remembered, its own writes are echoes.
    expect(await h.daemon.backfill.run("test")).toBe(0);
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
