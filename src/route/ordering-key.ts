// What the keyed queue (keyed-queue.ts) orders by. Prefixed with the subscriber's name, the key makes
// the messages that depend on each other run one at a time in arrival order for that subscriber, and
// lets everything else overlap.
//
// The default scope is the attribute: its add, edits, tag attaches and detaches, sightings and its
// deletion share a key, so a tag attached right after an add is handled after the add. MISP names the
// attribute by id in every one of those messages (pubsub.md §4.1, §4.6, §4.7: tag and sighting
// messages carry `attribute_id` and no uuid), so the key is the attribute's id. Independent attributes
// of one event — a feed import is one event of thousands — run concurrently.
//
// A subscriber that needs whole-event order asks for the "event" scope (`defineSubscriber({ order:
// "event" })`): every message naming one event then shares the event's id as key.

import type { MispMessage } from "../decode/types.js";

/** How much of the stream one subscriber's messages are ordered over. */
export type OrderScope = "attribute" | "event";

export const ORDER_SCOPES: readonly OrderScope[] = ["attribute", "event"];

/** The key of the thing a message is about, in the given scope; its kind when it names nothing. */
export function orderingKey(message: MispMessage, scope: OrderScope = "attribute"): string {
  return scope === "event" ? eventKey(message) : attributeKey(message);
}

/** The keyed queue's key of one subscriber's route for a message: everything that queues work uses it. */
export function queueKey(route: { readonly subscriber: string; readonly order?: OrderScope }, message: MispMessage): string {
  return `${route.subscriber}|${orderingKey(message, route.order)}`;
}

function attributeKey(message: MispMessage): string {
  switch (message.kind) {
    case "attribute":
      return `attribute:${message.attribute.id}`;
    case "tag": {
      const { tag } = message;
      if (tag.attributeId !== undefined) return `attribute:${tag.attributeId}`;
      return tag.eventId !== undefined ? `event:${tag.eventId}` : `tag:${tag.id}`;
    }
    case "sighting":
      return `attribute:${message.sighting.attributeId}`;
    case "object":
      return `object:${message.object.id}`;
    case "object-reference":
      // A reference belongs to its source object: ordered with that object's edits and deletion.
      return `object:${message.reference.objectId}`;
    default:
      return eventKey(message);
  }
}

function eventKey(message: MispMessage): string {
  switch (message.kind) {
    case "attribute":
      return `event:${message.attribute.eventId}`;
    case "object":
      return `event:${message.object.eventId}`;
    case "object-reference":
      return `event:${message.reference.eventId}`;
    case "tag":
      if (message.tag.eventId !== undefined) return `event:${message.tag.eventId}`;
      return message.tag.attributeId !== undefined ? `attribute:${message.tag.attributeId}` : `tag:${message.tag.id}`;
    case "sighting":
      return `event:${message.sighting.eventId}`;
    case "event":
      if (message.event) return `event:${message.event.id}`;
      return `event-ref:${message.eventRef ?? ""}`;
    case "publish":
      return `event:${message.event.id}`;
    default:
      return message.kind;
  }
}
