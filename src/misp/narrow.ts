// Narrows MISP's REST answers (unknown JSON) into the typed shapes of decode/types.ts. MISP sends ids
// and timestamps as strings and tinyint(1) columns as booleans (pubsub.md §4); both forms are taken
// here. decode/ owns the same job for bus payloads; this is the REST side's own small copy.

import { EnrichdError } from "../errors.js";
import { isRecord } from "../json.js";
import type { Attribute, EventSummary, Tag } from "../decode/types.js";

export type JsonObject = Readonly<Record<string, unknown>>;

function invalid(what: string, value: unknown): EnrichdError {
  const shown = typeof value === "string" ? value.slice(0, 80) : typeof value;
  return new EnrichdError("ENRICHD_MISP_RESPONSE_INVALID", `MISP answer has no usable ${what}`, {
    details: { field: what, got: shown },
  });
}


export function record(value: unknown, what: string): JsonObject {
  if (!isRecord(value)) throw invalid(what, value);
  return value;
}

export function list(value: unknown, what: string): readonly unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid(what, value);
  return value;
}

export function text(value: unknown, what: string): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  throw invalid(what, value);
}

export function optText(value: unknown, fallback = ""): string {
  return typeof value === "string" ? value : typeof value === "number" ? String(value) : fallback;
}

export function nullableText(value: unknown): string | null {
  return typeof value === "string" ? value : typeof value === "number" ? String(value) : null;
}

/** `"1337"` or `1337` → 1337. */
export function int(value: unknown, what: string): number {
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value === "string" && /^-?\d+$/.test(value.trim())) return Number(value.trim());
  throw invalid(what, value);
}

export function optInt(value: unknown, fallback: number): number {
  if (value === undefined || value === null || value === "") return fallback;
  try {
    return int(value, "integer");
  } catch {
    return fallback;
  }
}

/** tinyint(1) as MISP may send it: true/false, 1/0, "1"/"0". */
export function flag(value: unknown): boolean {
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return value !== 0;
  if (typeof value === "string") return value === "1" || value.toLowerCase() === "true";
  return false;
}

export function narrowTags(value: unknown): Tag[] {
  return list(value, "Tag").map((raw) => {
    const t = record(raw, "Tag");
    const tag: { -readonly [K in keyof Tag]: Tag[K] } = { id: optInt(t.id, 0), name: text(t.name, "Tag.name") };
    if (typeof t.colour === "string") tag.colour = t.colour;
    if (t.exportable !== undefined) tag.exportable = flag(t.exportable);
    if (t.local !== undefined) tag.local = flag(t.local);
    return tag;
  });
}

/** An `Attribute` row as attributes/view, attributes/restSearch and events/view return it. */
export function narrowAttribute(value: unknown): Attribute {
  const a = record(value, "Attribute");
  const relation = nullableText(a.object_relation);
  return {
    id: int(a.id, "Attribute.id"),
    uuid: text(a.uuid, "Attribute.uuid").toLowerCase(),
    eventId: int(a.event_id, "Attribute.event_id"),
    objectId: optInt(a.object_id, 0),
    objectRelation: relation === "" ? null : relation,
    category: optText(a.category),
    type: text(a.type, "Attribute.type"),
    value: text(a.value ?? a.value1, "Attribute.value"),
    toIds: flag(a.to_ids),
    timestamp: optInt(a.timestamp, 0),
    distribution: optInt(a.distribution, 5),
    sharingGroupId: optInt(a.sharing_group_id, 0),
    comment: optText(a.comment),
    deleted: flag(a.deleted),
    disableCorrelation: flag(a.disable_correlation),
    firstSeen: nullableText(a.first_seen),
    lastSeen: nullableText(a.last_seen),
    tags: narrowTags(a.Tag),
  };
}

/**
 * An `Event` as MISP embeds it. restSearch embeds only id, info, org_id, orgc_id and uuid
 * (MispAttribute::fetchAttributes); the missing fields get conservative defaults: not published,
 * distribution 0 ("your organisation only"), no date.
 */
export function narrowEventSummary(value: unknown, uuidFallback?: string): EventSummary {
  const e = record(value, "Event");
  const orgc = isRecord(e.Orgc) ? e.Orgc : undefined;
  const summary: { -readonly [K in keyof EventSummary]: EventSummary[K] } = {
    id: int(e.id, "Event.id"),
    uuid: text(e.uuid ?? uuidFallback, "Event.uuid").toLowerCase(),
    info: optText(e.info),
    date: optText(e.date),
    published: flag(e.published),
    orgId: optInt(e.org_id, 0),
    orgcId: optInt(e.orgc_id, 0),
    distribution: optInt(e.distribution, 0),
    sharingGroupId: optInt(e.sharing_group_id, 0),
  };
  if (orgc && typeof orgc.uuid === "string") summary.orgcUuid = orgc.uuid;
  if (orgc && typeof orgc.name === "string") summary.orgcName = orgc.name;
  return summary;
}
