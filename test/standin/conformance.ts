// Replaying a recorded real-MISP step (scripts/real-misp/capture*.mjs) against the stand-in and
// comparing what comes back: status, content type, the shape of every JSON answer (keys and scalar
// kinds at every depth), MISP's texts (ids masked), and the bus messages the call published
// (topic, action, payload shape).

import { readFileSync } from "node:fs";
import { expect } from "vitest";
import type { MispStandin } from "@misp-enrichd/standins";
import { KEY } from "../misp/helpers.js";
import { call } from "./helpers.js";

export interface Step {
  readonly step: string;
  readonly request: { method: "GET" | "POST" | "HEAD"; path: string; headers: Record<string, string>; body: unknown };
  readonly response: { status: number; contentType: string; body: unknown };
  readonly zmqFrames: { topic: string; json: Record<string, unknown> }[];
}

export const loadStep = (dir: URL, name: string): Step => JSON.parse(readFileSync(new URL(`${name}.json`, dir), "utf8")) as Step;

/** Keys and scalar kinds at every depth; an array by the union of its elements' shapes. */
export function shape(value: unknown): unknown {
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
export const mask = (text: unknown): string => String(text).replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, "<uuid>").replace(/\d+/g, "N");

function withKey(headers: Record<string, string>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v === "<KEY>" || v === "<KEY2>" ? KEY : v;
  if (!("authorization" in out)) out.authorization = undefined;
  if (!("accept" in out)) out.accept = undefined;
  return out;
}

/** Replays one step; `skipBody` when the answer's kinds depend on the instance (say why where it is used). */
export async function replayStep(misp: MispStandin, dir: URL, name: string, skipBody = false): Promise<void> {
  const step = loadStep(dir, name);
  const before = misp.published.length;
  const answer = await call(misp.url, step.request.method, step.request.path, step.request.body ?? undefined, withKey(step.request.headers));
  await misp.settled();
  const what = `${name}: ${step.request.method} ${step.request.path}`;
  expect(answer.status, what).toBe(step.response.status);
  expect(String(answer.headers["content-type"]).split(";")[0], what).toBe(step.response.contentType.split(";")[0]);
  const real = step.response.body;
  if (typeof real === "object" && real !== null && !skipBody) {
    expect(shape(answer.json), what).toEqual(shape(real));
    for (const field of ["name", "message", "errors", "id", "saved", "success"]) {
      if (field in real) expect(mask(JSON.stringify((answer.json as Record<string, unknown>)[field])), `${what} ${field}`).toBe(mask(JSON.stringify((real as Record<string, unknown>)[field])));
    }
  }
  const published = misp.published.slice(before);
  expect(published.map((m) => `${m.topic} ${String(m.payload.action)}`), what).toEqual(step.zmqFrames.map((f) => `${f.topic} ${String(f.json.action)}`));
  published.forEach((m, i) => expect(shape(m.payload), `${what} frame ${i}`).toEqual(shape(step.zmqFrames[i]?.json)));
}

