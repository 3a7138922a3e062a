// Event and publish messages. These differ most between transports (pubsub.md §4.2, §4.3, §8):
// ZeroMQ `misp_json` nests everything under `Event` in converted form (`Tag[]`), while Kafka
// `misp_event_publish` sends the raw fetchEvent array with `Attribute`, `Object`, `EventTag` and
// `Orgc` as siblings of `Event`, tags under `EventTag[].Tag` and `Attribute[].AttributeTag[].Tag`.
// `misp_json_event` / `misp_event` use quickFetchEvent: sibling `Orgc` and `EventTag[]`.

import type { Attribute, MessageOfKind, Tag } from "./types.js";
import type { MessageBase } from "./decode.js";
import { invalidField, type RecordReader } from "./scalars.js";
import { readAttribute, readEventSummary, readTagList } from "./rows.js";

export function decodeEvent(payload: RecordReader, base: MessageBase<"event">): MessageOfKind<"event"> {
  const scalar = payload.value["Event"];
  // A pull from a connected server sends the remote event's id or uuid as a bare scalar.
  if (typeof scalar === "string" || typeof scalar === "number") {
    return { ...base, eventRef: String(scalar), tags: [] };
  }
  if (scalar === undefined || scalar === null) throw invalidField(payload.topic, "Event", scalar, "an object, id or uuid");
  const event = payload.record("Event");
  return {
    ...base,
    event: readEventSummary(event, event.optRecord("Orgc") ?? payload.optRecord("Orgc")),
    tags: eventTags(event, payload),
  };
}

export function decodePublish(payload: RecordReader, base: MessageBase<"publish">): MessageOfKind<"publish"> {
  const event = payload.record("Event");
  const attributes: Attribute[] = [];
  for (const row of listIn(event, payload, "Attribute")) attributes.push(readAttribute(row));
  for (const object of listIn(event, payload, "Object")) {
    for (const row of object.optList("Attribute") ?? []) attributes.push(readAttribute(row));
  }
  return {
    ...base,
    event: readEventSummary(event, event.optRecord("Orgc") ?? payload.optRecord("Orgc")),
    tags: eventTags(event, payload),
    attributes,
  };
}

/** Event tags nested in `Event` (converted) or beside it (raw fetchEvent / quickFetchEvent). */
function eventTags(event: RecordReader, payload: RecordReader): Tag[] {
  return event.has("Tag") || event.has("EventTag") ? readTagList(event, "EventTag") : readTagList(payload, "EventTag");
}

function listIn(event: RecordReader, payload: RecordReader, key: string): RecordReader[] {
  return event.optList(key) ?? payload.optList(key) ?? [];
}
