// Test data put straight into the stand-in's tables, as if an analyst had created it, with the bus
// message MISP would have published for it, so a test can play "an analyst added an attribute".

import { randomUUID } from "node:crypto";
import { candidateFrom, insertAttribute } from "./attribute-capture.js";
import { attributeMessage, eventMessage, type EchoMessage } from "./echo.js";
import type { StandinUser } from "./rules.js";
import { validateAttribute } from "./rules.js";
import type { EventRow, Store } from "./store.js";

export interface SeedEventOptions {
  readonly info?: string;
  readonly uuid?: string;
  /** Creator organisation; defaults to the key's organisation, so the daemon may modify the event. */
  readonly orgcId?: number;
  readonly orgId?: number;
  readonly distribution?: number;
  readonly published?: boolean;
  readonly date?: string;
}

export interface SeededEvent {
  readonly id: number;
  readonly uuid: string;
  /** `misp_json_event` add. */
  readonly message: EchoMessage;
}

export interface SeedAttributeOptions {
  readonly type: string;
  readonly value: string;
  readonly category?: string;
  readonly uuid?: string;
  readonly toIds?: boolean;
  readonly comment?: string;
  readonly distribution?: number;
  readonly tags?: readonly { readonly name: string; readonly local?: boolean }[];
}

export interface SeededAttribute {
  readonly id: number;
  readonly uuid: string;
  readonly eventId: number;
  readonly eventUuid: string;
  /** `misp_json_attribute` add, without `Tag` as MISP publishes it (tags come as tag messages). */
  readonly message: EchoMessage;
}

/** The analyst who creates seeded events: another user of the creator organisation. */
const ANALYST_USER_ID = 1;

export function seedEvent(store: Store, user: StandinUser, options: SeedEventOptions = {}): SeededEvent {
  const now = store.now();
  const orgcId = options.orgcId ?? user.orgId;
  const event: EventRow = {
    id: store.nextId("events"),
    uuid: (options.uuid ?? randomUUID()).toLowerCase(),
    info: options.info ?? "stand-in event",
    date: options.date ?? new Date(now * 1000).toISOString().slice(0, 10),
    published: options.published ?? false,
    analysis: 0,
    threatLevelId: 4,
    orgId: options.orgId ?? orgcId,
    orgcId,
    userId: ANALYST_USER_ID,
    distribution: options.distribution ?? 1,
    sharingGroupId: 0,
    timestamp: now,
    publishTimestamp: 0,
    extendsUuid: null,
  };
  store.org(event.orgId);
  store.org(orgcId);
  store.state.events.push(event);
  return { id: event.id, uuid: event.uuid, message: eventMessage(store, event, "add") };
}

export function seedAttribute(store: Store, eventIdOrUuid: string | number, options: SeedAttributeOptions): SeededAttribute {
  const event = store.findEvent(eventIdOrUuid);
  if (!event) throw new Error(`seedAttribute: no event ${String(eventIdOrUuid)} in the stand-in`);
  const raw: Record<string, unknown> = { type: options.type, value: options.value };
  if (options.category !== undefined) raw.category = options.category;
  if (options.uuid !== undefined) raw.uuid = options.uuid;
  if (options.toIds !== undefined) raw.to_ids = options.toIds;
  if (options.comment !== undefined) raw.comment = options.comment;
  if (options.distribution !== undefined) raw.distribution = String(options.distribution);
  const candidate = { ...candidateFrom(raw, event.id), objectRelation: null };
  // Seeds skip the onion typo: an analyst's data may hold values the daemon's own writes could not.
  const errors = validateAttribute(store, candidate, { create: true, rejectV3Onions: false });
  if (Object.keys(errors).length > 0) throw new Error(`seedAttribute: MISP would refuse it: ${JSON.stringify(errors)}`);
  const attribute = insertAttribute(store, candidate, 0);
  const message = attributeMessage(store, attribute, "add", false);
  for (const t of options.tags ?? []) {
    const { tag } = store.captureTag(t.name);
    store.state.attributeTags.push({
      id: store.nextId("attributeTags"), attributeId: attribute.id, attributeUuid: attribute.uuid, eventId: event.id, tagId: tag.id,
      tagName: tag.name, local: t.local ?? false,
    });
  }
  return { id: attribute.id, uuid: attribute.uuid, eventId: event.id, eventUuid: event.uuid, message };
}
