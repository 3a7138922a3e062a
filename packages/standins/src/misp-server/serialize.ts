// Rows as MISP puts them on the wire (pubsub.md §4): integer columns as strings, tinyint(1) columns
// as booleans, nullable columns as null, keys in MISP's column order.

import { isComposite } from "./attribute-types.js";
import type { AttributeRow, EventRow, ObjectRow, ReferenceRow, Store, TagRow } from "./store.js";

const s = (n: number): string => String(n);

export function eventColumns(e: EventRow): Record<string, unknown> {
  return {
    id: s(e.id), org_id: s(e.orgId), date: e.date, info: e.info, user_id: s(e.userId), uuid: e.uuid, published: e.published,
    analysis: s(e.analysis), attribute_count: "0", orgc_id: s(e.orgcId), timestamp: s(e.timestamp), distribution: s(e.distribution),
    sharing_group_id: s(e.sharingGroupId), proposal_email_lock: false, locked: false, threat_level_id: s(e.threatLevelId),
    publish_timestamp: s(e.publishTimestamp), sighting_timestamp: "0", disable_correlation: false, extends_uuid: e.extendsUuid ?? "",
    protected: null,
  };
}

export function orgcOf(store: Store, e: EventRow): Record<string, unknown> {
  const org = store.org(e.orgcId);
  return { id: s(org.id), uuid: org.uuid, name: org.name };
}

/** The `Event` embedded in attribute messages (MispAttribute::fetchAttribute's field list). */
export function eventEmbed(store: Store, e: EventRow): Record<string, unknown> {
  return {
    id: s(e.id), date: e.date, info: e.info, uuid: e.uuid, published: e.published, analysis: s(e.analysis),
    threat_level_id: s(e.threatLevelId), org_id: s(e.orgId), orgc_id: s(e.orgcId), distribution: s(e.distribution),
    sharing_group_id: s(e.sharingGroupId), Orgc: orgcOf(store, e),
  };
}

function values(a: AttributeRow): [string, string] {
  if (!isComposite(a.type)) return [a.value, ""];
  const i = a.value.indexOf("|");
  return i < 0 ? [a.value, ""] : [a.value.slice(0, i), a.value.slice(i + 1)];
}

/** Every `attributes` column plus the virtual `value`, as bus messages and attributes/add carry it. */
export function attributeColumns(a: AttributeRow): Record<string, unknown> {
  const [value1, value2] = values(a);
  return {
    id: s(a.id), event_id: s(a.eventId), object_id: s(a.objectId), object_relation: a.objectRelation, category: a.category,
    type: a.type, value1, value2, to_ids: a.toIds, uuid: a.uuid, timestamp: s(a.timestamp), distribution: s(a.distribution),
    sharing_group_id: s(a.sharingGroupId), comment: a.comment, deleted: a.deleted, disable_correlation: a.disableCorrelation,
    first_seen: a.firstSeen, last_seen: a.lastSeen, value: a.value,
  };
}

/** attributes/view, attributes/edit and restSearch: the columns without value1/value2 (observed on 2.5.1). */
export function attributeRest(a: AttributeRow): Record<string, unknown> {
  const { value1: _v1, value2: _v2, ...rest } = attributeColumns(a);
  return rest;
}

/** events/view lists an event's attributes in this other order (JSONConverterTool). */
export function attributeView(a: AttributeRow): Record<string, unknown> {
  return {
    id: s(a.id), type: a.type, category: a.category, to_ids: a.toIds, uuid: a.uuid, event_id: s(a.eventId),
    distribution: s(a.distribution), timestamp: s(a.timestamp), comment: a.comment, sharing_group_id: s(a.sharingGroupId),
    deleted: a.deleted, disable_correlation: a.disableCorrelation, object_id: s(a.objectId), object_relation: a.objectRelation,
    first_seen: a.firstSeen, last_seen: a.lastSeen, value: a.value,
  };
}

export function objectColumns(o: ObjectRow): Record<string, unknown> {
  return {
    id: s(o.id), name: o.name, "meta-category": o.metaCategory, description: o.description, template_uuid: o.templateUuid,
    template_version: o.templateVersion, event_id: s(o.eventId), uuid: o.uuid, timestamp: s(o.timestamp),
    distribution: s(o.distribution), sharing_group_id: s(o.sharingGroupId), comment: o.comment, deleted: o.deleted,
    first_seen: o.firstSeen, last_seen: o.lastSeen,
  };
}

export function referenceColumns(r: ReferenceRow): Record<string, unknown> {
  return {
    id: s(r.id), uuid: r.uuid, timestamp: s(r.timestamp), object_id: s(r.objectId), event_id: s(r.eventId),
    source_uuid: r.sourceUuid, referenced_uuid: r.referencedUuid, referenced_id: s(r.referencedId),
    referenced_type: s(r.referencedType), relationship_type: r.relationshipType, comment: r.comment, deleted: r.deleted,
  };
}

/** The full `tags` row, as tag messages carry it. */
export function tagColumns(t: TagRow): Record<string, unknown> {
  return {
    id: s(t.id), name: t.name, colour: t.colour, exportable: t.exportable, org_id: s(t.orgId), user_id: s(t.userId),
    hide_tag: t.hideTag, numerical_value: t.numericalValue, is_galaxy: t.isGalaxy, is_custom_galaxy: t.isCustomGalaxy,
    local_only: t.localOnly,
  };
}

/** `Attribute.Tag[]` in attribute messages: id, name, colour, exportable and the attachment's local. */
export function messageTag(t: TagRow, local: boolean): Record<string, unknown> {
  return { id: s(t.id), name: t.name, colour: t.colour, exportable: t.exportable, local };
}

/** `Tag[]` in attributes/edit answers: the row without org_id. */
export function editTag(t: TagRow): Record<string, unknown> {
  const { org_id: _orgId, ...rest } = tagColumns(t);
  return rest;
}

/** `Tag[]` in events/view: the row without org_id, plus local and relationship_type. */
export function viewTag(t: TagRow, local: boolean): Record<string, unknown> {
  return { ...editTag(t), local, relationship_type: null };
}

/** `Tag[]` in attributes/view and restSearch answers (observed on 2.5.1). */
export function restTag(t: TagRow, local: boolean): Record<string, unknown> {
  return { id: s(t.id), name: t.name, colour: t.colour, numerical_value: t.numericalValue, is_galaxy: t.isGalaxy, local };
}

/** The attribute's tags in one of the shapes above; empty when it has none. */
export function tagsOf(store: Store, a: AttributeRow, shape: "view" | "rest" | "edit"): Record<string, unknown>[] {
  return store
    .tagsOfAttribute(a.id)
    .map(({ tag, link }) => (shape === "view" ? viewTag(tag, link.local) : shape === "rest" ? restTag(tag, link.local) : editTag(tag)));
}

/** events/view's `Event` columns, in its order: no user_id, plus the creator's e-mail. */
export function eventViewColumns(store: Store, e: EventRow): Record<string, unknown> {
  const attributeCount = store.state.attributes.filter((a) => a.eventId === e.id && !a.deleted).length;
  return {
    id: s(e.id), orgc_id: s(e.orgcId), org_id: s(e.orgId), date: e.date, threat_level_id: s(e.threatLevelId), info: e.info,
    published: e.published, uuid: e.uuid, attribute_count: s(attributeCount), analysis: s(e.analysis), timestamp: s(e.timestamp),
    distribution: s(e.distribution), proposal_email_lock: false, locked: false, publish_timestamp: s(e.publishTimestamp),
    sharing_group_id: s(e.sharingGroupId), disable_correlation: false, extends_uuid: e.extendsUuid ?? "", protected: null,
    event_creator_email: "analyst@stand-in.example",
  };
}
