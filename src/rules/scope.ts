// What a rule sees of a message: the attribute and event it is about and the tag it carries, in
// MISP's own field names (as Workflows and MISP's JSON show them: `Attribute.to_ids`,
// `Event.info`, `Attribute.Tag[0].name`). Attribute messages carry the attribute and a summary of
// its event; tag and sighting messages carry ids only (pubsub.md §4.6), so the attribute and the
// event are fetched by id, through the short-lived read cache, and only when the rule needs them.

import type { Attribute, EventSummary, MispMessage, Tag } from "../decode/types.js";
import type { ReadCache } from "../misp/read-cache.js";
import type { CompiledRule } from "./types.js";

export interface ScopeEvent {
  readonly event: EventSummary;
  /** Known when the event was fetched or the message carried them. */
  readonly tags?: readonly Tag[];
  readonly threatLevelId?: number;
  readonly analysis?: number;
}

export interface RuleScope {
  readonly attribute?: { readonly attribute: Attribute; readonly eventUuid?: string };
  readonly event?: ScopeEvent;
  /** The event's id and uuid when only those are known. */
  readonly eventRef?: { readonly id: number; readonly uuid?: string };
  readonly tag?: Readonly<Record<string, unknown>>;
}

export type ScopeResult = { readonly scope: RuleScope } | { readonly skip: string };

export interface ScopeDeps {
  readonly reads: ReadCache;
  readonly signal: AbortSignal;
  /** Whether misp-enrichd wrote the attribute (its own output is never a trigger). */
  readonly isOwn: (uuid: string) => boolean;
}

function tagView(tag: Tag): Record<string, unknown> {
  return { id: tag.id, name: tag.name, ...(tag.colour === undefined ? {} : { colour: tag.colour }), ...(tag.local === undefined ? {} : { local: tag.local }) };
}

export function attributeView(a: Attribute): Record<string, unknown> {
  return {
    id: a.id, uuid: a.uuid, event_id: a.eventId, object_id: a.objectId, object_relation: a.objectRelation, category: a.category, type: a.type,
    value: a.value, to_ids: a.toIds, distribution: a.distribution, sharing_group_id: a.sharingGroupId, comment: a.comment, timestamp: a.timestamp,
    deleted: a.deleted, disable_correlation: a.disableCorrelation, first_seen: a.firstSeen, last_seen: a.lastSeen, Tag: a.tags.map(tagView),
  };
}

export function eventView(e: ScopeEvent): Record<string, unknown> {
  const { event } = e;
  return {
    id: event.id, uuid: event.uuid, info: event.info, date: event.date, published: event.published, org_id: event.orgId, orgc_id: event.orgcId,
    distribution: event.distribution, sharing_group_id: event.sharingGroupId,
    ...(e.threatLevelId === undefined ? {} : { threat_level_id: e.threatLevelId }),
    ...(e.analysis === undefined ? {} : { analysis: e.analysis }),
    Orgc: { ...(event.orgcUuid ? { uuid: event.orgcUuid } : {}), ...(event.orgcName ? { name: event.orgcName } : {}) },
    Tag: (e.tags ?? []).map(tagView),
  };
}

/** What templates and conditions see: `Attribute`, `Event`, `Tag`, `rule`, `env` (the names the rule reads only). */
export function templateScope(rule: CompiledRule, scope: RuleScope): Record<string, unknown> {
  return {
    ...(scope.attribute ? { Attribute: attributeView(scope.attribute.attribute) } : {}),
    ...(scope.event ? { Event: eventView(scope.event) } : scope.eventRef ? { Event: { id: scope.eventRef.id, ...(scope.eventRef.uuid ? { uuid: scope.eventRef.uuid } : {}) } } : {}),
    ...(scope.tag ? { Tag: scope.tag } : {}),
    rule: { name: rule.name, on: rule.queries, once: rule.once },
    env: rule.env,
  };
}

/** The attribute and event ids a message names, whatever its kind. */
function idsOf(message: MispMessage): { attributeId?: number; eventId?: number } {
  switch (message.kind) {
    case "attribute":
      return { attributeId: message.attribute.id, eventId: message.attribute.eventId };
    case "tag":
      return { ...(message.tag.attributeId === undefined ? {} : { attributeId: message.tag.attributeId }), ...(message.tag.eventId === undefined ? {} : { eventId: message.tag.eventId }) };
    case "sighting":
      return { attributeId: message.sighting.attributeId, eventId: message.sighting.eventId };
    case "object":
      return { eventId: message.object.eventId };
    case "object-reference":
      return { eventId: message.reference.eventId };
    case "event":
    case "publish":
      return message.event ? { eventId: message.event.id } : {};
    default:
      return {};
  }
}

export async function resolveScope(rule: CompiledRule, message: MispMessage, deps: ScopeDeps): Promise<ScopeResult> {
  const { attributeId, eventId } = idsOf(message);
  let attribute: RuleScope["attribute"];
  let event: ScopeEvent | undefined;
  if (message.kind === "attribute") {
    attribute = { attribute: message.attribute, ...(message.event ? { eventUuid: message.event.uuid } : {}) };
    if (message.event) event = { event: message.event };
  } else if ((message.kind === "event" || message.kind === "publish") && message.event) {
    event = { event: message.event, tags: message.tags };
  }
  if (!attribute && attributeId !== undefined && (rule.needs.attribute || rule.needs.event)) {
    attribute = await deps.reads.attribute(attributeId, deps.signal);
    // Tags on the daemon's own objects' attributes come as tag messages that may beat their add (Kafka).
    if (deps.isOwn(attribute.attribute.uuid)) return { skip: "the attribute is one misp-enrichd wrote" };
  }
  if (!event && rule.needs.event && eventId !== undefined) event = await deps.reads.event(eventId, deps.signal);
  if ((rule.needs.attribute || rule.needs.event) && !attribute && !event && eventId === undefined) return { skip: `the ${message.kind} message names no attribute or event` };
  const tag = message.kind === "tag" ? { ...tagView(message.tag), ...(attributeId === undefined ? {} : { attribute_id: attributeId }), ...(eventId === undefined ? {} : { event_id: eventId }) } : undefined;
  const eventRef = eventId === undefined ? undefined : { id: eventId, ...(attribute?.eventUuid ? { uuid: attribute.eventUuid } : {}) };
  return { scope: { ...(attribute ? { attribute } : {}), ...(event ? { event } : {}), ...(eventRef ? { eventRef } : {}), ...(tag ? { tag } : {}) } };
}
