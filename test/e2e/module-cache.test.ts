// The module result cache through the whole daemon: a value repeated across a feed costs one module
// query, and each attribute still gets its own object, referencing it and nothing else.

import { afterEach, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "../support/harness.js";

describe("module result cache, end to end", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it("queries a repeated value once and writes one object per attribute, each referencing its own source", async () => {
    const stack = await startHarness();
    h = stack;
    // Feeds repeat values across events: three events, each with the address as ip-dst and as ip-src.
    const events = [1, 2, 3].map((n) => stack.misp.seedEvent({ info: `feed import ${n}` }).uuid);
    const sources = [];
    for (let i = 0; i < 6; i++) {
      const attribute = stack.misp.seedAttribute(events[i % 3] as string, { type: i < 3 ? "ip-dst" : "ip-src", value: "188.65.220.25" });
      sources.push(attribute);
      await h.publish(attribute.message.topic, attribute.message.payload);
    }
    await h.settle();

    // Two distinct (type, value) keys among six attributes.
    expect(h.modules?.queryCount("mmdb_lookup")).toBe(2);
    expect(h.counter("misp_enrichd_module_cache_hits_total") + h.counter("misp_enrichd_module_cache_coalesced_total")).toBe(4);
    expect(h.misp.state.objects).toHaveLength(6);
    const referenced = h.misp.state.references.map((r) => r.referencedUuid).sort();
    expect(referenced).toEqual(sources.map((s) => s.uuid).sort());
    const objectUuids = new Set(h.misp.state.objects.map((o) => o.uuid));
    expect(objectUuids.size).toBe(6);
  });

  it("asks again for every attribute when the cache is off", async () => {
    h = await startHarness({ overrides: { "modules.cache.ttlSeconds": 0 } });
    for (let i = 0; i < 3; i++) {
      const attribute = h.misp.seedAttribute(h.misp.seedEvent().uuid, { type: "ip-dst", value: "188.65.220.25" });
      await h.publish(attribute.message.topic, attribute.message.payload);
    }
    await h.settle();
    expect(h.modules?.queryCount("mmdb_lookup")).toBe(3);
    expect(h.misp.state.objects).toHaveLength(3);
  });
});
