// Raw HTTP against the stand-in, so its answers can be checked byte for byte against rest.md.

import { request } from "undici";
import { GEO_TEMPLATE, KEY, standin } from "../misp/helpers.js";

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  readonly json: unknown;
}

export async function call(
  base: string,
  method: "GET" | "POST" | "HEAD" | "PUT",
  path: string,
  body?: unknown,
  headers: Record<string, string | undefined> = {},
): Promise<Answer> {
  const merged: Record<string, string> = {};
  const defaults: Record<string, string | undefined> = { authorization: KEY, accept: "application/json", ...(body === undefined ? {} : { "content-type": "application/json" }) };
  for (const [k, v] of Object.entries({ ...defaults, ...headers })) if (v !== undefined) merged[k] = v;
  const res = await request(`${base}${path}`, {
    method,
    headers: merged,
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const text = await res.body.text();
  let json: unknown;
  try {
    json = text === "" ? undefined : (JSON.parse(text) as unknown);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, text, json };
}

/** MISP sends DB integers as strings: no JSON number may appear anywhere in an answer. */
export function numbersIn(value: unknown, path = "$"): string[] {
  if (typeof value === "number") return [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => numbersIn(v, `${path}[${i}]`));
  if (typeof value === "object" && value !== null) return Object.entries(value).flatMap(([k, v]) => numbersIn(v, `${path}.${k}`));
  return [];
}

export const keys = (value: unknown): string[] => Object.keys(value as object);

/** An objects/add body for a geolocation object. */
export const geo = (uuid: string, attrs: { relation: string; type?: string; value: string; uuid?: string; tags?: object[] }[], extra: object = {}) => ({
  Object: {
    name: "geolocation",
    "meta-category": "misc",
    description: "An object to describe a geographic location.",
    template_uuid: GEO_TEMPLATE,
    template_version: "8",
    uuid,
    distribution: "5",
    comment: "misp-enrichd: test",
    ...extra,
    Attribute: attrs.map((a) => ({ object_relation: a.relation, type: a.type ?? "text", value: a.value, uuid: a.uuid ?? crypto.randomUUID(), ...(a.tags ? { Tag: a.tags } : {}) })),
  },
});

export async function withEvent(options: Parameters<typeof standin>[0] = {}) {
  const misp = await standin(options);
  const event = misp.seedEvent();
  const source = misp.seedAttribute(event.uuid, { type: "ip-dst", value: "198.51.100.23" });
  return { misp, event, source };
}
