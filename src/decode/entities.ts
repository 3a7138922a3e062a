// Attribute, object, object-reference, tag and sighting messages (pubsub.md §4.1, §4.4-§4.7).
// Kafka sends the same arrays for these topics (§8), so one reader serves both transports.

import type { MessageOfKind, Sighting, TagAttachment } from "./types.js";
import type { MessageBase } from "./decode.js";
import { invalidField, type RecordReader } from "./scalars.js";
import { readAttribute, readEventSummary, readObjectRow, readTag } from "./rows.js";

export function decodeAttribute(payload: RecordReader, base: MessageBase<"attribute">): MessageOfKind<"attribute"> {
  const row = payload.record("Attribute");
  // A hard delete carries only the raw row, read in beforeDelete: no Event, Tag or `value`.
  if (base.action === "delete") return { ...base, attribute: readAttribute(row, { fromRawRow: true }) };
  const event = payload.record("Event");
  const object = payload.optRecord("Object");
  return {
    ...base,
    attribute: readAttribute(row),
    event: readEventSummary(event, event.optRecord("Orgc")),
    ...(object === undefined ? {} : { object: readObjectRow(object) }),
  };
}

export function decodeObject(payload: RecordReader, base: MessageBase<"object">): MessageOfKind<"object"> {
  return { ...base, object: readObjectRow(payload.record("Object")) };
}

export function decodeReference(
  payload: RecordReader,
  base: MessageBase<"object-reference">,
): MessageOfKind<"object-reference"> {
  const row = payload.record("ObjectReference");
  return {
    ...base,
    reference: {
      id: row.int("id"),
      uuid: row.str("uuid"),
      objectId: row.int("object_id"),
      eventId: row.int("event_id"),
      sourceUuid: row.str("source_uuid"),
      referencedUuid: row.str("referenced_uuid"),
      referencedId: row.int("referenced_id"),
      referencedType: referencedType(row),
      relationshipType: row.strOr("relationship_type", ""),
      comment: row.strOr("comment", ""),
      deleted: row.boolOr("deleted", false),
    },
  };
}

/** `referenced_type` is "0" for an attribute target and "1" for an object target. */
function referencedType(row: RecordReader): "attribute" | "object" {
  const code = row.int("referenced_type");
  if (code === 0) return "attribute";
  if (code === 1) return "object";
  throw invalidField(row.topic, `${row.path}.referenced_type`, row.value["referenced_type"], '"0" (attribute) or "1" (object)');
}

/**
 * Three shapes share the topic (pubsub.md §4.6): attach/detach on an attribute (attribute_id, no
 * `local`), attach/detach on an event (event_id; `local` only on attach), and tag definitions.
 */
export function decodeTag(payload: RecordReader, base: MessageBase<"tag">): MessageOfKind<"tag"> {
  const row = payload.record("Tag");
  const tag: TagAttachment = { ...readTag(row), localOnly: row.boolOr("local_only", false) };
  switch (base.action) {
    case "attached-to-attribute":
    case "detached-from-attribute":
      return { ...base, tag: { ...tag, attributeId: row.int("attribute_id"), eventId: row.optInt("event_id") } };
    case "attached-to-event":
    case "detached-from-event":
      return { ...base, tag: { ...tag, eventId: row.int("event_id") } };
    default:
      return { ...base, tag };
  }
}

const SIGHTING_TYPES: readonly Sighting["type"][] = ["sighting", "false-positive", "expiration"];

export function decodeSighting(payload: RecordReader, base: MessageBase<"sighting">): MessageOfKind<"sighting"> {
  const row = payload.record("Sighting");
  const type = SIGHTING_TYPES[row.int("type")];
  if (type === undefined) {
    throw invalidField(row.topic, "Sighting.type", row.value["type"], '"0" (sighting), "1" (false positive) or "2" (expiration)');
  }
  const attribute = row.optRecord("Attribute");
  const eventUuid = row.optRecord("Event")?.optStr("uuid");
  const sighting: Sighting = {
    id: row.int("id"),
    uuid: row.str("uuid"),
    attributeId: row.int("attribute_id"),
    eventId: row.int("event_id"),
    orgId: row.int("org_id"),
    type,
    source: row.strOr("source", ""),
    dateSighting: row.int("date_sighting"),
    ...(attribute === undefined
      ? {}
      : {
          attribute: {
            uuid: attribute.str("uuid"),
            type: attribute.str("type"),
            value: attribute.str("value"),
            id: attribute.int("id"),
          },
        }),
    ...(eventUuid === undefined ? {} : { eventUuid }),
  };
  return { ...base, sighting };
}
