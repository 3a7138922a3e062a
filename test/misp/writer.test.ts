import { describe, expect, it } from "vitest";
import type { MispStandin } from "@misp-enrichd/standins";
import { isRetriable } from "../../src/errors.js";
import type { EnrichmentWrite } from "../../src/misp/types.js";
import { deriveAttributeUuid, deriveObjectUuid } from "../../src/misp/uuid.js";
import { createMispWriter, type MispWriterOptions } from "../../src/misp/writer.js";
import type { ModuleResult } from "../../src/modules/types.js";
import { ASN_TEMPLATE, client, geolocationObject, GEO_TEMPLATE, hiddenServiceObject, line, result, standin, TOR_HS_TEMPLATE, V2_ONION, V3_ONION } from "./helpers.js";

async function setup(options: { standin?: Parameters<typeof standin>[0]; writer?: Partial<MispWriterOptions>; sourceType?: string; sourceValue?: string } = {}) {
  const misp = await standin(options.standin);
  const event = misp.seedEvent();
  const type = options.sourceType ?? "ip-dst";
  const value = options.sourceValue ?? "198.51.100.23";
  const source = misp.seedAttribute(event.uuid, { type, value });
  const kit = client(misp.url);
  const writer = createMispWriter({ client: kit.client, logger: kit.logs.logger, metrics: kit.metrics, tagLocal: true, ...options.writer });
  const write = (r: ModuleResult, extra: Partial<EnrichmentWrite> = {}): EnrichmentWrite => ({
    subscriber: "geo",
    module: r.module,
    eventUuid: event.uuid,
    source: { uuid: source.uuid, type, value },
    result: r,
    ...extra,
  });
  return { misp, event, source, writer, write, ...kit };
}

const paths = (misp: MispStandin): string[] => misp.calls.map(line);

describe("MISP writer", () => {
  it("writes a geolocation result in exactly two calls: the object, then one reference to the source", async () => {
    const { misp, event, source, writer, write } = await setup();
    const r = result([geolocationObject(source.uuid)]);
    const report = await writer.writeEnrichment(write(r));
    const objectUuid = deriveObjectUuid(source.uuid, "mmdb_lookup", r.objects[0]!);

    expect(paths(misp)).toEqual([`POST /objects/add/${event.uuid}/${GEO_TEMPLATE}`, `POST /objectReferences/add/${objectUuid}`]);
    const body = misp.calls[0]?.body as { Object: Record<string, unknown> & { Attribute: Record<string, unknown>[] } };
    const marker = "misp-enrichd: geo via mmdb_lookup for 198.51.100.23";
    expect(body.Object).toMatchObject({ name: "geolocation", template_uuid: GEO_TEMPLATE, uuid: objectUuid, distribution: "5", comment: marker });
    expect(body.Object.Attribute[0]).toEqual({
      object_relation: "country",
      type: "text",
      value: "Luxembourg",
      category: "Other",
      uuid: deriveAttributeUuid(objectUuid, "country", "text", "Luxembourg"),
      to_ids: false,
      disable_correlation: false,
      distribution: "5",
      comment: marker,
    });
    expect(misp.calls[1]?.body).toEqual({ referenced_uuid: source.uuid, relationship_type: "related-to" });
    expect(report).toEqual({ objects: [{ uuid: objectUuid, name: "geolocation", outcome: "created" }], attributes: [], referencesAdded: 1, tagsAttached: [], refused: [] });
    expect(misp.state.references).toEqual([expect.objectContaining({ sourceUuid: objectUuid, referencedUuid: source.uuid, referencedType: 0 })]);
  });

  it("attaches the module's tags for the source in one call, local or global as configured", async () => {
    for (const tagLocal of [true, false]) {
      const { misp, source, writer, write } = await setup({ writer: { tagLocal } });
      await writer.writeEnrichment(write(result([geolocationObject(source.uuid)], { sourceTags: ["misp-enrichd:geo", "tlp:green", "tlp:green"] })));
      expect(paths(misp).slice(2)).toEqual(["POST /tags/attachTagToObject"]);
      expect(misp.calls[2]?.body).toEqual({ uuid: source.uuid, tag: ["misp-enrichd:geo", "tlp:green"], local: tagLocal ? 1 : 0 });
      expect(misp.state.attributeTags.filter((t) => t.attributeUuid === source.uuid).map((t) => t.local)).toEqual([tagLocal, tagLocal]);
    }
  });

  it("writes the same message twice as one object and one reference", async () => {
    const { misp, event, source, writer, write } = await setup();
    const w = write(result([geolocationObject(source.uuid)]));
    await writer.writeEnrichment(w);
    const again = await writer.writeEnrichment({ ...w, result: result([geolocationObject(source.uuid)]) });

    expect(again.objects.map((o) => o.outcome)).toEqual(["exists"]);
    expect(again.referencesAdded).toBe(0);
    expect(paths(misp).slice(2)).toEqual([`POST /objects/add/${event.uuid}/${GEO_TEMPLATE}`, `GET /events/view/${event.uuid}/includeAttachments:0`]);
    expect(misp.calls[2]?.status).toBe(403);
    expect(misp.state.objects).toHaveLength(1);
    expect(misp.state.attributes.filter((a) => a.objectId !== 0)).toHaveLength(4);
    expect(misp.state.references).toHaveLength(1);
  });

  it("with a reference ledger, skips even the events/view read on a replay", async () => {
    const keys = new Set<string>();
    const ledger = { has: (k: string) => keys.has(k), add: (k: string) => void keys.add(k) };
    const { misp, event, source, writer, write } = await setup({ writer: { referenceLedger: ledger } });
    const w = write(result([geolocationObject(source.uuid)]));
    await writer.writeEnrichment(w);
    const objectUuid = misp.state.objects[0]!.uuid;
    expect([...keys]).toEqual([`${objectUuid}|${source.uuid}|related-to`]);
    await writer.writeEnrichment(w);
    expect(paths(misp).slice(2)).toEqual([`POST /objects/add/${event.uuid}/${GEO_TEMPLATE}`]);
    expect(misp.state.references).toHaveLength(1);
  });

  it("adds only the missing reference when an earlier attempt stopped after the object", async () => {
    const { misp, source, writer, write } = await setup();
    misp.failNext(1, 503, "/objectReferences/add/");
    const w = write(result([geolocationObject(source.uuid)]));
    const error = await writer.writeEnrichment(w).catch((e: unknown) => e);
    expect(isRetriable(error)).toBe(true);
    const report = await writer.writeEnrichment(w);
    expect(report).toMatchObject({ objects: [{ outcome: "exists" }], referencesAdded: 1 });
    expect(misp.state.objects).toHaveLength(1);
    expect(misp.state.references).toHaveLength(1);
  });

  it("writes a Tor v3 onion that MISP 2.5.1 refuses as text, says so, and reports it", async () => {
    const { misp, event, source, writer, write, logs } = await setup({ sourceType: "onion-address", sourceValue: V3_ONION });
    const r = result([hiddenServiceObject(source.uuid)], { module: "onion_lookup", sourceTags: ['dark-web:topic="legitimate"'] });
    const report = await writer.writeEnrichment(write(r, { subscriber: "onion" }));
    const objectUuid = deriveObjectUuid(source.uuid, "onion_lookup", r.objects[0]!);

    expect(paths(misp)).toEqual([
      `POST /objects/add/${event.uuid}/${TOR_HS_TEMPLATE}`,
      `POST /objects/add/${event.uuid}/${TOR_HS_TEMPLATE}`,
      `POST /objectReferences/add/${objectUuid}`,
      "POST /tags/attachTagToObject",
    ]);
    expect(misp.calls.map((c) => c.status)).toEqual([403, 200, 200, 200]);
    const address = misp.state.attributes.find((a) => a.objectRelation === "address")!;
    expect(address).toMatchObject({ type: "text", value: V3_ONION, uuid: deriveAttributeUuid(objectUuid, "address", "onion-address", V3_ONION) });
    expect(report.objects).toEqual([{ uuid: objectUuid, name: "tor-hiddenservice", outcome: "created" }]);
    expect(report.refused).toEqual([{ what: expect.stringContaining(V3_ONION), reason: expect.stringContaining("Onion address has an invalid format.") }]);
    expect(logs.find("misp refused onion-address values")).toHaveLength(1);
    expect(misp.state.references).toEqual([expect.objectContaining({ relationshipType: "expanded-from" })]);
  });

  it("writes a Tor v3 onion as onion-address, in one call, on a MISP that accepts it", async () => {
    const { misp, source, writer, write } = await setup({ standin: { rejectV3Onions: false } });
    const report = await writer.writeEnrichment(write(result([hiddenServiceObject(source.uuid)], { module: "onion_lookup" })));
    expect(misp.calls.filter((c) => c.path.startsWith("/objects/add"))).toHaveLength(1);
    expect(misp.state.attributes.find((a) => a.objectRelation === "address")?.type).toBe("onion-address");
    expect(report.refused).toEqual([]);
  });

  it("keeps a v2 onion as onion-address", async () => {
    const { misp, source, writer, write } = await setup();
    await writer.writeEnrichment(write(result([hiddenServiceObject(source.uuid, V2_ONION)], { module: "onion_lookup" })));
    expect(misp.state.attributes.find((a) => a.objectRelation === "address")?.type).toBe("onion-address");
  });

  it("retries a refused standalone v3 onion once as text", async () => {
    const { misp, event, writer, write } = await setup();
    const report = await writer.writeEnrichment(write(result([], { module: "legacy", format: "legacy", attributes: [{ type: "onion-address", value: V3_ONION, tags: [] }] })));
    expect(paths(misp)).toEqual([`POST /attributes/add/${event.uuid}`, `POST /attributes/add/${event.uuid}`]);
    expect(misp.state.attributes.find((a) => a.value === V3_ONION)?.type).toBe("text");
    expect(report.attributes).toEqual([{ uuid: expect.any(String), type: "text", outcome: "created" }]);
    expect(report.refused).toHaveLength(1);
  });

  it("writes legacy attributes with the marker comment, then attaches local tags separately", async () => {
    const { misp, event, writer, write } = await setup();
    const w = write(result([], { module: "dns", format: "legacy", attributes: [{ type: "domain", value: "c2.example", comment: "from the resolver", tags: ["misp-enrichd:dns"] }] }));
    const report = await writer.writeEnrichment(w);
    const uuid = report.attributes[0]!.uuid;
    expect(paths(misp)).toEqual([`POST /attributes/add/${event.uuid}`, "POST /tags/attachTagToObject"]);
    expect(misp.calls[0]?.body).toMatchObject({ type: "domain", value: "c2.example", uuid, comment: "misp-enrichd: geo via dns for 198.51.100.23 — from the resolver" });
    expect(misp.calls[0]?.body).not.toHaveProperty("Tag");
    expect(misp.calls[1]?.body).toEqual({ uuid, tag: "misp-enrichd:dns", local: 1 });
    expect((await writer.writeEnrichment(w)).attributes).toEqual([{ uuid, type: "domain", outcome: "exists" }]);
    expect(misp.state.attributes.filter((a) => a.value === "c2.example")).toHaveLength(1);
  });

  it("points a reference between result objects at the derived uuid and skips one it cannot resolve", async () => {
    const { misp, source, writer, write, logs } = await setup();
    const geo = geolocationObject(source.uuid);
    const asn = {
      name: "asn",
      metaCategory: "network",
      description: "asn",
      templateUuid: ASN_TEMPLATE,
      templateVersion: "6",
      moduleUuid: crypto.randomUUID(),
      attributes: [{ objectRelation: "asn", type: "AS", value: "49677", tags: [] }],
      references: [
        { referencedUuid: geo.moduleUuid!, relationshipType: "located-at" },
        { referencedUuid: crypto.randomUUID(), relationshipType: "related-to" },
      ],
    };
    const r = result([geo, asn]);
    await writer.writeEnrichment(write(r));
    const geoUuid = deriveObjectUuid(source.uuid, "mmdb_lookup", geo);
    const asnUuid = deriveObjectUuid(source.uuid, "mmdb_lookup", asn);
    expect(misp.state.references.map((x) => [x.sourceUuid, x.referencedUuid, x.relationshipType, x.referencedType])).toEqual([
      [geoUuid, source.uuid, "related-to", 0],
      [asnUuid, geoUuid, "located-at", 1],
    ]);
    expect(logs.find("module referenced something outside its result")).toHaveLength(1);
  });

  it("links an object without references to the source", async () => {
    const { misp, source, writer, write } = await setup();
    await writer.writeEnrichment(write(result([{ ...geolocationObject(source.uuid), references: [] }])));
    expect(misp.state.references).toEqual([expect.objectContaining({ referencedUuid: source.uuid, relationshipType: "related-to" })]);
  });

  it("reports an object MISP refuses for good and still writes the others", async () => {
    const { misp, source, writer, write, metrics } = await setup();
    const unknown = { ...geolocationObject(source.uuid, "Belgium"), name: "custom", templateUuid: "7b726ab0-d8ce-431c-a39c-9e9fb450220d" };
    const report = await writer.writeEnrichment(write(result([unknown, geolocationObject(source.uuid)])));
    expect(report.refused).toEqual([{ what: expect.stringContaining("custom object"), reason: "Invalid template." }]);
    expect(report.objects.map((o) => o.name)).toEqual(["geolocation"]);
    expect(metrics.get("misp_enrichd_objects_written_total", { outcome: "refused" })).toBe(1);
    expect(misp.state.objects).toHaveLength(1);
    expect(misp.state.references).toHaveLength(1);
  });

  it("lets retriable and whole-write refusals propagate", async () => {
    const { misp, source, writer, write } = await setup();
    misp.failNext(1, 502);
    const unavailable = await writer.writeEnrichment(write(result([geolocationObject(source.uuid)]))).catch((e: unknown) => e);
    expect(isRetriable(unavailable)).toBe(true);
    const gone = await writer.writeEnrichment(write(result([geolocationObject(source.uuid)]), { eventUuid: crypto.randomUUID() })).catch((e: unknown) => e);
    expect(gone).toMatchObject({ code: "ENRICHD_MISP_REJECTED", details: { status: 404, message: "Invalid event." } });
  });

  it("uses the default comment prefix, a custom one, and the write's distribution", async () => {
    const { misp, source, writer, write } = await setup({ writer: { commentPrefix: "enriched" } });
    await writer.writeEnrichment(write(result([{ ...geolocationObject(source.uuid), comment: "country average" }]), { distribution: 0 }));
    expect(misp.state.objects[0]).toMatchObject({ comment: "enriched: geo via mmdb_lookup for 198.51.100.23 — country average", distribution: 0 });
    expect(misp.state.attributes.find((a) => a.objectRelation === "country")?.distribution).toBe(0);
  });

  it("names the write's subscriber and chain depth as the cause of the tags it attaches, on the source and on legacy attributes", async () => {
    const { client: raw, logs, metrics, write } = await setup();
    const causes: unknown[] = [];
    const recording = { ...raw, attachTags: (...args: Parameters<typeof raw.attachTags>) => (causes.push(args[4]), raw.attachTags(...args)) };
    const writer = createMispWriter({ client: recording, logger: logs.logger, metrics, tagLocal: true });
    await writer.writeEnrichment(write(result([], { module: "dns", format: "legacy", sourceTags: ["a:b"], attributes: [{ type: "domain", value: "c2.example", tags: ["c:d"] }] }), { subscriber: "dns", depth: 1 }));
    expect(causes).toEqual([{ by: "dns", depth: 1 }, { by: "dns", depth: 1 }]);
  });

  it("asks a tagLocal function on every write", async () => {
    let local = true;
    const { misp, source, writer, write } = await setup({ writer: { tagLocal: () => local } });
    await writer.writeEnrichment(write(result([], { sourceTags: ["a:b"] })));
    local = false;
    await writer.writeEnrichment(write(result([], { sourceTags: ["c:d"] })));
    expect(misp.calls.map((c) => (c.body as { local: number }).local)).toEqual([1, 0]);
  });
});
