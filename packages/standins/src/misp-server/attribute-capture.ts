// Creating attributes and attaching tags, shared by objects/add, attributes/add, attributes/edit and
// tags/attachTagToObject (MispAttribute::captureAttribute, saveAttributes, AttributeTag).

import { randomUUID } from "node:crypto";
import { typeDefinition } from "./attribute-types.js";
import { asRecord, str, truthy, type Json, type RouteContext } from "./context.js";
import { attributeTagMessage, tagDefinitionMessage } from "./echo.js";
import { normaliseValue, type AttributeCandidate } from "./rules.js";
import type { AttributeRow, Store, TagRow } from "./store.js";

export interface Candidate extends AttributeCandidate {
  readonly toIds: boolean;
  readonly comment: string;
  readonly disableCorrelation: boolean;
  readonly sharingGroupId: number;
  readonly firstSeen: string | null;
  readonly lastSeen: string | null;
}

/** Defaults as captureAttribute fills them: category and to_ids from the type, distribution 5, a uuid. */
export function candidateFrom(raw: Json, eventId: number): Candidate {
  const type = str(raw.type);
  const def = typeDefinition(type);
  const relation = str(raw.object_relation);
  return {
    type,
    value: normaliseValue(type, str(raw.value)),
    category: str(raw.category) || def?.defaultCategory || "",
    uuid: (str(raw.uuid) || randomUUID()).toLowerCase(),
    distribution: raw.distribution === undefined || raw.distribution === null ? "5" : str(raw.distribution),
    eventId,
    objectRelation: relation === "" ? null : relation,
    deleted: truthy(raw.deleted),
    toIds: raw.to_ids === undefined ? (def?.toIds ?? false) : truthy(raw.to_ids),
    comment: str(raw.comment),
    disableCorrelation: truthy(raw.disable_correlation),
    sharingGroupId: Number(str(raw.sharing_group_id, "0")) || 0,
    firstSeen: typeof raw.first_seen === "string" ? raw.first_seen : null,
    lastSeen: typeof raw.last_seen === "string" ? raw.last_seen : null,
  };
}

export function insertAttribute(store: Store, c: Candidate, objectId: number): AttributeRow {
  const row: AttributeRow = {
    id: store.nextId("attributes"),
    uuid: c.uuid,
    eventId: c.eventId,
    objectId,
    objectRelation: c.objectRelation,
    category: c.category,
    type: c.type,
    value: c.value,
    toIds: c.toIds,
    timestamp: store.now(),
    distribution: Number(c.distribution),
    sharingGroupId: c.distribution === "4" ? c.sharingGroupId : 0,
    comment: c.comment,
    deleted: c.deleted,
    disableCorrelation: c.disableCorrelation,
    firstSeen: c.firstSeen,
    lastSeen: c.lastSeen,
  };
  store.state.attributes.push(row);
  return row;
}

/** An inline `Tag` list (or a single `{"name": …}`), with each entry's `local` flag. */
export function inlineTags(raw: Json): { name: string; local: boolean; deleted: boolean }[] {
  const value = raw.Tag;
  const list = Array.isArray(value) ? value : value !== undefined && value !== null ? [value] : [];
  return list
    .map(asRecord)
    .filter((t) => str(t.name) !== "")
    .map((t) => ({ name: str(t.name), local: truthy(t.local), deleted: truthy(t.deleted) }));
}

/** Tag::captureTag from a request: a tag created on the fly is published ("add") before its use. */
export function captureTag(ctx: RouteContext, name: string): TagRow {
  const { tag, created } = ctx.store.captureTag(name);
  if (created) ctx.emit(tagDefinitionMessage(tag, "add"));
  return tag;
}

/** Attaches a tag unless already attached; publishes "attached to attribute". True when it was new. */
export function attachToAttribute(ctx: RouteContext, attribute: AttributeRow, tag: TagRow, local: boolean): boolean {
  const { state } = ctx.store;
  if (state.attributeTags.some((l) => l.attributeId === attribute.id && l.tagId === tag.id)) return false;
  state.attributeTags.push({
    id: ctx.store.nextId("attributeTags"),
    attributeId: attribute.id,
    attributeUuid: attribute.uuid,
    eventId: attribute.eventId,
    tagId: tag.id,
    tagName: tag.name,
    local,
  });
  ctx.emit(attributeTagMessage(tag, attribute.id, attribute.eventId, "attached to attribute"));
  return true;
}

export function detachFromAttribute(ctx: RouteContext, attribute: AttributeRow, tag: TagRow): boolean {
  const links = ctx.store.state.attributeTags;
  const i = links.findIndex((l) => l.attributeId === attribute.id && l.tagId === tag.id);
  if (i < 0) return false;
  links.splice(i, 1);
  ctx.emit(attributeTagMessage(tag, attribute.id, attribute.eventId, "detached from attribute"));
  return true;
}

/**
 * Inline tags on a saved attribute. `honourLocal` is false on attributes/add, whose capture path saves
 * the AttributeTag without `local` (rest.md §1); objects/add and attributes/edit honour it.
 */
export function applyInlineTags(ctx: RouteContext, attribute: AttributeRow, raw: Json, honourLocal: boolean): void {
  for (const t of inlineTags(raw)) {
    const tag = captureTag(ctx, t.name);
    if (t.deleted && honourLocal) detachFromAttribute(ctx, attribute, tag);
    else if (!t.deleted) attachToAttribute(ctx, attribute, tag, honourLocal && t.local);
  }
}
