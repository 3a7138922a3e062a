// The stand-in's answers to objects/add, against rest.md and what a real MISP 2.5.1
// answered (docs/real-misp-observations.md): status, shape and MISP's exact texts.

import { describe, expect, it } from "vitest";
import { GEO_TEMPLATE, standin, TOR_HS_TEMPLATE, V2_ONION, V3_ONION } from "../misp/helpers.js";
import { call, geo, keys, numbersIn, withEvent } from "./helpers.js";

describe("MISP stand-in: objects/add", () => {
  it("creates the object with client uuids, metadata from the template, string ints and no references", async () => {
    const { misp, event, source } = await withEvent();
    const objectUuid = crypto.randomUUID();
    const body = geo(objectUuid, [{ relation: "country", value: "Luxembourg" }, { relation: "latitude", type: "float", value: "49.6" }], {
      ObjectReference: [{ referenced_uuid: source.uuid, relationship_type: "related-to" }],
    });
    const answer = await call(misp.url, "POST", `/objects/add/${event.uuid}/${GEO_TEMPLATE}`, body);
    expect(answer.status).toBe(200);
    const object = (answer.json as { Object: Record<string, unknown> & { Attribute: Record<string, unknown>[] } }).Object;
    expect(object).toMatchObject({ uuid: objectUuid, template_version: "7", event_id: String(event.id), distribution: "5", sharing_group_id: "0", comment: "misp-enrichd: test" });
    expect(object.Attribute.map((a) => [a.object_relation, a.category, a.value1, a.value2])).toEqual([
      ["country", "Other", "Luxembourg", ""],
      ["latitude", "Other", "49.6", ""],
    ]);
    expect(numbersIn(answer.json)).toEqual([]);
    expect(misp.state.references).toEqual([]);
  });

  it("answers 404 Invalid template. for a template uuid it lacks, and 404 Invalid event. for an unknown event", async () => {
    const { misp, event } = await withEvent();
    const body = geo(crypto.randomUUID(), [{ relation: "country", value: "LU" }]);
    const template = await call(misp.url, "POST", `/objects/add/${event.uuid}/7b726ab0-d8ce-431c-a39c-9e9fb450220d`, body);
    expect(template).toMatchObject({ status: 404, json: { name: "Invalid template.", message: "Invalid template." } });
    const unknown = await call(misp.url, "POST", `/objects/add/${crypto.randomUUID()}/${GEO_TEMPLATE}`, body);
    expect(unknown).toMatchObject({ status: 404, json: { name: "Invalid event." } });
  });

  it("checks required, requiredOneOf and the multiple flag, and nothing else", async () => {
    const { misp, event } = await withEvent();
    const oneOf = await call(misp.url, "POST", `/objects/add/${event.uuid}/${GEO_TEMPLATE}`, geo(crypto.randomUUID(), [{ relation: "address", value: "1 rue" }]));
    expect(oneOf).toMatchObject({
      status: 403,
      json: { saved: false, name: "Could not add Object", message: "Could not add Object", url: "/objects/add", errors: "Could not save the object as it requires at least one of the following attributes to be set: latitude, longitude, city, region, country, countrycode, epsg" },
    });
    expect(keys(oneOf.json)).toEqual(["saved", "name", "message", "url", "errors"]);
    const hidden = { Object: { uuid: crypto.randomUUID(), Attribute: [{ object_relation: "title", type: "text", value: "t" }] } };
    const required = await call(misp.url, "POST", `/objects/add/${event.uuid}/${TOR_HS_TEMPLATE}`, hidden);
    expect((required.json as { errors: string }).errors).toBe("Could not save the object as a required attribute is not set (address)");
    const twice = await call(misp.url, "POST", `/objects/add/${event.uuid}/${GEO_TEMPLATE}`, geo(crypto.randomUUID(), [{ relation: "country", value: "LU" }, { relation: "country", value: "BE" }]));
    expect((twice.json as { errors: string }).errors).toMatch(/^Could not save the object as a unique relationship/);
    // Types and unknown relations are not checked against the template.
    const loose = await call(misp.url, "POST", `/objects/add/${event.uuid}/${GEO_TEMPLATE}`, geo(crypto.randomUUID(), [{ relation: "country", type: "comment", value: "LU" }, { relation: "made-up", value: "x" }]));
    expect(loose.status).toBe(200);
  });

  it("refuses an object with no attributes, naming event and local template ids", async () => {
    const { misp, event } = await withEvent();
    const answer = await call(misp.url, "POST", `/objects/add/${event.uuid}/${GEO_TEMPLATE}`, geo(crypto.randomUUID(), []));
    expect(answer).toMatchObject({ status: 403, json: { name: "Could not add object", url: `/objects/add/${event.id}/1`, id: `${event.id}/1`, errors: "Could not save the object as no attributes were set." } });
  });

  it("refuses a duplicate: by its attributes (the last failing relation), or by its object uuid, saving nothing", async () => {
    const { misp, event } = await withEvent();
    const objectUuid = crypto.randomUUID();
    const attrs = [
      { relation: "latitude", type: "float", value: "49.6", uuid: crypto.randomUUID() },
      { relation: "country", value: "LU", uuid: crypto.randomUUID() },
    ];
    const path = `/objects/add/${event.uuid}/${GEO_TEMPLATE}`;
    expect((await call(misp.url, "POST", path, geo(objectUuid, attrs))).status).toBe(200);
    const again = await call(misp.url, "POST", path, geo(objectUuid, attrs));
    expect(again.json).toEqual({
      saved: false,
      name: "Could not add object",
      message: "Could not add object",
      url: `/objects/add/${event.id}/1`,
      errors: 'Could not save object as at least one attribute has failed validation (country). {"uuid":["The UUID provided is not unique"]}',
      id: `${event.id}/1`,
    });
    const fresh = await call(misp.url, "POST", path, geo(objectUuid, attrs.map((a) => ({ ...a, uuid: crypto.randomUUID() }))));
    expect(fresh).toMatchObject({ status: 403, json: { name: "Could not add Object", url: "/objects/add", errors: "Object could not be saved.\nuuid: The UUID provided is not unique" } });
    expect(fresh.json).not.toHaveProperty("id");
    expect(misp.state.objects).toHaveLength(1);
    expect(misp.state.attributes.filter((a) => a.objectId !== 0)).toHaveLength(2);
  });

  it("counts soft-deleted attributes when it checks uuid uniqueness", async () => {
    const { misp, event } = await withEvent();
    const uuid = crypto.randomUUID();
    const path = `/objects/add/${event.uuid}/${GEO_TEMPLATE}`;
    await call(misp.url, "POST", path, geo(crypto.randomUUID(), [{ relation: "country", value: "LU", uuid }]));
    await call(misp.url, "POST", `/attributes/edit/${uuid}`, { deleted: true });
    const answer = await call(misp.url, "POST", path, geo(crypto.randomUUID(), [{ relation: "country", value: "LU", uuid }]));
    expect((answer.json as { errors: string }).errors).toContain("The UUID provided is not unique");
  });

  it("refuses a 56-character onion-address as MISP 2.5.1 does, and takes it as text or as a v2 address", async () => {
    const { misp, event } = await withEvent();
    const path = `/objects/add/${event.uuid}/${TOR_HS_TEMPLATE}`;
    const hidden = (type: string, value: string) => ({ Object: { uuid: crypto.randomUUID(), Attribute: [{ object_relation: "address", type, value }, { object_relation: "title", type: "text", value: "t" }] } });
    const v3 = await call(misp.url, "POST", path, hidden("onion-address", V3_ONION));
    expect(v3).toMatchObject({
      status: 403,
      json: { name: "Could not add object", errors: 'Could not save object as at least one attribute has failed validation (address). {"value":["Onion address has an invalid format."]}' },
    });
    expect(misp.state.objects).toHaveLength(0);
    expect((await call(misp.url, "POST", path, hidden("text", V3_ONION))).status).toBe(200);
    expect((await call(misp.url, "POST", path, hidden("onion-address", V2_ONION))).status).toBe(200);
    const fixed = await standin({ rejectV3Onions: false });
    const fixedEvent = fixed.seedEvent();
    expect((await call(fixed.url, "POST", `/objects/add/${fixedEvent.uuid}/${TOR_HS_TEMPLATE}`, hidden("onion-address", V3_ONION))).status).toBe(200);
  });

  it("takes the template from the body only on an exact version match, else demands all five fields", async () => {
    const { misp, event } = await withEvent();
    const body = { Object: { name: "geolocation", template_uuid: GEO_TEMPLATE, template_version: "99", uuid: crypto.randomUUID(), Attribute: [{ object_relation: "latitude", type: "float", value: "1.5" }] } };
    const answer = await call(misp.url, "POST", `/objects/add/${event.uuid}`, body);
    expect((answer.json as { errors: string }).errors).toBe("Object could not be saved.\ntemplate: No valid template found and object lacking template information. (meta-category)");
    const exact = { Object: { ...body.Object, template_version: "7", uuid: crypto.randomUUID() } };
    expect((await call(misp.url, "POST", `/objects/add/${event.uuid}`, exact)).status).toBe(200);
  });

  it("refuses writes into another organisation's event, and object writes without perm_modify", async () => {
    const misp = await standin();
    const theirs = misp.seedEvent({ orgcId: 5 });
    const body = geo(crypto.randomUUID(), [{ relation: "country", value: "LU" }]);
    expect(await call(misp.url, "POST", `/objects/add/${theirs.uuid}/${GEO_TEMPLATE}`, body)).toMatchObject({ status: 403, json: { name: "You do not have permission to do that." } });
    const reader = await standin({ role: { permModify: false } });
    const event = reader.seedEvent();
    const answer = await call(reader.url, "POST", `/objects/add/${event.uuid}/${GEO_TEMPLATE}`, body);
    expect(answer).toMatchObject({ status: 403, json: { name: "You don&#039;t have permissions to create objects." } });
  });
});
