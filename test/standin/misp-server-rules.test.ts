// The stand-in's answers to the calls the daemon makes, against rest.md and what a real MISP 2.5.1
// answered (docs/real-misp-observations.md): status, shape and MISP's exact texts.

import { describe, expect, it } from "vitest";
import { GEO_TEMPLATE, standin, V2_ONION, V3_ONION } from "../misp/helpers.js";
import { call, geo, keys, numbersIn, withEvent } from "./helpers.js";

describe("MISP stand-in: attributes", () => {
  it("reports a duplicate uuid with both the value and the uuid error, value first", async () => {
    const { misp, event } = await withEvent();
    const body = { type: "domain", value: "c2.example", uuid: crypto.randomUUID(), to_ids: false, distribution: "5" };
    const first = await call(misp.url, "POST", `/attributes/add/${event.uuid}`, body);
    expect(keys(first.json)).toEqual(["Attribute", "AttributeTag"]);
    expect(first.json).toMatchObject({ Attribute: { category: "Network activity", value1: "c2.example", uuid: body.uuid } });
    const again = await call(misp.url, "POST", `/attributes/add/${event.uuid}`, body);
    expect(again.json).toEqual({
      saved: false,
      name: "Could not add Attribute",
      message: "Could not add Attribute",
      url: "/attributes/add",
      errors: { value: ["A similar attribute already exists for this event."], uuid: ["The UUID provided is not unique"] },
    });
    const similar = await call(misp.url, "POST", `/attributes/add/${event.uuid}`, { type: "domain", value: "c2.example" });
    expect((similar.json as { errors: unknown }).errors).toEqual({ value: ["A similar attribute already exists for this event."] });
  });

  it("refuses a v3 onion-address with the object-shaped errors of attributes/add, and defaults to_ids from the type", async () => {
    const { misp, event } = await withEvent();
    const v3 = await call(misp.url, "POST", `/attributes/add/${event.uuid}`, { type: "onion-address", value: V3_ONION });
    expect(v3).toMatchObject({ status: 403, json: { errors: { value: ["Onion address has an invalid format."] } } });
    const v2 = await call(misp.url, "POST", `/attributes/add/${event.uuid}`, { type: "onion-address", value: V2_ONION.toUpperCase() });
    expect(v2.json).toMatchObject({ Attribute: { value: V2_ONION, to_ids: true, category: "Network activity" } });
  });

  it("attaches inline tags of attributes/add globally, whatever their local flag says", async () => {
    const { misp, event } = await withEvent();
    const answer = await call(misp.url, "POST", `/attributes/add/${event.uuid}`, { type: "domain", value: "a.example", Tag: [{ name: "misp-enrichd:test", local: true }] });
    expect((answer.json as { AttributeTag: { local: boolean }[] }).AttributeTag[0]?.local).toBe(false);
    expect(misp.state.attributeTags.at(-1)).toMatchObject({ tagName: "misp-enrichd:test", local: false });
  });

  it("adds a batch, answering 200 with the errors of the ones it refused", async () => {
    const { misp, event } = await withEvent();
    const answer = await call(misp.url, "POST", `/attributes/add/${event.uuid}`, [{ type: "domain", value: "b.example" }, { type: "ip-dst", value: "nope" }]);
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ Attribute: [{ value: "b.example" }], errors: { attribute_1: { value: ["IP address has an invalid format."] } } });
  });

  it("refuses distribution 4 without a sharing group", async () => {
    const { misp, event } = await withEvent();
    expect(await call(misp.url, "POST", `/attributes/add/${event.uuid}`, { type: "domain", value: "d.example", distribution: "4" })).toMatchObject({ status: 403, json: { name: "Invalid Sharing Group or not authorised." } });
  });

  it("views an attribute with event_uuid and tags, 405 when unknown, and answers HEAD with the status only", async () => {
    const { misp, source } = await withEvent();
    const plain = await call(misp.url, "GET", `/attributes/view/${source.uuid}`);
    expect(keys((plain.json as { Attribute: object }).Attribute)).toEqual([
      "id", "event_id", "object_id", "object_relation", "category", "type", "to_ids", "uuid", "timestamp", "distribution", "sharing_group_id",
      "comment", "deleted", "disable_correlation", "first_seen", "last_seen", "value", "event_uuid",
    ]);
    await call(misp.url, "POST", "/tags/attachTagToObject", { uuid: source.uuid, tag: "misp-enrichd:geo", local: 1 });
    const tagged = await call(misp.url, "GET", `/attributes/view/${source.id}`);
    expect((tagged.json as { Attribute: { Tag: object[] } }).Attribute.Tag).toEqual([{ id: expect.any(String), name: "misp-enrichd:geo", colour: expect.any(String), numerical_value: null, is_galaxy: false, local: true }]);
    expect(await call(misp.url, "GET", `/attributes/view/${crypto.randomUUID()}`)).toMatchObject({ status: 405, json: { name: "Invalid attribute" } });
    const head = await call(misp.url, "HEAD", `/attributes/view/${source.uuid}`);
    expect([head.status, head.text, head.headers["content-type"]]).toEqual([200, "", "text/html; charset=UTF-8"]);
    expect((await call(misp.url, "HEAD", `/attributes/view/${crypto.randomUUID()}`)).status).toBe(404);
  });

  it("edits only what it is sent, refuses a stale timestamp with 405, and an unknown attribute with 404", async () => {
    const { misp, source } = await withEvent();
    const edited = await call(misp.url, "POST", `/attributes/edit/${source.uuid}`, { distribution: "0" });
    expect(edited.json).toMatchObject({ Attribute: { distribution: "0", value: "198.51.100.23" } });
    expect(edited.json).not.toHaveProperty("Attribute.value1");
    const stale = await call(misp.url, "POST", `/attributes/edit/${source.uuid}`, { distribution: "1", timestamp: "1000000000" });
    expect(stale).toMatchObject({ status: 405, json: { name: "Attribute could not be saved: Attribute in the request not newer than the local copy." } });
    expect((await call(misp.url, "POST", `/attributes/edit/${crypto.randomUUID()}`, { distribution: "1" })).status).toBe(404);
  });

  it("finds attributes with restSearch, with the event summary and no result-count header", async () => {
    const { misp, event } = await withEvent();
    const answer = await call(misp.url, "POST", "/attributes/restSearch", { returnFormat: "json", type: ["ip-dst"], includeEventUuid: true, timestamp: "1d" });
    const [row] = (answer.json as { response: { Attribute: Record<string, unknown>[] } }).response.Attribute;
    expect(row).toMatchObject({ type: "ip-dst", event_uuid: event.uuid });
    expect(keys(row?.Event)).toEqual(["org_id", "distribution", "publish_timestamp", "id", "info", "orgc_id", "uuid"]);
    expect(answer.headers["x-result-count"]).toBeUndefined();
    expect(numbersIn(answer.json)).toEqual([]);
  });
});

describe("MISP stand-in: references, tags, events/view", () => {
  async function withObject() {
    const setup = await withEvent();
    const objectUuid = crypto.randomUUID();
    await call(setup.misp.url, "POST", `/objects/add/${setup.event.uuid}/${GEO_TEMPLATE}`, geo(objectUuid, [{ relation: "country", value: "LU" }]));
    return { ...setup, objectUuid };
  }

  it("always creates a reference with a server uuid and refuses targets outside the event", async () => {
    const { misp, source, objectUuid } = await withObject();
    const path = `/objectReferences/add/${objectUuid}`;
    const clientUuid = crypto.randomUUID();
    const first = await call(misp.url, "POST", path, { referenced_uuid: source.uuid, relationship_type: "related-to", uuid: clientUuid });
    expect(keys((first.json as { ObjectReference: object }).ObjectReference)).toEqual([
      "id", "uuid", "timestamp", "object_id", "event_id", "source_uuid", "referenced_uuid", "referenced_id", "referenced_type", "relationship_type", "comment", "deleted", "object_uuid",
    ]);
    expect(first.json).toMatchObject({ ObjectReference: { referenced_type: "0", source_uuid: objectUuid, object_uuid: objectUuid } });
    expect((first.json as { ObjectReference: { uuid: string } }).ObjectReference.uuid).not.toBe(clientUuid);
    await call(misp.url, "POST", path, { ObjectReference: { referenced_uuid: source.uuid, relationship_type: "related-to" } });
    expect(misp.state.references).toHaveLength(2);

    const other = misp.seedEvent();
    const elsewhere = misp.seedAttribute(other.uuid, { type: "domain", value: "x.example" });
    expect((await call(misp.url, "POST", path, { referenced_uuid: elsewhere.uuid, relationship_type: "r" })).json).toMatchObject({ name: "Invalid target. Target has to be within the same event or extending it." });
    expect(await call(misp.url, "POST", path, { referenced_uuid: crypto.randomUUID(), relationship_type: "r" })).toMatchObject({ status: 404, json: { name: "Invalid target." } });
    expect(await call(misp.url, "POST", `/objectReferences/add/${crypto.randomUUID()}`, { referenced_uuid: source.uuid })).toMatchObject({ status: 404, json: { name: "Invalid object." } });
    expect(await call(misp.url, "POST", "/objectReferences/add", { referenced_uuid: source.uuid })).toMatchObject({ status: 404, json: { name: "No object defined." } });
  });

  it("attaches tags idempotently to attributes and events, with MISP's messages", async () => {
    const { misp, event, source } = await withEvent();
    const attach = (body: object) => call(misp.url, "POST", "/tags/attachTagToObject", body);
    expect((await attach({ uuid: source.uuid, tag: "misp-enrichd:geo", local: 1 })).json).toEqual({
      saved: true,
      success: true,
      name: "Local tag misp-enrichd:geo(101) successfully attached to Attribute(1001).",
      message: "Local tag misp-enrichd:geo(101) successfully attached to Attribute(1001).",
      url: "/tags/attachTagToObject",
    });
    expect((await attach({ uuid: source.uuid, tag: "misp-enrichd:geo", local: 1 })).json).toMatchObject({ name: "Attribute already has the requested tag attached, no changes had to be made for tag misp-enrichd:geo." });
    expect((await attach({ uuid: source.uuid, tag: ["misp-enrichd:geo", "misp-enrichd:new"], local: 1 })).json).toMatchObject({
      name: 'Successfully attached 2 tags to Attribute (1001). 1001 already has the requested tag attached, no changes had to be made for tags ["misp-enrichd:geo"].',
    });
    expect((await attach({ uuid: source.uuid, tag: "misp-enrichd:global", local: 0 })).json).toMatchObject({ name: "Global tag misp-enrichd:global(103) successfully attached to Attribute(1001)." });
    expect((await attach({ uuid: event.uuid, tag: "misp-enrichd:geo", local: 1 })).json).toMatchObject({ name: `Local tag misp-enrichd:geo(101) successfully attached to Event(${event.id}).` });
    expect(misp.state.attributeTags.map((t) => [t.tagName, t.local])).toEqual([
      ["misp-enrichd:geo", true],
      ["misp-enrichd:new", true],
      ["misp-enrichd:global", false],
    ]);
    expect(misp.state.eventTags).toEqual([expect.objectContaining({ tagName: "misp-enrichd:geo", local: true })]);
  });

  it("refuses unknown, object and malformed targets as MISP does", async () => {
    const { misp, objectUuid } = await withObject();
    const attach = (uuid: string) => call(misp.url, "POST", "/tags/attachTagToObject", { uuid, tag: "x:y", local: 1 });
    expect(await attach(crypto.randomUUID())).toMatchObject({ status: 404, json: { name: "Invalid Target." } });
    expect(await attach(objectUuid)).toMatchObject({ status: 404, json: { name: "Invalid Target." } });
    expect(await attach("not-a-uuid")).toMatchObject({ status: 500, json: { name: "An Internal Error Has Occurred.", message: "An Internal Error Has Occurred." } });
  });

  it("refuses local tags to users outside the host org, and global tags to users outside the creator org", async () => {
    const misp = await standin({ hostOrgId: 1, orgId: 2 });
    const event = misp.seedEvent({ orgcId: 1 });
    const source = misp.seedAttribute(event.uuid, { type: "ip-dst", value: "198.51.100.23" });
    const local = await call(misp.url, "POST", "/tags/attachTagToObject", { uuid: source.uuid, tag: "misp-enrichd:geo", local: 1 });
    expect(local.json).toEqual({
      saved: false,
      name: "Could not attachTagToObject Tag",
      message: "Could not attachTagToObject Tag",
      url: "/tags/attachTagToObject",
      errors: 'Failed to attach 1 tags. Reasons: {"0":"Local tags can only be added by users of the host organisation."}',
    });
    const global = await call(misp.url, "POST", "/tags/attachTagToObject", { uuid: source.uuid, tag: "misp-enrichd:geo", local: 0 });
    expect(global).toMatchObject({ status: 403, json: { name: "Cannot alter the tags of this data, only the organisation that has created the data (orgc) can modify global tags." } });
    expect(keys(global.json)).toEqual(["name", "message", "url"]);
    // Inline tags on objects/add skip the host-org check (rest.md §2, observed).
    const own = misp.seedEvent({ orgcId: 2 });
    await call(misp.url, "POST", `/objects/add/${own.uuid}/${GEO_TEMPLATE}`, geo(crypto.randomUUID(), [{ relation: "country", value: "LU", tags: [{ name: "m:x", local: true }] }]));
    expect(misp.state.attributeTags).toEqual([expect.objectContaining({ tagName: "m:x", local: true })]);
  });

  it("matches tag names with LIKE wildcards and removes tags", async () => {
    const { misp, source } = await withEvent();
    await call(misp.url, "POST", "/tags/attachTagToObject", { uuid: source.uuid, tag: "misp-enrichd:geo", local: 1 });
    await call(misp.url, "POST", "/tags/attachTagToObject", { uuid: source.uuid, tag: "misp_enrichd:geo", local: 1 });
    expect(misp.state.tags).toHaveLength(1);
    const removed = await call(misp.url, "POST", "/tags/removeTagFromObject", { uuid: source.uuid, tag: "misp-enrichd:geo" });
    expect(removed.json).toMatchObject({ saved: true, name: `Local tag misp-enrichd:geo (101) successfully removed from Attribute(${source.id}).` });
    expect(misp.state.attributeTags).toEqual([]);
    expect(await call(misp.url, "POST", "/tags/removeTagFromObject", { uuid: source.uuid, tag: "misp-enrichd:geo" })).toMatchObject({ status: 404 });
  });

  it("shows events with objects, references and target summaries, without a Tag key when untagged", async () => {
    const { misp, event, source, objectUuid } = await withObject();
    await call(misp.url, "POST", `/objectReferences/add/${objectUuid}`, { referenced_uuid: source.uuid, relationship_type: "related-to" });
    const answer = await call(misp.url, "GET", `/events/view/${event.uuid}/includeAttachments:0`);
    const view = (answer.json as { Event: Record<string, unknown> & { Object: { ObjectReference: Record<string, unknown>[] }[] } }).Event;
    expect(keys(view)).toEqual([
      "id", "orgc_id", "org_id", "date", "threat_level_id", "info", "published", "uuid", "attribute_count", "analysis", "timestamp", "distribution",
      "proposal_email_lock", "locked", "publish_timestamp", "sharing_group_id", "disable_correlation", "extends_uuid", "protected", "event_creator_email",
      "Org", "Orgc", "Attribute", "ShadowAttribute", "RelatedEvent", "Galaxy", "Object", "EventReport", "CryptographicKey",
    ]);
    expect(view.Object[0]?.ObjectReference[0]).toMatchObject({ referenced_uuid: source.uuid, source_uuid: objectUuid, Attribute: { uuid: source.uuid, value: "198.51.100.23", type: "ip-dst" } });
    expect(numbersIn(answer.json)).toEqual([]);
    expect(await call(misp.url, "GET", `/events/view/${crypto.randomUUID()}`)).toMatchObject({ status: 404, json: { name: "Invalid event" } });
  });

  it("answers HEAD and GET /objects/view", async () => {
    const { misp, objectUuid } = await withObject();
    expect((await call(misp.url, "HEAD", `/objects/view/${objectUuid}`)).status).toBe(200);
    expect((await call(misp.url, "HEAD", `/objects/view/${crypto.randomUUID()}`)).status).toBe(404);
    expect((await call(misp.url, "GET", `/objects/view/${objectUuid}`)).json).toMatchObject({ Object: { uuid: objectUuid, Event: { uuid: expect.any(String) }, Attribute: [{ object_relation: "country" }] } });
    expect(await call(misp.url, "GET", `/objects/view/${crypto.randomUUID()}`)).toMatchObject({ status: 404, json: { name: "Invalid object." } });
  });
});
