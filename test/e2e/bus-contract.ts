// The one bus contract suite: every transport (ZeroMQ, Kafka) must give the same effects in MISP
// for the same messages — geolocation, onion lookup, idempotency, no recursion on echoes.

import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startHarness, type BusDriverFactory, type Harness } from "../support/harness.js";

const GEOLOCATION_TEMPLATE = "cd6f2238-ba55-4888-82c4-104e6e1acf21";
const TOR_HIDDENSERVICE_TEMPLATE = "cbac07d6-fbe9-43b8-8d91-d515812ce330";
const V2_ONION = "expyuzz4wqqyqhjn.onion";

export function describeBusContract(name: string, bus: BusDriverFactory): void {
  describe(`bus contract: ${name}`, () => {
    let h: Harness | undefined;
    afterEach(async () => {
      await h?.stop();
      h = undefined;
    });

    it("writes one geolocation object and one reference for an analyst's ip-dst", async () => {
      h = await startHarness({ bus });
      const event = h.misp.seedEvent({ info: "phishing infrastructure" });
      const source = h.misp.seedAttribute(event.uuid, { type: "ip-dst", value: "8.8.8.8" });
      await h.publish(source.message.topic, source.message.payload);
      await h.settle();

      const objects = h.misp.state.objects;
      expect(objects).toHaveLength(1);
      const [object] = objects;
      expect(h.restCalls({ writesOnly: true })).toEqual([
        `POST /objects/add/${event.uuid}/${GEOLOCATION_TEMPLATE}`,
        `POST /objectReferences/add/${object?.uuid}`,
      ]);
      expect(object).toMatchObject({ name: "geolocation", eventId: event.id });
      expect(object?.comment).toMatch(/^misp-enrichd: geolocation via mmdb_lookup for 8\.8\.8\.8/);
      const written = h.misp.state.attributes.filter((a) => a.objectId === object?.id);
      expect(Object.fromEntries(written.map((a) => [a.objectRelation, a.value]))).toMatchObject({ countrycode: "US" });
      expect(h.misp.state.references).toEqual([
        expect.objectContaining({ sourceUuid: object?.uuid, referencedUuid: source.uuid, relationshipType: "related-to", referencedType: 0 }),
      ]);
      expect(h.modules?.queryCount("mmdb_lookup")).toBe(1);
    });

    it("writes the tor-hiddenservice object and tags the source attribute for an onion", async () => {
      h = await startHarness({ bus });
      const event = h.misp.seedEvent();
      const source = h.misp.seedAttribute(event.uuid, { type: "onion-address", value: V2_ONION });
      await h.publish(source.message.topic, source.message.payload);
      await h.settle();

      const [object] = h.misp.state.objects;
      expect(h.misp.state.objects).toHaveLength(1);
      expect(object?.name).toBe("tor-hiddenservice");
      expect(h.restCalls({ writesOnly: true })).toEqual([
        `POST /objects/add/${event.uuid}/${TOR_HIDDENSERVICE_TEMPLATE}`,
        `POST /objectReferences/add/${object?.uuid}`,
        "POST /tags/attachTagToObject",
      ]);
      expect(h.misp.state.references[0]).toMatchObject({ sourceUuid: object?.uuid, referencedUuid: source.uuid, relationshipType: "expanded-from" });
      const sourceTags = h.misp.state.attributeTags.filter((t) => t.attributeUuid === source.uuid);
      expect(sourceTags.map((t) => t.tagName)).toEqual(expect.arrayContaining([expect.stringMatching(/^dark-web:/)]));
      expect(sourceTags.every((t) => t.local)).toBe(true);
      // The module's echo of the input never becomes a second onion-address attribute.
      expect(h.misp.state.attributes.filter((a) => a.type === "onion-address" && a.objectId === 0)).toHaveLength(1);
    });

    it("creates one object when the same message arrives twice", async () => {
      h = await startHarness({ bus });
      const event = h.misp.seedEvent();
      const source = h.misp.seedAttribute(event.uuid, { type: "ip-src", value: "188.65.220.25" });
      await h.publish(source.message.topic, source.message.payload);
      await h.settle();
      await h.publish(source.message.topic, source.message.payload);
      await h.settle();

      expect(h.misp.state.objects).toHaveLength(1);
      expect(h.misp.state.references).toHaveLength(1);
      // The redelivery is recognised before any module query or write.
      expect(h.modules?.queryCount("mmdb_lookup")).toBe(1);
      expect(h.restCalls({ writesOnly: true })).toHaveLength(2);
      expect(h.counter("misp_enrichd_handler_runs_total", { subscriber: "geolocation", outcome: "duplicate" })).toBe(1);
    });

    it("creates one object when the handled-ledger is lost and the message comes again", async () => {
      h = await startHarness({ bus });
      const event = h.misp.seedEvent();
      const source = h.misp.seedAttribute(event.uuid, { type: "ip-src", value: "188.65.220.25" });
      await h.publish(source.message.topic, source.message.payload);
      await h.settle();
      const stateDir = h.stateDir;
      await h.restartDaemon({ beforeStart: () => rmSync(join(stateDir, "handled.jsonl"), { force: true }) });
      await h.publish(source.message.topic, source.message.payload);
      await h.settle();

      expect(h.misp.state.objects).toHaveLength(1);
      expect(h.misp.state.references).toHaveLength(1);
      const adds = h.misp.calls.filter((c) => c.path.startsWith("/objects/add/"));
      expect(adds.map((c) => c.status)).toEqual([200, 403]);
    });

    it("never queries a module again for the echoes of its own writes", async () => {
      h = await startHarness({ bus });
      const event = h.misp.seedEvent();
      const onion = h.misp.seedAttribute(event.uuid, { type: "onion-address", value: V2_ONION });
      const ip = h.misp.seedAttribute(event.uuid, { type: "ip-dst", value: "8.8.8.8" });
      await h.publish(onion.message.topic, onion.message.payload);
      await h.publish(ip.message.topic, ip.message.payload);
      await h.settle();

      // MISP echoed object, attribute, reference and tag messages; the new onion-address attribute
      // inside the written object matches the onion subscriber's filter, yet is not enriched. The
      // echoed attributes of types no subscriber takes (text, float…) are dropped unread; the others
      // are recognised by the echo guard.
      const echoedAttributes = h.misp.published.filter((m) => m.topic === "misp_json_attribute").length;
      expect(echoedAttributes).toBeGreaterThan(3);
      expect(h.counter("misp_enrichd_echoes_total")).toBeGreaterThanOrEqual(1);
      expect(h.counter("misp_enrichd_echoes_total") + h.counter("misp_enrichd_frames_dropped_total", { reason: "no-route" })).toBe(echoedAttributes);
      expect(h.modules?.queryCount("onion_lookup")).toBe(1);
      expect(h.modules?.queryCount("mmdb_lookup")).toBe(1);
      expect(h.misp.state.objects).toHaveLength(2);
    });

    it("enriches an analyst's own onion object attribute once", async () => {
      h = await startHarness({ bus });
      const event = h.misp.seedEvent();
      const source = h.misp.seedAttribute(event.uuid, { type: "onion-address", value: V2_ONION });
      // The analyst's attribute sits in the analyst's own tor-hiddenservice object.
      const payload = structuredClone(source.message.payload) as Record<string, Record<string, unknown>>;
      (payload.Attribute as Record<string, unknown>).object_id = "9001";
      (payload.Attribute as Record<string, unknown>).object_relation = "address";
      payload.Object = {
        id: "9001", name: "tor-hiddenservice", "meta-category": "misc", description: "Tor hidden service", template_uuid: TOR_HIDDENSERVICE_TEMPLATE,
        template_version: "2", event_id: String(event.id), uuid: "5b7a0c2e-6f3d-4b1a-9c8e-7d6f5e4a3b2c", timestamp: "1729501200", distribution: "5",
        sharing_group_id: "0", comment: "found in a forum post", deleted: false, first_seen: null, last_seen: null,
      };
      await h.publish("misp_json_attribute", payload);
      await h.settle();
      expect(h.modules?.queryCount("onion_lookup")).toBe(1);
      expect(h.misp.state.objects).toHaveLength(1);
    });
  });
}
