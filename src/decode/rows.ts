// Readers for the rows several topics share: attributes, events, objects and tags. Which fields
// are required follows pubsub.md §4: identity fields must be present; columns a MISP version may
// omit or leave NULL fall back to MISP's own defaults.

import type { Attribute, EventSummary, ObjectRow, Tag } from "./types.js";
import type { RecordReader } from "./scalars.js";

export function readTag(tag: RecordReader, local?: boolean): Tag {
  return {
    id: tag.int("id"),
    name: tag.str("name"),
    colour: tag.optStr("colour"),
    exportable: tag.optBool("exportable"),
    local: local ?? tag.optBool("local"),
  };
}

/**
 * Tags of an attribute or event in any of MISP's layouts: converted (`Tag[]` with `local`, as on
 * ZeroMQ) or raw fetchEvent/quickFetchEvent (`EventTag[].Tag` / `AttributeTag[].Tag`, where
 * locality sits on the join row). Absent lists give no tags.
 */
export function readTagList(container: RecordReader, joinKey: "EventTag" | "AttributeTag"): Tag[] {
  const direct = container.optList("Tag");
  if (direct !== undefined) return direct.map((tag) => readTag(tag));
  const joined = container.optList(joinKey);
  if (joined === undefined) return [];
  return joined.map((join) => readTag(join.record("Tag"), join.optBool("local")));
}

/**
 * An attribute row. Hard deletes carry the raw row without the virtual `value`, and must be
 * rebuilt from value1/value2 (pubsub.md §4.1); other payloads carry `value`.
 */
export function readAttribute(row: RecordReader, options: { fromRawRow?: boolean } = {}): Attribute {
  return {
    id: row.int("id"),
    uuid: row.str("uuid"),
    eventId: row.int("event_id"),
    objectId: row.intOr("object_id", 0),
    objectRelation: row.nullableStr("object_relation"),
    category: row.str("category"),
    type: row.str("type"),
    value: options.fromRawRow === true || !row.has("value") ? joinValue(row) : row.str("value"),
    toIds: row.bool("to_ids"),
    timestamp: row.int("timestamp"),
    distribution: row.int("distribution"),
    sharingGroupId: row.intOr("sharing_group_id", 0),
    comment: row.strOr("comment", ""),
    deleted: row.boolOr("deleted", false),
    disableCorrelation: row.boolOr("disable_correlation", false),
    firstSeen: row.nullableStr("first_seen"),
    lastSeen: row.nullableStr("last_seen"),
    tags: readTagList(row, "AttributeTag"),
  };
}

/** MispAttribute's virtual field: `value1|value2` when value2 is set (composite types). */
function joinValue(row: RecordReader): string {
  const value1 = row.str("value1");
  const value2 = row.strOr("value2", "");
  return value2 ? `${value1}|${value2}` : value1;
}

/** An event row; `orgc` is `Event.Orgc` (converted layouts) or the sibling `Orgc` (raw layouts). */
export function readEventSummary(event: RecordReader, orgc?: RecordReader): EventSummary {
  return {
    id: event.int("id"),
    uuid: event.str("uuid"),
    info: event.str("info"),
    date: event.str("date"),
    published: event.bool("published"),
    orgId: event.int("org_id"),
    orgcId: event.int("orgc_id"),
    distribution: event.int("distribution"),
    sharingGroupId: event.intOr("sharing_group_id", 0),
    orgcUuid: orgc?.optStr("uuid"),
    orgcName: orgc?.optStr("name"),
  };
}

export function readObjectRow(row: RecordReader): ObjectRow {
  return {
    id: row.int("id"),
    uuid: row.str("uuid"),
    name: row.str("name"),
    metaCategory: row.strOr("meta-category", ""),
    templateUuid: row.str("template_uuid"),
    templateVersion: row.text("template_version"),
    eventId: row.int("event_id"),
    comment: row.strOr("comment", ""),
    distribution: row.int("distribution"),
    sharingGroupId: row.intOr("sharing_group_id", 0),
    deleted: row.boolOr("deleted", false),
    timestamp: row.int("timestamp"),
  };
}
