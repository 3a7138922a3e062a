// What MISP publishes after each write (pubsub.md §4 shapes, §6 order), built from the stand-in's rows,
// and the queue that hands them to the bus in order, one message at a time.

import { attributeColumns, eventColumns, eventEmbed, messageTag, objectColumns, orgcOf, referenceColumns, tagColumns } from "./serialize.js";
import type { AttributeRow, EventRow, ObjectRow, ReferenceRow, Store, TagRow } from "./store.js";

export interface EchoMessage {
  readonly topic: string;
  readonly payload: Record<string, unknown>;
}

export type AttributeAction = "add" | "edit" | "soft-delete";

/**
 * misp_json_attribute (MispAttribute::fetchAttribute): `Tag` only when the attribute has tags at the
 * moment of the message (never on `add` through objects/add or attributes/add: tags come after),
 * `Object` only for object attributes.
 */
export function attributeMessage(store: Store, a: AttributeRow, action: AttributeAction, withTags: boolean): EchoMessage {
  const attribute: Record<string, unknown> = attributeColumns(a);
  const tags = withTags ? store.tagsOfAttribute(a.id) : [];
  if (tags.length > 0) attribute.Tag = tags.map(({ tag, link }) => messageTag(tag, link.local));
  attribute.Sighting = [];
  const event = store.findEvent(a.eventId);
  const payload: Record<string, unknown> = { Attribute: attribute };
  if (event) payload.Event = eventEmbed(store, event);
  const object = a.objectId !== 0 ? store.findObject(a.objectId, true) : undefined;
  if (object) payload.Object = objectColumns(object);
  payload.action = action;
  return { topic: "misp_json_attribute", payload };
}

export function objectMessage(o: ObjectRow, action: "add" | "edit" | "soft-delete"): EchoMessage {
  return { topic: "misp_json_object", payload: { Object: objectColumns(o), action } };
}

export function referenceMessage(r: ReferenceRow, action: "add" | "edit" | "soft-delete"): EchoMessage {
  return { topic: "misp_json_object_reference", payload: { ObjectReference: referenceColumns(r), action } };
}

/** Tag::afterSave when a tag is created on the fly (observed before its first attachment). */
export function tagDefinitionMessage(t: TagRow, action: "add" | "edit"): EchoMessage {
  return { topic: "misp_json_tag", payload: { Tag: tagColumns(t), action } };
}

/** AttributeTag::afterSave: the tag row plus attribute_id and event_id; no `local`, no uuid. */
export function attributeTagMessage(t: TagRow, attributeId: number, eventId: number, action: "attached to attribute" | "detached from attribute"): EchoMessage {
  return { topic: "misp_json_tag", payload: { Tag: { ...tagColumns(t), attribute_id: String(attributeId), event_id: String(eventId) }, action } };
}

/** EventTag::afterSave: the tag row plus event_id, and `local` on attach only. */
export function eventTagMessage(t: TagRow, eventId: number, local: boolean, action: "attached to event" | "detached from event"): EchoMessage {
  const tag: Record<string, unknown> = { ...tagColumns(t), event_id: String(eventId) };
  if (action === "attached to event") tag.local = local;
  return { topic: "misp_json_tag", payload: { Tag: tag, action } };
}

/** misp_json_event (Event::afterSave → quickFetchEvent). */
export function eventMessage(store: Store, e: EventRow, action: "add" | "edit"): EchoMessage {
  return { topic: "misp_json_event", payload: { Event: eventColumns(e), Orgc: orgcOf(store, e), EventTag: [], action } };
}

export interface EchoQueue {
  /**
   * Publishes the messages in order, after every batch scheduled before them, waiting `afterMs` first
   * (0: no wait). Resolves once they have been handed to `publish`.
   */
  schedule(messages: readonly EchoMessage[], afterMs: number): Promise<void>;
  /** Resolves once everything scheduled so far has been handed to `publish`. */
  drain(): Promise<void>;
}

export function createEchoQueue(options: {
  publish?: (topic: string, payload: object) => void | Promise<void>;
  record: (message: EchoMessage) => void;
}): EchoQueue {
  let chain: Promise<void> = Promise.resolve();
  return {
    schedule(messages, afterMs) {
      if (messages.length === 0) return chain;
      chain = chain.then(async () => {
        if (afterMs > 0) await new Promise((resolve) => setTimeout(resolve, afterMs));
        for (const m of messages) {
          options.record(m);
          try {
            await options.publish?.(m.topic, m.payload);
          } catch (error) {
            // A failing test publisher must not take the stand-in down; make it visible instead.
            process.emitWarning(`misp stand-in: publishing ${m.topic} failed: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
      });
      return chain;
    },
    drain: () => chain,
  };
}
