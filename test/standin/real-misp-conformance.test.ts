// Replays the real MISP 2.5.1 capture (test/fixtures/real-misp, docs/real-misp-observations.md)
// against the stand-in, call by call and in the same order, and compares what comes back: status,
// content type, the shape of every JSON answer (keys and scalar kinds at every depth), MISP's texts
// (ids masked), and the bus messages each call published (topic, action, payload shape).

import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { MispStandin } from "@misp-enrichd/standins";
import { KEY, standin } from "../misp/helpers.js";
import { call } from "./helpers.js";

const DIR = new URL("../fixtures/real-misp/", import.meta.url);

interface Step {
  readonly step: string;
  readonly request: { method: "GET" | "POST" | "HEAD"; path: string; headers: Record<string, string>; body: unknown };
  readonly response: { status: number; contentType: string; body: unknown };
  readonly zmqFrames: { topic: string; json: Record<string, unknown> }[];
}

const run = JSON.parse(readFileSync(new URL("_run.json", DIR), "utf8")) as { eventUuid: string; steps: { step: string }[] };
const files = new Set(readdirSync(DIR));
const load = (name: string): Step => JSON.parse(readFileSync(new URL(`${name}.json`, DIR), "utf8")) as Step;

/** Keys and scalar kinds at every depth; an array by the union of its elements' shapes. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? [] : [value.map(shape).reduce(union)];
  if (value === null) return "null";
  if (typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v)]));
  return typeof value;
}

function union(a: unknown, b: unknown): unknown {
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null && !Array.isArray(a) && !Array.isArray(b)) {
    const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
    for (const [k, v] of Object.entries(b)) out[k] = k in out ? union(out[k], v) : v;
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === 0 ? b : b.length === 0 ? a : [union(a[0], b[0])];
  if (typeof a === "string" && typeof b === "string" && a !== b) return [...new Set([...a.split("|"), ...b.split("|")])].sort().join("|");
  return a;
}

/** MISP's texts with ids and uuids masked: the stand-in numbers its rows differently. */
const mask = (text: unknown): string => String(text).replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, "<uuid>").replace(/\d+/g, "N");

/** Fields whose kind depends on the instance, not on MISP's code; each with why. */
const INSTANCE_SPECIFIC: Readonly<Record<string, string>> = {
  "a2-users-view-me": "the capture's first admin was made by the installer: date_created, gpgkey, last_pw_change are null there (j0c, an ordinary user, has the stand-in's kinds)",
  "a5b-accept-json-charset-users-view-me": "as a2",
  "i2-attributes-restSearch-accept-charset": "with a limit MISP's row order is unspecified (no ORDER BY): the capture's one row was an object attribute",
};

/** Steps that set the scene with calls the stand-in does not offer; the scene is seeded instead. */
const SETUP = new Set(["b1-events-add", "e3a-setup-events-add-other", "j0a-setup-organisation-add", "j0b-setup-user-add"]);

function withKey(headers: Record<string, string>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v === "<KEY>" || v === "<KEY2>" ? KEY : v;
  if (!("authorization" in out)) out.authorization = undefined;
  if (!("accept" in out)) out.accept = undefined;
  return out;
}

async function replay(misp: MispStandin, name: string): Promise<void> {
  const step = load(name);
  const before = misp.published.length;
  const answer = await call(misp.url, step.request.method, step.request.path, step.request.body ?? undefined, withKey(step.request.headers));
  await misp.settled();
  const what = `${name}: ${step.request.method} ${step.request.path}`;
  expect(answer.status, what).toBe(step.response.status);
  expect(String(answer.headers["content-type"]).split(";")[0], what).toBe(step.response.contentType.split(";")[0]);
  const real = step.response.body;
  if (typeof real === "object" && real !== null && !INSTANCE_SPECIFIC[name]) {
    expect(shape(answer.json), what).toEqual(shape(real));
    for (const field of ["name", "message", "errors", "id", "saved", "success"]) {
      if (field in real) expect(mask(JSON.stringify((answer.json as Record<string, unknown>)[field])), `${what} ${field}`).toBe(mask(JSON.stringify((real as Record<string, unknown>)[field])));
    }
  }
  const published = misp.published.slice(before);
  expect(published.map((m) => `${m.topic} ${String(m.payload.action)}`), what).toEqual(step.zmqFrames.map((f) => `${f.topic} ${String(f.json.action)}`));
  published.forEach((m, i) => expect(shape(m.payload), `${what} frame ${i}`).toEqual(shape(step.zmqFrames[i]?.json)));
}

describe("MISP stand-in against the real MISP 2.5.1 capture", () => {
  it("answers and publishes like the real MISP for every call of the capture", async () => {
    // The capture's key is a site admin of the host organisation, with perm_sync.
    const misp = await standin({ role: { permSiteAdmin: true, permSync: true, name: "admin" } });
    misp.seedEvent({ uuid: run.eventUuid, orgcId: 1, info: "misp-enrichd real-MISP capture" });
    const other = load("e3a-setup-events-add-other").response.body as { Event: { uuid: string } };
    const replayed: string[] = [];
    for (const { step } of run.steps) {
      if (step.startsWith("j")) continue; // the second organisation's user: below
      if (SETUP.has(step)) {
        if (step === "e3a-setup-events-add-other") misp.seedEvent({ uuid: other.Event.uuid, orgcId: 1 });
        continue;
      }
      if (!files.has(`${step}.json`)) continue;
      await replay(misp, step);
      replayed.push(step);
    }
    expect(replayed.length).toBeGreaterThanOrEqual(45);
  });

  it("refuses the second organisation's user exactly like the real MISP", async () => {
    const misp = await standin({ hostOrgId: 1, orgId: 2, role: { name: "User", permTagEditor: false } });
    const event = misp.seedEvent({ uuid: run.eventUuid, orgcId: 1 });
    for (const step of ["b2-attributes-add", "b5-attributes-add-inline-local-tag"]) {
      const body = load(step).request.body as { uuid: string; type: string; value: string };
      misp.seedAttribute(event.uuid, { uuid: body.uuid, type: body.type, value: body.value });
    }
    for (const step of ["j0c-other-user-view-me", "j1-other-org-attachTag-local", "j2-other-org-attachTag-global", "j3-other-org-objects-add-inline-local-tag"]) await replay(misp, step);
  });
});
