// What the keyed queue (keyed-queue.ts) orders by. Prefixed with the subscriber's name, it makes one
// event's messages run one at a time in arrival order for each subscriber, while events run in parallel.

import type { MispMessage } from "../decode/types.js";

/** The event a message belongs to, as precisely as the message says; its kind when it says nothing. */
export function orderingKey(message: MispMessage): string {
  switch (message.kind) {
    case "attribute":
      return message.event?.uuid ?? `event-id:${message.attribute.eventId}`;
    case "object":
      return `event-id:${message.object.eventId}`;
    case "object-reference":
      return `event-id:${message.reference.eventId}`;
    case "tag":
      return message.tag.eventId !== undefined ? `event-id:${message.tag.eventId}` : `tag:${message.tag.id}`;
    case "event":
    case "publish":
      return message.event?.uuid ?? `event-ref:${message.kind === "event" ? message.eventRef ?? "" : ""}`;
    case "sighting":
      return message.sighting.eventUuid ?? `event-id:${message.sighting.eventId}`;
    default:
      return message.kind;
  }
}
