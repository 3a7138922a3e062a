#!/usr/bin/env node
// A feed-sized event on a REAL MISP while the REAL daemon runs against it: one event, N ip-dst attributes
// added in batches of 200 (as a feed import does), then reads the event back until its objects stop growing,
// and prints what the daemon wrote (objects, references, duplicates, objects enriching the daemon's own
// writes, time). Not part of `npm test` (CI has no MISP). Node built-ins only. From the repo root:
//
//   BASE=http://127.0.0.1:8081 KEY=<40-char key> N=1000 SEED=777 node scripts/real-misp/big-event.mjs
//
// Send the daemon a SIGHUP meanwhile to see a reload under load. The key never appears in the output.
const BASE = (process.env.BASE ?? "http://127.0.0.1:8081").replace(/\/+$/, "");
const KEY = process.env.KEY ?? "";
const N = Number(process.env.N ?? 1000);
if (!KEY) {
  console.error("KEY (the MISP API key) is required");
  process.exit(2);
}
if (!["127.0.0.1", "localhost", "[::1]"].includes(new URL(BASE).hostname)) {
  console.error("loopback MISP only");
  process.exit(2);
}
const H = { Authorization: KEY, Accept: "application/json", "Content-Type": "application/json" };
async function api(method, path, body) {
  const r = await fetch(BASE + path, { method, headers: H, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let json; try { json = JSON.parse(text); } catch { json = text; }
  return { status: r.status, json };
}
// Public addresses in /8s GeoLite2 knows well; a seeded LCG so runs are repeatable.
let seed = Number(process.env.SEED ?? 12345); const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const firsts = [23, 31, 37, 46, 62, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 151, 176, 178, 185, 188, 193, 194, 195, 212, 213, 217];
const values = new Set();
while (values.size < N) values.add(`${firsts[Math.floor(rnd() * firsts.length)]}.${1 + Math.floor(rnd() * 250)}.${Math.floor(rnd() * 256)}.${1 + Math.floor(rnd() * 250)}`);
const ev = await api("POST", "/events/add", { Event: { info: `misp-enrichd big event ${N} ${new Date().toISOString()}`, distribution: 0, threat_level_id: 4, analysis: 0 } });
const eventId = ev.json.Event.id;
console.log(JSON.stringify({ event: eventId, uuid: ev.json.Event.uuid }));
const t0 = Date.now();
const list = [...values];
for (let i = 0; i < list.length; i += 200) {
  const batch = list.slice(i, i + 200).map((value) => ({ type: "ip-dst", category: "Network activity", value, to_ids: false, comment: "big-event" }));
  const r = await api("POST", `/attributes/add/${eventId}`, batch);
  if (r.status !== 200) console.log(JSON.stringify({ batch: i, status: r.status, body: JSON.stringify(r.json).slice(0, 300) }));
}
const added = Date.now();
console.log(JSON.stringify({ added: list.length, addMs: added - t0 }));
let last = -1, stableSince = Date.now(), objects = [];
for (;;) {
  await new Promise((r) => setTimeout(r, 3000));
  const v = await api("GET", `/events/view/${eventId}`);
  objects = v.json.Event.Object ?? [];
  const n = objects.length;
  console.log(JSON.stringify({ at: Date.now() - t0, objects: n }));
  if (n !== last) { last = n; stableSince = Date.now(); }
  else if (Date.now() - stableSince > 20000) break;
}
const uuids = new Set(objects.map((o) => o.uuid));
const sources = new Map();
let refs = 0, dupRefs = 0, objOnDaemonObjects = 0;
const objectAttrUuids = new Set(objects.flatMap((o) => (o.Attribute ?? []).map((a) => a.uuid)));
for (const o of objects) {
  const rs = o.ObjectReference ?? [];
  refs += rs.length;
  const seen = new Set();
  for (const r of rs) { const k = r.referenced_uuid + r.relationship_type; if (seen.has(k)) dupRefs++; seen.add(k); if (objectAttrUuids.has(r.referenced_uuid) || uuids.has(r.referenced_uuid)) objOnDaemonObjects++; sources.set(r.referenced_uuid, (sources.get(r.referenced_uuid) ?? 0) + 1); }
}
const multi = [...sources.values()].filter((c) => c > 1).length;
console.log(JSON.stringify({ objects: objects.length, distinctObjectUuids: uuids.size, references: refs, duplicateReferences: dupRefs, sourcesWithMoreThanOneObject: multi, objectsEnrichingDaemonWrites: objOnDaemonObjects, enrichSeconds: (stableSince - added) / 1000 }));
