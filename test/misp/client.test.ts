import { describe, expect, it } from "vitest";
import type { ObjectToWrite } from "../../src/misp/types.js";
import { client, GEO_TEMPLATE, KEY, line, standin } from "./helpers.js";

function geoObject(uuid: string, attrUuid: string): ObjectToWrite {
  return {
    uuid,
    name: "geolocation",
    metaCategory: "misc",
    description: "An object to describe a geographic location.",
    templateUuid: GEO_TEMPLATE,
    templateVersion: "8",
    comment: "misp-enrichd: geo via mmdb_lookup for 198.51.100.23",
    distribution: 5,
    attributes: [
      {
        uuid: attrUuid,
        type: "text",
        value: "Luxembourg",
        category: "Other",
        objectRelation: "country",
        toIds: false,
        comment: "misp-enrichd: geo via mmdb_lookup for 198.51.100.23",
        distribution: 5,
        tags: [{ name: "misp-enrichd:geo", local: true }],
      },
    ],
  };
}

describe("MISP client against the stand-in", () => {
  it("sends the headers rest.md §0 asks for, and numbered request ids", async () => {
    const misp = await standin();
    const { client: c } = client(misp.url, { requestIdPrefix: "misp-enrichd-42" });
    await c.getVersion();
    await c.searchAttributes({ limit: 1 });
    const [get, post] = misp.calls;
    expect(get?.headers.authorization).toBe(KEY);
    expect(get?.headers.accept).toBe("application/json");
    expect(get?.headers["user-agent"]).toMatch(/^misp-enrichd\/\d+\.\d+\.\d+/);
    expect(get?.headers["x-request-id"]).toBe("misp-enrichd-42-1");
    expect(get?.headers["content-type"]).toBeUndefined();
    expect(post?.headers["content-type"]).toBe("application/json");
    expect(post?.headers["x-request-id"]).toBe("misp-enrichd-42-2");
  });

  it("reads the version and the key's own user, role and organisation", async () => {
    const misp = await standin({ orgId: 3, role: { permTagEditor: false } });
    const { client: c } = client(misp.url);
    expect(await c.getVersion()).toEqual({ version: "2.5.1", permSync: false, permSighting: true });
    const self = await c.getSelf();
    expect(self).toMatchObject({ userId: 7, orgId: 3, orgName: "Org 3" });
    expect(self.role).toMatchObject({ permAdd: true, permTagger: true, permTagEditor: false, permSiteAdmin: false });
  });

  it("views an attribute by uuid or id, with numbers, booleans, tags and its event uuid", async () => {
    const misp = await standin();
    const event = misp.seedEvent();
    const seeded = misp.seedAttribute(event.uuid, { type: "ip-dst", value: "198.51.100.23", toIds: true, tags: [{ name: "tlp:green" }] });
    const { client: c } = client(misp.url);
    const byUuid = await c.viewAttribute(seeded.uuid);
    expect(byUuid.eventUuid).toBe(event.uuid);
    expect(byUuid.attribute).toMatchObject({ id: seeded.id, uuid: seeded.uuid, eventId: event.id, objectId: 0, objectRelation: null, type: "ip-dst", toIds: true, distribution: 5, deleted: false });
    expect(byUuid.attribute.tags).toEqual([expect.objectContaining({ name: "tlp:green", local: false })]);
    expect((await c.viewAttribute(seeded.id)).attribute.uuid).toBe(seeded.uuid);
  });

  it("maps each object's references from events/view", async () => {
    const misp = await standin();
    const event = misp.seedEvent();
    const source = misp.seedAttribute(event.uuid, { type: "ip-dst", value: "198.51.100.23" });
    const { client: c } = client(misp.url);
    const objectUuid = "6f1c3a52-9d0e-5b7a-8c4d-2e1f0a9b8c7d";
    await c.addObject(event.uuid, geoObject(objectUuid, "7a2d4b63-0e1f-5c8b-9d5e-3f2a1b0c9d8e"));
    await c.addReference(objectUuid, source.uuid, "related-to");
    const refs = await c.viewEventReferences(event.uuid);
    expect([...refs.entries()]).toEqual([[objectUuid, [{ referencedUuid: source.uuid, relationshipType: "related-to" }]]]);
  });

  it("adds an object with the body rest.md §2 describes, then reports the same uuid as existing", async () => {
    const misp = await standin();
    const event = misp.seedEvent();
    const { client: c, metrics } = client(misp.url);
    const object = geoObject("6f1c3a52-9d0e-5b7a-8c4d-2e1f0a9b8c7d", "7a2d4b63-0e1f-5c8b-9d5e-3f2a1b0c9d8e");
    expect(await c.addObject(event.uuid, object)).toBe("created");
    expect(await c.addObject(event.uuid, object)).toBe("exists");
    expect(misp.calls.map(line)).toEqual([
      `POST /objects/add/${event.uuid}/${GEO_TEMPLATE}`,
      `POST /objects/add/${event.uuid}/${GEO_TEMPLATE}`,
    ]);
    expect(misp.calls.map((call) => call.status)).toEqual([200, 403]);
    expect(misp.calls[0]?.body).toEqual({
      Object: {
        name: "geolocation",
        "meta-category": "misc",
        description: "An object to describe a geographic location.",
        template_uuid: GEO_TEMPLATE,
        template_version: "8",
        uuid: object.uuid,
        distribution: "5",
        comment: object.comment,
        Attribute: [
          {
            object_relation: "country",
            type: "text",
            value: "Luxembourg",
            category: "Other",
            uuid: "7a2d4b63-0e1f-5c8b-9d5e-3f2a1b0c9d8e",
            to_ids: false,
            disable_correlation: false,
            distribution: "5",
            comment: object.comment,
            Tag: [{ name: "misp-enrichd:geo", local: true }],
          },
        ],
      },
    });
    expect(misp.state.objects).toHaveLength(1);
    expect(misp.state.attributeTags).toEqual([expect.objectContaining({ tagName: "misp-enrichd:geo", local: true })]);
    expect(metrics.get("misp_enrichd_objects_written_total", { outcome: "created" })).toBe(1);
    expect(metrics.get("misp_enrichd_objects_written_total", { outcome: "exists" })).toBe(1);
    expect(metrics.get("misp_enrichd_misp_requests_total", { endpoint: "objects/add", outcome: "exists" })).toBe(1);
  });

  it("adds a standalone attribute, and calls a second add of the same uuid existing even though MISP also says 'similar'", async () => {
    const misp = await standin();
    const event = misp.seedEvent();
    const { client: c } = client(misp.url);
    const attribute = {
      uuid: "8b3e5c74-1f20-5d9c-ae6f-4a3b2c1d0e9f",
      type: "domain",
      value: "c2.example",
      toIds: true,
      comment: "misp-enrichd: dns via dns for 198.51.100.23",
      distribution: 5,
      tags: [{ name: "misp-enrichd:dns", local: true }],
    };
    expect(await c.addAttribute(event.uuid, attribute)).toBe("created");
    expect(await c.addAttribute(event.uuid, attribute)).toBe("exists");
    expect(misp.calls[0]?.body).toEqual({
      type: "domain",
      value: "c2.example",
      uuid: attribute.uuid,
      to_ids: true,
      disable_correlation: false,
      distribution: "5",
      comment: attribute.comment,
      Tag: [{ name: "misp-enrichd:dns" }],
    });
    expect(misp.calls[1]?.status).toBe(403);
    expect(misp.state.attributes.filter((a) => a.uuid === attribute.uuid)).toHaveLength(1);
  });

  it("adds a reference every time it is asked to (objectReferences/add never deduplicates)", async () => {
    const misp = await standin();
    const event = misp.seedEvent();
    const source = misp.seedAttribute(event.uuid, { type: "ip-dst", value: "198.51.100.23" });
    const { client: c } = client(misp.url);
    const objectUuid = "6f1c3a52-9d0e-5b7a-8c4d-2e1f0a9b8c7d";
    await c.addObject(event.uuid, geoObject(objectUuid, "7a2d4b63-0e1f-5c8b-9d5e-3f2a1b0c9d8e"));
    await c.addReference(objectUuid, source.uuid, "related-to");
    await c.addReference(objectUuid, source.uuid, "related-to");
    expect(misp.calls.at(-1)?.body).toEqual({ referenced_uuid: source.uuid, relationship_type: "related-to" });
    expect(misp.state.references).toHaveLength(2);
  });

  it("attaches one tag as a string and several as a list, locally or globally, idempotently", async () => {
    const misp = await standin();
    const event = misp.seedEvent();
    const source = misp.seedAttribute(event.uuid, { type: "ip-dst", value: "198.51.100.23" });
    const { client: c } = client(misp.url);
    await c.attachTags(source.uuid, ["misp-enrichd:geo"], true);
    await c.attachTags(source.uuid, ["misp-enrichd:geo", "tlp:green"], false);
    await c.attachTags(source.uuid, [], true);
    expect(misp.calls.map((call) => call.body)).toEqual([
      { uuid: source.uuid, tag: "misp-enrichd:geo", local: 1 },
      { uuid: source.uuid, tag: ["misp-enrichd:geo", "tlp:green"], local: 0 },
    ]);
    expect(misp.state.attributeTags.map((t) => [t.tagName, t.local])).toEqual([
      ["misp-enrichd:geo", true],
      ["tlp:green", false],
    ]);
  });

  it("edits only the fields given, with no timestamp", async () => {
    const misp = await standin();
    const event = misp.seedEvent();
    const source = misp.seedAttribute(event.uuid, { type: "ip-dst", value: "198.51.100.23", comment: "kept" });
    const { client: c } = client(misp.url);
    await c.editAttribute(source.uuid, { distribution: 0, toIds: false });
    expect(misp.calls[0]?.body).toEqual({ distribution: "0", to_ids: false });
    expect(misp.state.attributes[0]).toMatchObject({ distribution: 0, toIds: false, comment: "kept" });
    await expect(c.editAttribute(source.uuid, {})).rejects.toThrow(TypeError);
  });

  it("searches attributes with restSearch and narrows them with their event", async () => {
    const misp = await standin();
    const event = misp.seedEvent({ info: "phishing" });
    misp.seedAttribute(event.uuid, { type: "ip-dst", value: "198.51.100.23" });
    misp.seedAttribute(event.uuid, { type: "domain", value: "c2.example" });
    const { client: c } = client(misp.url);
    const found = await c.searchAttributes({ timestamp: 1, type: ["ip-dst"], limit: 10, page: 1 });
    expect(misp.calls[0]?.body).toEqual({ returnFormat: "json", includeEventUuid: true, timestamp: 1, type: ["ip-dst"], limit: 10, page: 1 });
    expect(found).toHaveLength(1);
    expect(found[0]?.attribute).toMatchObject({ type: "ip-dst", value: "198.51.100.23", eventId: event.id });
    expect(found[0]?.event).toMatchObject({ id: event.id, uuid: event.uuid, info: "phishing", orgcId: 1 });
    expect(await c.searchAttributes({ type: ["sha256"] })).toEqual([]);
  });

  it("in dry-run records every write, sends none, answers as if created, and still reads", async () => {
    const misp = await standin();
    const event = misp.seedEvent();
    const source = misp.seedAttribute(event.uuid, { type: "ip-dst", value: "198.51.100.23" });
    const recorded: unknown[] = [];
    const { client: c, logs, metrics } = client(misp.url, { dryRun: { record: (call) => recorded.push(call) } });
    const objectUuid = "6f1c3a52-9d0e-5b7a-8c4d-2e1f0a9b8c7d";
    expect(await c.addObject(event.uuid, geoObject(objectUuid, "7a2d4b63-0e1f-5c8b-9d5e-3f2a1b0c9d8e"))).toBe("created");
    await c.addReference(objectUuid, source.uuid, "related-to");
    await c.attachTags(source.uuid, ["misp-enrichd:geo"], true);
    await c.editAttribute(source.uuid, { comment: "x" });
    expect(await c.addAttribute(event.uuid, { uuid: "8b3e5c74-1f20-5d9c-ae6f-4a3b2c1d0e9f", type: "domain", value: "a.example", toIds: false, comment: "", distribution: 5, tags: [] })).toBe("created");
    expect((await c.viewAttribute(source.uuid)).attribute.uuid).toBe(source.uuid);
    expect(await c.searchAttributes({ type: ["ip-dst"] })).toHaveLength(1);

    expect(misp.calls.map(line)).toEqual([`GET /attributes/view/${source.uuid}`, "POST /attributes/restSearch"]);
    expect(recorded.map((r) => `${(r as { method: string }).method} ${(r as { path: string }).path}`)).toEqual([
      `POST /objects/add/${event.uuid}/${GEO_TEMPLATE}`,
      `POST /objectReferences/add/${objectUuid}`,
      "POST /tags/attachTagToObject",
      `POST /attributes/edit/${source.uuid}`,
      `POST /attributes/add/${event.uuid}`,
    ]);
    expect(recorded[1]).toEqual({ method: "POST", path: `/objectReferences/add/${objectUuid}`, body: { referenced_uuid: source.uuid, relationship_type: "related-to" } });
    expect(logs.find("would call")).toHaveLength(5);
    expect(misp.state.objects).toHaveLength(0);
    expect(metrics.get("misp_enrichd_misp_requests_total", { endpoint: "objects/add", outcome: "dry_run" })).toBe(1);
    expect(metrics.total("misp_enrichd_objects_written_total")).toBe(0);
  });

  it("closes idempotently", async () => {
    const misp = await standin();
    const { client: c } = client(misp.url);
    await c.getVersion();
    const first = c.close();
    expect(c.close()).toBe(first);
    await first;
  });
});
