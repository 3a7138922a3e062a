#!/usr/bin/env node
// Record what a REAL MISP does for every call misp-enrichd makes, so the test suite's MISP stand-in can be
// checked against it. Not part of `npm test` (CI has no MISP); run it by hand from the repo root:
//
//   BASE=http://127.0.0.1:18081 KEY=<40-char admin key> ZMQ_URL=tcp://127.0.0.1:50011 \
//     node scripts/real-misp/capture.mjs [OUT_DIR]
//
// OUT_DIR defaults to test/fixtures/real-misp. One pretty JSON file per step:
//   {step, title, request: {method, path, headers, body}, response: {status, contentType, headers, body, ms},
//    zmqFrames: [{topic, parts, msAfterRequestSent, json}]}
// The API keys are replaced by "<KEY>" / "<KEY2>" everywhere; uuids are kept.
// The key must belong to a site admin of MISP.host_org_id (step j creates an organisation and a user).
// Uses only node built-ins, the `zeromq` package and recorder.mjs. Traffic goes to BASE and ZMQ_URL only.

import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createRecorder } from "./recorder.mjs";

const BASE = (process.env.BASE ?? process.argv[2] ?? "").replace(/\/+$/, "");
const KEY = process.env.KEY ?? process.argv[3];
const ZMQ_URL = process.env.ZMQ_URL ?? process.argv[4];
const OUT = process.env.OUT_DIR ?? (process.argv.length > 5 ? process.argv[5] : "test/fixtures/real-misp");
if (!BASE || !KEY || !ZMQ_URL) {
  console.error("usage: BASE=http://127.0.0.1:PORT KEY=<key> ZMQ_URL=tcp://127.0.0.1:PORT node scripts/real-misp/capture.mjs [OUT_DIR]");
  process.exit(2);
}
const ZMQ_WINDOW_MS = Number(process.env.ZMQ_WINDOW_MS ?? 1500);

const { step, scrub, results, heartbeats, secrets, close } = createRecorder({ BASE, KEY, ZMQ_URL, OUT, ZMQ_WINDOW_MS });

// ---------------------------------------------------------------------------------------------- the run
const run = Date.now().toString(36);
const uuid = () => randomUUID();
const GEO = "cd6f2238-ba55-4888-82c4-104e6e1acf21";
const TOR_HS = "cbac07d6-fbe9-43b8-8d91-d515812ce330";
const ONION_V3 = "vugqd7hwj3rgope5bi7cj2vvsahm5l3agevcgnfxv2rbjlb42ueqaaid.onion";
const ONION_V2 = "expyuzz4wqqyqhjn.onion";
const WRONG_KEY = "wrongkey0000000000000000000000000000000z";

await sleep(1200); // ZeroMQ slow joiner: be connected before the first action

// a. version, self, auth and Accept variants
const ver = await step("a1-getVersion", "GET /servers/getVersion", "GET", "/servers/getVersion");
const me = await step("a2-users-view-me", "GET /users/view/me", "GET", "/users/view/me");
await step("a3-wrong-key", "GET /servers/getVersion with a wrong 40-char key", "GET", "/servers/getVersion", { key: WRONG_KEY });
await step("a3b-no-key", "GET /servers/getVersion without Authorization", "GET", "/servers/getVersion", { headers: { Authorization: null } });
await step("a4-accept-html", "GET /servers/getVersion with Accept: text/html", "GET", "/servers/getVersion", { headers: { Accept: "text/html" } });
await step("a4b-accept-html-users-view-me", "GET /users/view/me with Accept: text/html", "GET", "/users/view/me", { headers: { Accept: "text/html" } });
await step("a4c-no-accept", "GET /users/view/me without an Accept header", "GET", "/users/view/me", { headers: { Accept: null } });
await step("a5-accept-json-charset", 'GET /servers/getVersion with Accept: "application/json; charset=utf-8"', "GET", "/servers/getVersion", {
  headers: { Accept: "application/json; charset=utf-8" },
});
await step("a5b-accept-json-charset-users-view-me", 'GET /users/view/me with Accept: "application/json; charset=utf-8"', "GET", "/users/view/me", {
  headers: { Accept: "application/json; charset=utf-8" },
});

// b. event + standalone attribute, duplicate uuid, similar attribute
const ev = await step("b1-events-add", "POST /events/add (distribution 1 so that step j's other org can see it)", "POST", "/events/add", {
  body: { Event: { info: `misp-enrichd real-MISP capture ${run}`, distribution: 1, threat_level_id: 4, analysis: 0 } },
});
const eventUuid = ev.body.Event.uuid;
const attrUuid = uuid();
const attrBody = {
  type: "ip-dst",
  category: "Network activity",
  value: "198.51.100.23",
  to_ids: false,
  distribution: "5",
  comment: "misp-enrichd capture",
  uuid: attrUuid,
  disable_correlation: false,
};
await step("b2-attributes-add", "POST /attributes/add/{eventUuid} with a client uuid", "POST", `/attributes/add/${eventUuid}`, { body: attrBody });
await step("b3-attributes-add-duplicate-uuid", "the same body again (duplicate uuid)", "POST", `/attributes/add/${eventUuid}`, { body: attrBody });
const { uuid: _u, ...similar } = attrBody;
await step("b4-attributes-add-similar", "same type+value, no uuid (similar attribute)", "POST", `/attributes/add/${eventUuid}`, { body: similar });
const taggedAttrUuid = uuid();
await step("b5-attributes-add-inline-local-tag", "attributes/add with an inline Tag {local: true} (is local honoured?)", "POST", `/attributes/add/${eventUuid}`, {
  body: { type: "domain", value: `inline-tag-${run}.example`, uuid: taggedAttrUuid, Tag: [{ name: "misp-enrichd:test", local: true }] },
});

// c. views
await step("c1-attributes-view", "GET /attributes/view/{uuid}", "GET", `/attributes/view/${attrUuid}`);
await step("c2-attributes-view-unknown", "GET /attributes/view/{unknown uuid}", "GET", `/attributes/view/${uuid()}`);
await step("c3-events-view", "GET /events/view/{uuid}/includeAttachments:0", "GET", `/events/view/${eventUuid}/includeAttachments:0`);
await step("c4-events-view-unknown", "GET /events/view/{unknown uuid}/includeAttachments:0", "GET", `/events/view/${uuid()}/includeAttachments:0`);
await step("c5-attributes-view-inline-tag", "GET /attributes/view of the b5 attribute (inline-tag locality)", "GET", `/attributes/view/${taggedAttrUuid}`);

// d. objects
const objUuid = uuid();
const geoAttrUuids = [uuid(), uuid(), uuid()];
const marker = [{ name: "misp-enrichd:test", local: true }];
const geoObject = (oUuid, aUuids) => ({
  Object: {
    name: "geolocation",
    "meta-category": "misc",
    description: "An object to describe a geographic location.",
    template_uuid: GEO,
    template_version: "8",
    uuid: oUuid,
    distribution: "5",
    comment: "enriched-by:misp-enrichd/geoip_city",
    Attribute: [
      { object_relation: "latitude", type: "float", value: "49.6117", uuid: aUuids[0], distribution: "5", to_ids: false, comment: "enriched-by:misp-enrichd", Tag: marker },
      { object_relation: "longitude", type: "float", value: "6.1300", uuid: aUuids[1], distribution: "5", to_ids: false, comment: "enriched-by:misp-enrichd", Tag: marker },
      { object_relation: "country", type: "text", value: "Luxembourg", uuid: aUuids[2], distribution: "5", to_ids: false, comment: "enriched-by:misp-enrichd", Tag: marker },
    ],
  },
});
const objPath = `/objects/add/${eventUuid}/${GEO}`;
await step("d1-objects-add", "POST /objects/add/{eventUuid}/{geolocation template uuid} with client uuids, inline local tag, comment", "POST", objPath, {
  body: geoObject(objUuid, geoAttrUuids),
  window: 2000,
});
await step("d1b-attributes-view-object-attr", "GET /attributes/view of a d1 object attribute (is the inline local tag local?)", "GET", `/attributes/view/${geoAttrUuids[0]}`);
await step("d2-objects-add-duplicate", "the same request again (same object uuid, same attribute uuids)", "POST", objPath, { body: geoObject(objUuid, geoAttrUuids) });
await step("d2b-objects-view-head", "HEAD /objects/view/{object uuid}", "HEAD", `/objects/view/${objUuid}`);
await step("d2c-objects-view-head-unknown", "HEAD /objects/view/{unknown uuid}", "HEAD", `/objects/view/${uuid()}`);
await step("d3-objects-add-dup-object-fresh-attrs", "same object uuid, fresh attribute uuids", "POST", objPath, { body: geoObject(objUuid, [uuid(), uuid(), uuid()]) });
await step("d4-objects-add-unknown-template", "objects/add with an unknown template uuid in the URL", "POST", `/objects/add/${eventUuid}/${uuid()}`, {
  body: geoObject(uuid(), [uuid(), uuid(), uuid()]),
});
await step("d5-objects-add-no-required", "geolocation with none of its requiredOneOf attributes (address + text only)", "POST", objPath, {
  body: {
    Object: {
      name: "geolocation",
      uuid: uuid(),
      distribution: "5",
      comment: "enriched-by:misp-enrichd",
      Attribute: [
        { object_relation: "address", type: "text", value: "1 rue de la Gare", uuid: uuid() },
        { object_relation: "text", type: "text", value: "no coordinates", uuid: uuid() },
      ],
    },
  },
});
await step("d6-objects-add-no-attributes", "geolocation with an empty Attribute list", "POST", objPath, {
  body: { Object: { name: "geolocation", uuid: uuid(), distribution: "5", Attribute: [] } },
});
await step("d7-objects-add-body-template-version-mismatch", "no template in the URL; body template_uuid + a template_version the instance lacks (99)", "POST", `/objects/add/${eventUuid}`, {
  body: { Object: { name: "geolocation", template_uuid: GEO, template_version: "99", uuid: uuid(), Attribute: [{ object_relation: "latitude", type: "float", value: "1.5", uuid: uuid() }] } },
});

// e. references
const refBody = { referenced_uuid: attrUuid, relationship_type: "related-to" };
await step("e1-objectReferences-add", "POST /objectReferences/add/{objectUuid} -> attribute uuid", "POST", `/objectReferences/add/${objUuid}`, { body: refBody });
await step("e2-objectReferences-add-again", "the same reference again", "POST", `/objectReferences/add/${objUuid}`, { body: refBody });
const ev2 = await step("e3a-setup-events-add-other", "setup: a second event (distribution 0)", "POST", "/events/add", {
  body: { Event: { info: `misp-enrichd capture other event ${run}`, distribution: 0, threat_level_id: 4, analysis: 0 } },
});
const otherAttrUuid = uuid();
await step("e3b-setup-attributes-add-other", "setup: an attribute in the second event", "POST", `/attributes/add/${ev2.body.Event.uuid}`, {
  body: { type: "ip-dst", value: "203.0.113.9", uuid: otherAttrUuid },
});
await step("e3-objectReferences-add-other-event", "reference to an attribute of another event", "POST", `/objectReferences/add/${objUuid}`, {
  body: { referenced_uuid: otherAttrUuid, relationship_type: "related-to" },
});
await step("e4-objectReferences-add-unknown-object", "reference from an unknown object uuid", "POST", `/objectReferences/add/${uuid()}`, { body: refBody });
await step("e5-objectReferences-add-unknown-target", "reference to an unknown referenced uuid", "POST", `/objectReferences/add/${objUuid}`, {
  body: { referenced_uuid: uuid(), relationship_type: "related-to" },
});
await step("e6-events-view-after-references", "GET /events/view/{uuid}/includeAttachments:0 after the references", "GET", `/events/view/${eventUuid}/includeAttachments:0`);

// f. tags
await step("f1-attachTag-local", "attachTagToObject {uuid: attribute, tag, local: 1}", "POST", "/tags/attachTagToObject", {
  body: { uuid: attrUuid, tag: "misp-enrichd:geo", local: 1 },
});
await step("f2-attachTag-local-again", "the same local tag again", "POST", "/tags/attachTagToObject", { body: { uuid: attrUuid, tag: "misp-enrichd:geo", local: 1 } });
await step("f3-attachTag-list", "tag as a list of two names (new tags), local: 1", "POST", "/tags/attachTagToObject", {
  body: { uuid: attrUuid, tag: ["misp-enrichd:list-a", "misp-enrichd:list-b"], local: 1 },
});
await step("f3b-attachTag-list-one-existing", "tag list with one already attached and one new, local: 1", "POST", "/tags/attachTagToObject", {
  body: { uuid: attrUuid, tag: ["misp-enrichd:geo", "misp-enrichd:list-c"], local: 1 },
});
await step("f4-attachTag-global", "local: 0 (global tag)", "POST", "/tags/attachTagToObject", { body: { uuid: attrUuid, tag: "misp-enrichd:global", local: 0 } });
await step("f5-attachTag-unknown-uuid", "unknown (well-formed) uuid", "POST", "/tags/attachTagToObject", { body: { uuid: uuid(), tag: "misp-enrichd:geo", local: 1 } });
await step("f6-attachTag-malformed-uuid", "malformed uuid", "POST", "/tags/attachTagToObject", { body: { uuid: "not-a-uuid", tag: "misp-enrichd:geo", local: 1 } });
await step("f7-attachTag-object-uuid", "an object uuid as target", "POST", "/tags/attachTagToObject", { body: { uuid: objUuid, tag: "misp-enrichd:geo", local: 1 } });
await step("f8-attachTag-event-local", "an event uuid as target, local: 1", "POST", "/tags/attachTagToObject", { body: { uuid: eventUuid, tag: "misp-enrichd:geo", local: 1 } });
await step("f9-attributes-view-after-tags", "GET /attributes/view/{uuid} after the tags", "GET", `/attributes/view/${attrUuid}`);

// g. edits
await step("g1-attributes-edit-distribution", 'POST /attributes/edit/{uuid} {distribution: "0"}', "POST", `/attributes/edit/${attrUuid}`, { body: { distribution: "0" } });
await step("g2-attributes-edit-old-timestamp", "attributes/edit with an old timestamp", "POST", `/attributes/edit/${attrUuid}`, {
  body: { distribution: "1", timestamp: "1000000000" },
});

// h. onion addresses
const torObject = (type, value) => ({
  Object: {
    name: "tor-hiddenservice",
    uuid: uuid(),
    distribution: "5",
    comment: "enriched-by:misp-enrichd/onion_lookup",
    Attribute: [
      { object_relation: "address", type, value, uuid: uuid(), to_ids: false },
      { object_relation: "title", type: "text", value: "Example hidden service", uuid: uuid() },
    ],
  },
});
await step("h1-objects-add-onion-v3", "tor-hiddenservice with a 56-char v3 onion-address", "POST", `/objects/add/${eventUuid}/${TOR_HS}`, { body: torObject("onion-address", ONION_V3) });
await step("h2-objects-add-onion-v3-as-text", "tor-hiddenservice with the v3 address typed text", "POST", `/objects/add/${eventUuid}/${TOR_HS}`, { body: torObject("text", ONION_V3) });
await step("h3-objects-add-onion-v2", "tor-hiddenservice with a 16-char v2 onion-address", "POST", `/objects/add/${eventUuid}/${TOR_HS}`, { body: torObject("onion-address", ONION_V2) });
await step("h4-attributes-add-onion-v3", "attributes/add onion-address v3 (56 chars)", "POST", `/attributes/add/${eventUuid}`, {
  body: { type: "onion-address", value: ONION_V3, uuid: uuid() },
});
await step("h5-attributes-add-onion-v2", "attributes/add onion-address v2 (16 chars)", "POST", `/attributes/add/${eventUuid}`, {
  body: { type: "onion-address", value: ONION_V2, uuid: uuid() },
});

// i. restSearch
const since = Math.floor(Date.now() / 1000) - 60;
await step("i1-attributes-restSearch", "POST /attributes/restSearch {returnFormat json, timestamp: now-60, includeEventUuid}", "POST", "/attributes/restSearch", {
  body: { returnFormat: "json", timestamp: since, includeEventUuid: true },
});
await step("i2-attributes-restSearch-accept-charset", 'the same with Accept: "application/json; charset=utf-8"', "POST", "/attributes/restSearch", {
  body: { returnFormat: "json", timestamp: since, includeEventUuid: true, limit: 1 },
  headers: { Accept: "application/json; charset=utf-8" },
});

// j. a user of another organisation (through the REST admin API)
const org = await step("j0a-setup-organisation-add", "setup: POST /admin/organisations/add", "POST", "/admin/organisations/add", {
  body: { Organisation: { name: `enrichd-other-${run}`, local: true, description: "misp-enrichd capture" } },
});
const user = await step("j0b-setup-user-add", "setup: POST /admin/users/add (role 3 User) in that organisation", "POST", "/admin/users/add", {
  body: { User: { email: `other-${run}@enrichd.test`, org_id: org.body.Organisation.id, role_id: 3 } },
});
const KEY2 = user.body?.User?.authkey;
if (typeof KEY2 === "string" && KEY2.length === 40) {
  secrets.set(KEY2, "<KEY2>");
  // rewrite j0b now that the key is known
  const f = join(OUT, "j0b-setup-user-add.json");
  const { readFileSync } = await import("node:fs");
  writeFileSync(f, JSON.stringify(scrub(JSON.parse(readFileSync(f, "utf8"))), null, 2) + "\n");
  await step("j0c-other-user-view-me", "GET /users/view/me as the other organisation's user", "GET", "/users/view/me", { key: KEY2 });
  await step("j1-other-org-attachTag-local", "other org attaches a LOCAL tag to the host org's attribute", "POST", "/tags/attachTagToObject", {
    key: KEY2,
    body: { uuid: attrUuid, tag: "misp-enrichd:geo", local: 1 },
  });
  await step("j2-other-org-attachTag-global", "other org attaches a GLOBAL tag to the host org's attribute", "POST", "/tags/attachTagToObject", {
    key: KEY2,
    body: { uuid: taggedAttrUuid, tag: "misp-enrichd:geo", local: 0 },
  });
  await step("j3-other-org-objects-add-inline-local-tag", "other org: objects/add with inline local tags into the host org's event", "POST", objPath, {
    key: KEY2,
    body: geoObject(uuid(), [uuid(), uuid(), uuid()]),
  });
} else {
  console.error("no authkey in the users/add answer; step j skipped");
}

// heartbeat: wait for one misp_json_self (sent after 10 s without traffic)
const hbStart = Date.now();
while (heartbeats.length === 0 && Date.now() - hbStart < 14_000) await sleep(250);
writeFileSync(
  join(OUT, "z-heartbeat.json"),
  JSON.stringify(
    scrub({ step: "z-heartbeat", title: "misp_json_self heartbeat (after >= 10 s without traffic)", zmqFrames: heartbeats.map((f) => ({ topic: f.topic, parts: f.parts, json: f.json ?? f.raw })) }),
    null,
    2,
  ) + "\n",
);

writeFileSync(
  join(OUT, "_run.json"),
  JSON.stringify(
    scrub({
      capturedAt: new Date().toISOString(),
      base: BASE,
      zmqUrl: ZMQ_URL,
      mispVersion: ver.body?.version ?? null,
      user: { id: me.body?.User?.id, org_id: me.body?.User?.org_id, role: me.body?.Role?.name },
      zmqWindowMs: ZMQ_WINDOW_MS,
      eventUuid,
      steps: results,
    }),
    null,
    2,
  ) + "\n",
);
await close();
console.log(`wrote ${results.length + 2} files to ${OUT}`);
