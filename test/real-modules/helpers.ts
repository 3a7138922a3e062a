// Plain-undici access to a misp-modules server, independent of the daemon's own client in src/modules/.

import { randomUUID } from "node:crypto";
import { request } from "undici";

export interface HttpAnswer {
  readonly status: number;
  readonly contentType: string;
  /** Parsed as JSON whatever the content type says (misp-modules labels JSON as text/html). */
  readonly body: unknown;
}

export interface MispAttribute {
  uuid: string;
  type: string;
  value: unknown;
  object_relation?: string;
  comment?: string;
  Tag?: { name: string }[];
}

export interface MispObject {
  name: string;
  uuid: string;
  comment?: string;
  Attribute: MispAttribute[];
  ObjectReference: { object_uuid: string; referenced_uuid: string; relationship_type: string }[];
}

export interface StandardResults {
  results: { Attribute?: MispAttribute[]; Object?: MispObject[] };
}

export async function getJson(url: string): Promise<HttpAnswer> {
  const res = await request(url, { reset: true });
  return { status: res.statusCode, contentType: String(res.headers["content-type"]), body: await res.body.json() };
}

/** POST /query with a JSON body, as MISP sends it. */
export async function query(serverUrl: string, body: Record<string, unknown>): Promise<HttpAnswer> {
  const res = await request(`${serverUrl}/query`, {
    method: "POST",
    // A fresh connection each time: a server restarted by a test never meets a stale keep-alive socket.
    reset: true,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.statusCode, contentType: String(res.headers["content-type"]), body: await res.body.json() };
}

/** A MISP attribute as MISP sends it to a misp_standard module: type, value and a fresh uuid. */
export function attribute(type: string, value: string): { uuid: string; type: string; value: string; category: string; to_ids: boolean; comment: string } {
  return { uuid: randomUUID(), type, value, category: "Network activity", to_ids: false, comment: "" };
}

/** The object attributes of one object as relation → value (the last one wins for repeated relations). */
export function relations(object: MispObject): Record<string, unknown> {
  return Object.fromEntries(object.Attribute.map((a) => [a.object_relation ?? "", a.value]));
}

export const GENERIC_ERROR = { error: "Something went wrong, look in the server logs for details" };
