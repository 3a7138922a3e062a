#!/usr/bin/env node
// Acts as an analyst on a REAL MISP while the REAL misp-enrichd daemon runs against it, and records what the
// daemon wrote back. Not part of `npm test` (CI has no MISP). Node built-ins only. From the repo root:
//
//   BASE=http://127.0.0.1:18081 KEY=<40-char key> STATE=/tmp/e2e.json node scripts/real-misp/daemon-e2e.mjs <phase> [LOG]
//
// Phases (run in this order; each reads and extends the STATE file, a JSON record of everything seen):
//   add     create an event and the analyst's attributes (IPs, onions), wait for the daemon, read the event back
//   edit    edit the comment of the ip-dst 8.8.8.8 source attribute (run after restarting the daemon)
//   tag     attach a GLOBAL tag to the same attribute (its `attribute edit` echo must be ignored)
//   dryrun  a second event with fresh attributes while the daemon runs with --dry-run: nothing may reach MISP
//   one     (LOG TYPE VALUE) one more attribute in the first event, and what the daemon wrote for it
//   report  print the summary of every phase again
// LOG (optional): the daemon's JSON-lines log, to count module queries per attribute and echoes ignored.
// The key never appears in the output or the STATE file.

import http from "node:http";
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

const BASE = (process.env.BASE ?? "http://127.0.0.1:18081").replace(/\/+$/, "");
const KEY = process.env.KEY ?? "";
const STATE = process.env.STATE ?? "/tmp/misp-enrichd-e2e.json";
const WAIT_MS = Number(process.env.WAIT_MS ?? 12_000);
const [phase = "report", logFile] = process.argv.slice(2);
if (!KEY) {
  console.error("KEY (the MISP API key) is required");
  process.exit(2);
}
const base = new URL(BASE);
if (!["127.0.0.1", "localhost", "[::1]"].includes(base.hostname)) {
  console.error("loopback MISP only");
  process.exit(2);
}

const state = existsSync(STATE) ? JSON.parse(readFileSync(STATE, "utf8")) : { phases: {} };
const save = () => writeFileSync(STATE, JSON.stringify(state, null, 2));
const iso = (ms = Date.now()) => new Date(ms).toISOString();
const say = (...args) => console.log(iso(), ...args);

/** One REST call; resolves {status, body, ms, sentAt, doneAt} (body parsed when JSON). */
function api(method, path, body) {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const sentAt = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: base.hostname,
        port: base.port,
        method,
        path,
        headers: {
          Authorization: KEY,
          Accept: "application/json",
          ...(payload ? { "Content-Type": "application/json", "Content-Length": payload.length } : {}),
        },
      },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed = text;
          try {
            parsed = JSON.parse(text);
          } catch {}
          const doneAt = Date.now();
          resolve({ status: res.statusCode, body: parsed, ms: doneAt - sentAt, sentAt: iso(sentAt), doneAt: iso(doneAt) });
        });
      },
    );
    req.on("error", reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path}: timeout`)));
    if (payload) req.write(payload);
    req.end();
  });
}

const viewEvent = async (uuid) => (await api("GET", `/events/view/${uuid}`)).body.Event;
const tsIso = (s) => (s === undefined ? undefined : iso(Number(s) * 1000));

/** What the daemon wrote and did to the source attributes, read from events/view. */
function summarise(event, sources) {
  const objects = (event.Object ?? []).map((o) => ({
    name: o.name,
    uuid: o.uuid,
    comment: o.comment,
    timestamp: tsIso(o.timestamp),
    distribution: o.distribution,
    template_version: o.template_version,
    attributes: (o.Attribute ?? []).map((a) => ({
      relation: a.object_relation,
      type: a.type,
      value: a.value,
      uuid: a.uuid,
      comment: a.comment,
      to_ids: a.to_ids,
      tags: (a.Tag ?? []).map((t) => `${t.name}${t.local ? " (local)" : " (GLOBAL)"}`),
    })),
    references: (o.ObjectReference ?? []).map((r) => ({
      source: r.source_uuid ?? o.uuid,
      target: r.referenced_uuid,
      relationship: r.relationship_type,
      uuid: r.uuid,
    })),
  }));
  const attributes = (event.Attribute ?? []).map((a) => ({
    uuid: a.uuid,
    type: a.type,
    value: a.value,
    comment: a.comment,
    timestamp: tsIso(a.timestamp),
    tags: (a.Tag ?? []).map((t) => `${t.name}${t.local ? " (local)" : " (GLOBAL)"}`),
    source: sources.some((s) => s.uuid === a.uuid),
  }));
  return { objects, attributes, eventTags: (event.Tag ?? []).map((t) => `${t.name}${t.local ? " (local)" : " (GLOBAL)"}`) };
}

/** Checks that hold after every phase. */
function checks(summary, sources) {
  const out = [];
  const refsTo = (uuid) => summary.objects.flatMap((o) => o.references.filter((r) => r.target === uuid).map((r) => ({ object: o, r })));
  for (const s of sources) {
    const refs = refsTo(s.uuid);
    const names = refs.map(({ object }) => object.name);
    const dupNames = names.filter((n, i) => names.indexOf(n) !== i);
    out.push({
      source: `${s.type} ${s.value}`,
      uuid: s.uuid,
      objectsReferencing: refs.map(({ object, r }) => `${object.name} ${object.uuid} -[${r.relationship}]->`),
      duplicateObjects: dupNames,
    });
  }
  const daemonObjects = summary.objects.filter((o) => (o.comment ?? "").startsWith("misp-enrichd:"));
  // An object written for one of the daemon's own attributes would reference a daemon-written attribute.
  const ownAttrUuids = new Set(daemonObjects.flatMap((o) => o.attributes.map((a) => a.uuid)));
  const enrichedOwn = summary.objects.filter((o) => o.references.some((r) => ownAttrUuids.has(r.target)));
  const refKeys = summary.objects.flatMap((o) => o.references.map((r) => `${o.uuid}|${r.target}|${r.relationship}`));
  const dupRefs = refKeys.filter((k, i) => refKeys.indexOf(k) !== i);
  return {
    perSource: out,
    objectsTotal: summary.objects.length,
    daemonObjects: daemonObjects.length,
    objectsEnrichingDaemonWrites: enrichedOwn.map((o) => o.uuid),
    duplicateReferences: dupRefs,
  };
}

/** Counts in the daemon log: module queries per attribute, echoes ignored, writes and dry-run calls. */
function logFigures(file, since) {
  if (!file || !existsSync(file)) return undefined;
  const lines = readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        return undefined;
      }
    })
    .filter((l) => l && (!since || l.time >= since));
  const queries = {};
  for (const l of lines) if (l.msg === "module answered" || l.msg === "module query failed") {
    const k = `${l.module} ${l.attributeUuid}`;
    queries[k] = (queries[k] ?? 0) + 1;
  }
  const echoes = {};
  for (const l of lines) if (l.msg === "own write echoed; ignored") {
    const k = `${l.topic} ${l.action}: ${l.reason}`;
    echoes[k] = (echoes[k] ?? 0) + 1;
  }
  const count = (msg) => lines.filter((l) => l.msg === msg).length;
  const calls = lines.filter((l) => l.msg === "misp call" || l.msg === "would call").map((l) => `${l.msg === "would call" ? "DRY " : ""}${l.method} ${l.path} ${l.status ?? ""}`.trim());
  return {
    moduleQueriesPerAttribute: queries,
    echoesIgnored: echoes,
    enrichmentWritten: count("enrichment written"),
    messageSkipped: lines.filter((l) => l.msg === "message skipped").map((l) => `${l.sub} ${l.attributeUuid}: ${l.reason}`),
    noSubscriberWants: count("no subscriber wants this message"),
    warnings: lines.filter((l) => l.level === "warn" || l.level === 40 || l.level === "error" || l.level === 50).map((l) => `${l.msg} ${JSON.stringify({ ...l, level: undefined, time: undefined, name: undefined, msg: undefined })}`),
    mispCalls: calls,
  };
}

async function waitQuiet(eventUuid, label) {
  // Wait until the event's object count stops changing for 4 s, at most WAIT_MS.
  const until = Date.now() + WAIT_MS;
  let last = -1;
  let stableSince = Date.now();
  while (Date.now() < until) {
    const n = (await viewEvent(eventUuid)).Object?.length ?? 0;
    if (n !== last) {
      last = n;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= 4_000) break;
    await sleep(500);
  }
  say(`${label}: event has ${last} objects`);
}

async function addAttribute(eventUuid, type, value, extra = {}) {
  const res = await api("POST", `/attributes/add/${eventUuid}`, { type, value, to_ids: false, comment: "analyst input (daemon-e2e)", ...extra });
  const a = res.body?.Attribute;
  say(`attributes/add ${type} ${value} -> ${res.status} ${a ? a.uuid : JSON.stringify(res.body)}`);
  return { type, value, status: res.status, uuid: a?.uuid, timestamp: tsIso(a?.timestamp), sentAt: res.sentAt, doneAt: res.doneAt, ms: res.ms, ...(a ? {} : { response: res.body }) };
}

async function phaseAdd() {
  const started = iso();
  const ev = await api("POST", "/events/add", { info: `misp-enrichd real daemon e2e ${started}`, distribution: 0, threat_level_id: 4, analysis: 0 });
  if (ev.status !== 200) throw new Error(`events/add: ${ev.status} ${JSON.stringify(ev.body)}`);
  const eventUuid = ev.body.Event.uuid;
  say(`event ${eventUuid} (id ${ev.body.Event.id})`);
  await sleep(500);
  const adds = [];
  adds.push(await addAttribute(eventUuid, "ip-dst", "8.8.8.8"));
  adds.push(await addAttribute(eventUuid, "ip-src", "2001:4860:4860::8888"));
  adds.push(await addAttribute(eventUuid, "ip-dst", "10.1.2.3"));
  const V3 = "vugqd7hwj3rgope5bi7cj2vvsahm5l3agevcgnfxv2rbjlb42ueqaaid.onion";
  adds.push(await addAttribute(eventUuid, "onion-address", V3));
  // MISP 2.5.1 refuses 56-character onions as attributes; try inside an analyst's tor-hiddenservice object,
  // in PyMISP's form (template fields in the body) and in the daemon's form (template uuid in the URL).
  const objectAttempts = await v3ObjectAttempts(eventUuid, V3);
  for (const o of objectAttempts) say(`tor-hiddenservice object with v3 address: ${o.how} -> ${o.status} ${JSON.stringify(o.response).slice(0, 300)}`);
  adds.push(await addAttribute(eventUuid, "onion-address", "expyuzz4wqqyqhjn.onion"));
  adds.push(await addAttribute(eventUuid, "onion-address", "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz.onion"));
  // MISP refuses the unknown v3 too, so an unknown 16-character one exercises the daemon's "not known" path.
  adds.push(await addAttribute(eventUuid, "onion-address", "aaaaaaaaaaaaaaaa.onion"));

  await waitQuiet(eventUuid, "after adds");
  const event = await viewEvent(eventUuid);
  const sources = adds.filter((a) => a.uuid);
  const summary = summarise(event, sources);
  state.eventUuid = eventUuid;
  state.eventId = ev.body.Event.id;
  state.sources = sources;
  state.phases.add = { started, adds, objectAttempts, summary, checks: checks(summary, sources), log: logFigures(logFile, started), latency: latency(adds, summary) };
  save();
  report("add");
}

/** tor-hiddenservice objects holding a v3 onion as `onion-address`, as an analyst's client would send them. */
async function v3ObjectAttempts(eventUuid, value) {
  const templates = await api("GET", "/objectTemplates/index");
  const t = (Array.isArray(templates.body) ? templates.body : []).map((x) => x.ObjectTemplate ?? x).find((x) => x.name === "tor-hiddenservice");
  if (!t) return [{ how: "GET /objectTemplates/index", status: templates.status, response: "no tor-hiddenservice template" }];
  const attribute = { object_relation: "address", type: "onion-address", value, to_ids: false };
  const shown = (res) => (res.body?.Object ? { uuid: res.body.Object.uuid, attributes: res.body.Object.Attribute?.map((a) => `${a.object_relation} ${a.type} ${a.value} ${a.uuid}`) } : res.body);
  const bodyForm = await api("POST", `/objects/add/${eventUuid}`, {
    Object: {
      name: t.name, "meta-category": t["meta-category"], description: t.description, template_uuid: t.uuid, template_version: t.version,
      comment: "analyst object (daemon-e2e)", distribution: 5, Attribute: [attribute],
    },
  });
  const urlForm = await api("POST", `/objects/add/${eventUuid}/${t.uuid}`, { Object: { name: t.name, comment: "analyst object (daemon-e2e)", distribution: 5, Attribute: [attribute] } });
  return [
    { how: `POST /objects/add/{event} (body template ${t.uuid} v${t.version}), address onion-address`, status: bodyForm.status, response: shown(bodyForm) },
    { how: `POST /objects/add/{event}/${t.uuid}, address onion-address`, status: urlForm.status, response: shown(urlForm) },
  ];
}

/** Source attribute timestamp/response → timestamp of the object that references it. */
function latency(adds, summary) {
  return adds
    .filter((a) => a.uuid)
    .map((a) => {
      const o = summary.objects.find((x) => x.references.some((r) => r.target === a.uuid));
      return { source: `${a.type} ${a.value}`, addResponseAt: a.doneAt, attributeTimestamp: a.timestamp, object: o ? `${o.name} ${o.uuid}` : null, objectTimestamp: o?.timestamp ?? null };
    });
}

function needEvent() {
  if (!state.eventUuid) throw new Error(`no event in ${STATE}: run the add phase first`);
  return state.sources.find((s) => s.value === "8.8.8.8");
}

async function phaseEdit() {
  const target = needEvent();
  const started = iso();
  const before = summarise(await viewEvent(state.eventUuid), state.sources);
  const res = await api("POST", `/attributes/edit/${target.uuid}`, { comment: `analyst edited this comment at ${started} (daemon-e2e)` });
  say(`attributes/edit ${target.uuid} comment -> ${res.status}`);
  await sleep(3000);
  await waitQuiet(state.eventUuid, "after edit");
  const summary = summarise(await viewEvent(state.eventUuid), state.sources);
  state.phases.edit = { started, target: target.uuid, status: res.status, objectsBefore: before.objects.length, summary, checks: checks(summary, state.sources), log: logFigures(logFile, started) };
  save();
  report("edit");
}

async function phaseTag() {
  const target = needEvent();
  const started = iso();
  const before = summarise(await viewEvent(state.eventUuid), state.sources);
  const res = await api("POST", "/tags/attachTagToObject", { uuid: target.uuid, tag: "tlp:green", local: 0 });
  say(`attachTagToObject tlp:green global on ${target.uuid} -> ${res.status} ${JSON.stringify(res.body)}`);
  await sleep(3000);
  await waitQuiet(state.eventUuid, "after global tag");
  const summary = summarise(await viewEvent(state.eventUuid), state.sources);
  state.phases.tag = { started, target: target.uuid, status: res.status, response: res.body, objectsBefore: before.objects.length, summary, checks: checks(summary, state.sources), log: logFigures(logFile, started) };
  save();
  report("tag");
}

async function phaseDryRun() {
  needEvent();
  const started = iso();
  const beforeA = summarise(await viewEvent(state.eventUuid), state.sources);
  // A second event, so that the onion (already in the first event) can be added again.
  const ev = await api("POST", "/events/add", { info: `misp-enrichd real daemon e2e, dry-run ${started}`, distribution: 0, threat_level_id: 4, analysis: 0 });
  if (ev.status !== 200) throw new Error(`events/add: ${ev.status} ${JSON.stringify(ev.body)}`);
  const eventUuid = ev.body.Event.uuid;
  say(`dry-run event ${eventUuid} (id ${ev.body.Event.id})`);
  await sleep(500);
  const adds = [await addAttribute(eventUuid, "ip-dst", "1.1.1.1"), await addAttribute(eventUuid, "onion-address", "expyuzz4wqqyqhjn.onion")];
  await sleep(3000);
  await waitQuiet(eventUuid, "after dry-run adds");
  const newAttrs = adds.filter((a) => a.uuid);
  const summary = summarise(await viewEvent(eventUuid), newAttrs);
  const afterA = summarise(await viewEvent(state.eventUuid), state.sources);
  state.dryRunEventUuid = eventUuid;
  state.phases.dryrun = {
    started,
    eventUuid,
    adds,
    objectsInDryRunEvent: summary.objects.length,
    tagsOnNewAttributes: summary.attributes.map((a) => ({ value: a.value, tags: a.tags })),
    firstEventObjectsBefore: beforeA.objects.length,
    firstEventObjectsAfter: afterA.objects.length,
    summary,
    log: logFigures(logFile, started),
  };
  save();
  report("dryrun");
}

/** One more analyst attribute (TYPE VALUE from the command line) in the first event, and what the daemon wrote for it. */
async function phaseOne() {
  needEvent();
  const [type, value] = process.argv.slice(4);
  if (!type || !value) throw new Error("usage: ... one LOG TYPE VALUE");
  const started = iso();
  const add = await addAttribute(state.eventUuid, type, value);
  await sleep(3000);
  await waitQuiet(state.eventUuid, `after ${type} ${value}`);
  const sources = [...state.sources, ...(add.uuid ? [add] : [])];
  const summary = summarise(await viewEvent(state.eventUuid), sources);
  const objects = summary.objects.filter((o) => o.references.some((r) => r.target === add.uuid));
  const name = `one:${value}`;
  state.phases[name] = {
    started,
    add,
    objectsForIt: objects,
    tagsOnIt: summary.attributes.find((a) => a.uuid === add.uuid)?.tags,
    summary: { objects, attributes: summary.attributes.filter((a) => a.uuid === add.uuid) },
    checks: checks(summary, sources),
    log: logFigures(logFile, started),
  };
  save();
  report(name);
}

function report(name) {
  const p = state.phases[name];
  if (!p) return;
  const { summary, ...rest } = p;
  console.log(`=== phase ${name} (event ${state.eventUuid})`);
  console.log(JSON.stringify(rest, null, 2));
  console.log("--- objects");
  console.log(JSON.stringify(summary.objects, null, 2));
  console.log("--- attributes");
  console.log(JSON.stringify(summary.attributes, null, 2));
}

const phases = { one: phaseOne, add: phaseAdd, edit: phaseEdit, tag: phaseTag, dryrun: phaseDryRun, report: async () => Object.keys(state.phases).forEach(report) };
if (!phases[phase]) {
  console.error(`unknown phase ${phase}: ${Object.keys(phases).join(", ")}`);
  process.exit(2);
}
await phases[phase]();
