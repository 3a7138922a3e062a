#!/usr/bin/env node
// Record what a REAL MISP does for the calls the rules make (tags attached and removed, locally and
// globally, on attributes and events; distribution edits, a sharing group; events/index; restSearch
// by event) and what it publishes on ZeroMQ for each, with ids. Not part of `npm test`; run by hand
// from the repo root against a MISP you may write to (it creates its own event and sharing group):
//
//   BASE=http://127.0.0.1:8081 KEY=<40-char site-admin key of the host org> ZMQ_URL=tcp://127.0.0.1:50001 \
//     node scripts/real-misp/capture-rules.mjs [OUT_DIR]
//
// OUT_DIR defaults to test/fixtures/real-misp/rules; one file per step as capture.mjs writes them,
// plus _run.json. The stand-in's conformance test replays them (test/standin/real-misp-rules.test.ts).

import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createRecorder } from "./recorder.mjs";

const BASE = (process.env.BASE ?? process.argv[2] ?? "").replace(/\/+$/, "");
const KEY = process.env.KEY ?? process.argv[3];
const ZMQ_URL = process.env.ZMQ_URL ?? process.argv[4];
const OUT = process.env.OUT_DIR ?? (process.argv.length > 5 ? process.argv[5] : "test/fixtures/real-misp/rules");
if (!BASE || !KEY || !ZMQ_URL) {
  console.error("usage: BASE=http://127.0.0.1:PORT KEY=<key> ZMQ_URL=tcp://127.0.0.1:PORT node scripts/real-misp/capture-rules.mjs [OUT_DIR]");
  process.exit(2);
}
const { step, scrub, results, close } = createRecorder({ BASE, KEY, ZMQ_URL, OUT });
const run = Date.now().toString(36);
await sleep(1200); // ZeroMQ slow joiner

// The scene: an event whose title needs escaping, an onion, the tags the seed's rules react to.
const TITLE = `rules capture ${run}: "CardPlanet" \\ dump\nsecond line`;
const ev = await step("r0-setup-events-add", "POST /events/add (distribution 1)", "POST", "/events/add", { body: { Event: { info: TITLE, distribution: 1, threat_level_id: 4, analysis: 0 } } });
const eventUuid = ev.body.Event.uuid;
const eventId = ev.body.Event.id;
const attrUuid = randomUUID();
await step("r1-attributes-add-onion", "POST /attributes/add: a v2 onion, distribution 3", "POST", `/attributes/add/${eventUuid}`, {
  body: { type: "onion-address", category: "Network activity", value: "cardshop2dark7ab.onion", to_ids: true, distribution: "3", uuid: attrUuid },
});
const CARD = 'dark-web:topic="credit-card"';
const CSAM = 'dark-web:topic="pornography-child-exploitation"';
const MARKER = `misp-enrichd:rule="capture-${run}"`;

// Tags on the attribute: what MISP publishes, with which ids, local and global, attach and remove.
await step("r2-attachTag-local", "attachTagToObject local on the attribute (a new tag)", "POST", "/tags/attachTagToObject", { body: { uuid: attrUuid, tag: CARD, local: 1 } });
await step("r3-attachTag-local-again", "the same again: idempotent", "POST", "/tags/attachTagToObject", { body: { uuid: attrUuid, tag: CARD, local: 1 } });
await step("r4-removeTag-local", "removeTagFromObject of the local tag", "POST", "/tags/removeTagFromObject", { body: { uuid: attrUuid, tag: CARD } });
await step("r5-removeTag-not-attached", "removeTagFromObject of a tag no longer attached", "POST", "/tags/removeTagFromObject", { body: { uuid: attrUuid, tag: CARD } });
await step("r6-attachTag-global", "attachTagToObject global on the attribute", "POST", "/tags/attachTagToObject", { body: { uuid: attrUuid, tag: CSAM, local: 0 } });
await step("r7-removeTag-global", "removeTagFromObject of the global tag", "POST", "/tags/removeTagFromObject", { body: { uuid: attrUuid, tag: CSAM } });
await step("r8-attachTag-marker-local", "a once marker, local", "POST", "/tags/attachTagToObject", { body: { uuid: attrUuid, tag: MARKER, local: 1 } });
await step("r9-attributes-view-tags", "GET /attributes/view: the marker with its locality", "GET", `/attributes/view/${attrUuid}`);

// Distribution: 0, 0 again (MISP still saves and publishes), a sharing group, a bad one.
await step("r10-edit-distribution-0", "attributes/edit distribution 0", "POST", `/attributes/edit/${attrUuid}`, { body: { distribution: "0" } });
await step("r11-edit-distribution-0-again", "attributes/edit distribution 0 again", "POST", `/attributes/edit/${attrUuid}`, { body: { distribution: "0" } });
const sg = await step("r12-setup-sharing-groups-add", "POST /sharing_groups/add", "POST", "/sharing_groups/add", {
  body: { name: `misp-enrichd capture ${run}`, releasability: "tests", description: "", active: true, roaming: false },
});
const sgId = sg.body?.SharingGroup?.id;
await step("r13-edit-distribution-sharing-group", "attributes/edit distribution 4 with the sharing group", "POST", `/attributes/edit/${attrUuid}`, { body: { distribution: "4", sharing_group_id: String(sgId) } });
await step("r14-edit-distribution-bad-sharing-group", "attributes/edit distribution 4, a sharing group that does not exist", "POST", `/attributes/edit/${attrUuid}`, { body: { distribution: "4", sharing_group_id: "999999" } });

// Tags on the event.
await step("r15-attachTag-event-global", "attachTagToObject global on the event", "POST", "/tags/attachTagToObject", { body: { uuid: eventUuid, tag: "case:open", local: 0 } });
await step("r16-attachTag-event-local", "attachTagToObject local on the event", "POST", "/tags/attachTagToObject", { body: { uuid: eventUuid, tag: MARKER, local: 1 } });
await step("r17-removeTag-event-global", "removeTagFromObject global from the event", "POST", "/tags/removeTagFromObject", { body: { uuid: eventUuid, tag: "case:open" } });

// Reads the rules make.
await step("r18-events-index-by-id", "POST /events/index {eventid: id}: metadata and EventTag, no attributes", "POST", "/events/index", { body: { eventid: String(eventId) } });
await step("r19-events-index-by-uuid", "POST /events/index {eventid: uuid}", "POST", "/events/index", { body: { eventid: eventUuid } });
await step("r20-events-index-unknown", "POST /events/index for an event that does not exist", "POST", "/events/index", { body: { eventid: "999999" } });
await step("r21-restSearch-eventid", "POST /attributes/restSearch {eventid} (enrich --event)", "POST", "/attributes/restSearch", {
  body: { returnFormat: "json", includeEventUuid: true, eventid: String(eventId), limit: 100, page: 1 },
});

writeFileSync(join(OUT, "_run.json"), JSON.stringify(scrub({ capturedAt: new Date().toISOString(), base: BASE, zmqUrl: ZMQ_URL, eventUuid, eventId, attributeUuid: attrUuid, sharingGroupId: sgId, steps: results }), null, 2) + "\n");
await close();
console.log(`wrote ${results.length + 1} files to ${OUT}`);
