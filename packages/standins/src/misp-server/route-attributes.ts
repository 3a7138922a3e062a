// /attributes/add (rest.md §1), /attributes/edit (§7), /attributes/view (§8), /attributes/restSearch (§11).

import { applyInlineTags, candidateFrom, insertAttribute } from "./attribute-capture.js";
import { asRecord, str, type Json, type Route, type RouteContext } from "./context.js";
import { attributeMessage } from "./echo.js";
import { MispException, ok, saveFail, type Reply } from "./responses.js";
import { canModifyEvent, MESSAGES, validateAttribute } from "./rules.js";
import { attributeColumns, attributeRest, tagsOf } from "./serialize.js";
import type { AttributeRow } from "./store.js";

/** The REST attribute shape, with `event_uuid` where MISP adds it and `Tag` only when there are tags. */
function restAttribute(ctx: RouteContext, a: AttributeRow, shape: "rest" | "edit", extra: Json = {}): Json {
  const tags = tagsOf(ctx.store, a, shape);
  return { ...attributeRest(a), ...extra, ...(tags.length > 0 ? { Tag: tags } : {}) };
}

const eventUuidOf = (ctx: RouteContext, a: AttributeRow): string => ctx.store.findEvent(a.eventId)?.uuid ?? "";

function add(ctx: RouteContext): Reply {
  const { store, config } = ctx;
  const eventKey = ctx.args[0];
  if (eventKey === undefined) throw new MispException(405, "No event ID set.");
  const event = store.findEvent(eventKey);
  if (!event) throw new MispException(404, "Invalid event");
  if (!canModifyEvent(config.user, event)) throw new MispException(403, MESSAGES.noPermission);
  let data = asRecord(ctx.body);
  if (data.Attribute === undefined) data = { Attribute: ctx.body };
  const wrapped = data.Attribute;
  const first = asRecord(Array.isArray(wrapped) ? wrapped[0] : wrapped);
  if (str(first.distribution) === "4") throw new MispException(403, "Invalid Sharing Group or not authorised.");
  // Batch forms: a list of attributes, or one attribute whose value is a list.
  let raws: Json[];
  if (Array.isArray(wrapped)) raws = wrapped.map(asRecord);
  else if (Array.isArray(first.value)) raws = first.value.map((value: unknown) => ({ ...first, value }));
  else raws = [first];

  const fails: Record<string, unknown> = {};
  const saved: AttributeRow[] = [];
  raws.forEach((raw, k) => {
    const candidate = candidateFrom(raw, event.id);
    const errors = validateAttribute(store, { ...candidate, objectRelation: null }, { create: true, rejectV3Onions: config.rejectV3Onions });
    if (Object.keys(errors).length > 0) {
      fails[`attribute_${k}`] = errors;
      return;
    }
    const attribute = insertAttribute(store, { ...candidate, objectRelation: null }, 0);
    ctx.emit(attributeMessage(store, attribute, "add", false));
    applyInlineTags(ctx, attribute, raw, false);
    saved.push(attribute);
  });
  if (saved.length === 0) return saveFail("Attributes", "add", false, raws.length === 1 ? fails.attribute_0 : fails);
  if (saved.length === 1 && raws.length === 1) {
    const a = saved[0] as AttributeRow;
    const attributeTag = store.tagsOfAttribute(a.id).map(({ tag, link }) => ({
      id: String(link.id), attribute_id: String(a.id), event_id: String(a.eventId), tag_id: String(tag.id), local: link.local, relationship_type: null,
      Tag: { id: String(tag.id), name: tag.name, colour: tag.colour, numerical_value: tag.numericalValue },
    }));
    return ok({ Attribute: attributeColumns(a), AttributeTag: attributeTag });
  }
  const body: Json = {
    Attribute: saved.map((a) => {
      const tags = ctx.store.tagsOfAttribute(a.id).map(({ tag }) => ({ id: String(tag.id), name: tag.name, colour: tag.colour, numerical_value: tag.numericalValue }));
      return { ...attributeColumns(a), ...(tags.length > 0 ? { Tag: tags } : {}) };
    }),
  };
  if (Object.keys(fails).length > 0) body.errors = fails;
  return ok(body);
}

const EDITABLE = ["category", "type", "value", "to_ids", "comment", "distribution", "sharing_group_id", "deleted", "disable_correlation", "first_seen", "last_seen"];

function edit(ctx: RouteContext): Reply {
  const { store, config } = ctx;
  const attribute = store.findAttribute(ctx.args[0] ?? "", true);
  if (!attribute || attribute.deleted) throw new MispException(404, "Invalid attribute");
  const event = store.findEvent(attribute.eventId);
  if (!event || !canModifyEvent(config.user, event)) throw new MispException(403, MESSAGES.noPermission);
  let data = asRecord(ctx.body);
  if (data.Attribute !== undefined) data = asRecord(data.Attribute);
  // Distribution 4 needs a sharing group the key may use; without one in the request, the stored one (observed on 2.5.1).
  const sharingGroupId = Number(str(data.sharing_group_id, String(attribute.sharingGroupId)));
  if (str(data.distribution) === "4" && !config.sharingGroups.includes(sharingGroupId)) throw new MispException(403, "Invalid Sharing Group or not authorised.");
  const timestamp = data.timestamp === undefined ? store.now() : Number(str(data.timestamp));
  if (data.timestamp !== undefined && !(timestamp > attribute.timestamp)) {
    throw new MispException(405, "Attribute could not be saved: Attribute in the request not newer than the local copy.");
  }
  // Missing fields are recovered from the stored row; only EDITABLE_FIELDS are taken from the request.
  const merged: Json = { ...attributeColumns(attribute), object_relation: attribute.objectRelation };
  for (const field of EDITABLE) if (data[field] !== undefined) merged[field] = data[field];
  const candidate = { ...candidateFrom(merged, attribute.eventId), uuid: attribute.uuid };
  const errors = validateAttribute(store, candidate, { create: false, rejectV3Onions: config.rejectV3Onions, selfId: attribute.id });
  if (Object.keys(errors).length > 0) return saveFail("Attributes", "edit", false, errors);
  Object.assign(attribute, {
    category: candidate.category, type: candidate.type, value: candidate.value, toIds: candidate.toIds, comment: candidate.comment,
    distribution: Number(candidate.distribution), sharingGroupId: candidate.distribution === "4" ? sharingGroupId : 0,
    deleted: candidate.deleted, disableCorrelation: candidate.disableCorrelation, firstSeen: candidate.firstSeen,
    lastSeen: candidate.lastSeen, timestamp,
  });
  store.reindexValue(attribute);
  ctx.emit(attributeMessage(store, attribute, attribute.deleted ? "soft-delete" : "edit", true));
  applyInlineTags(ctx, attribute, data, true);
  // The object's timestamp bump is saved with skip_zmq: no object message (pubsub.md §4.1).
  const object = attribute.objectId !== 0 ? store.findObject(attribute.objectId, true) : undefined;
  if (object) object.timestamp = timestamp;
  return ok({ Attribute: restAttribute(ctx, attribute, "edit") });
}

function view(ctx: RouteContext): Reply {
  const attribute = ctx.store.findAttribute(ctx.args[0] ?? "");
  if (ctx.method === "HEAD") return { status: attribute ? 200 : 404 };
  // AttributesController::view throws MethodNotAllowed, not NotFound, for an unknown attribute.
  if (!attribute) throw new MispException(405, "Invalid attribute");
  return ok({ Attribute: restAttribute(ctx, attribute, "rest", { event_uuid: eventUuidOf(ctx, attribute) }) });
}

/** Epoch seconds, or MISP's relative form ("1h", "30m", "7d", "2w"). */
function since(value: unknown, now: number): number | undefined {
  const text = str(value);
  if (/^\d+$/.test(text)) return Number(text);
  const m = /^(\d+)([smhdw])$/.exec(text);
  if (!m) return undefined;
  const unit = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[m[2] as "s" | "m" | "h" | "d" | "w"];
  return now - Number(m[1]) * unit;
}

function restSearch(ctx: RouteContext): Reply {
  const { store } = ctx;
  const filters = asRecord(asRecord(ctx.body).request ?? ctx.body);
  if (ctx.method === "GET" && Object.keys(filters).length === 0) {
    throw new MispException(400, "Either specify the search terms in the url, or POST a json with the filter parameters.");
  }
  const types = filters.type === undefined ? undefined : (Array.isArray(filters.type) ? filters.type : [filters.type]).map((t) => str(t));
  const from = filters.timestamp === undefined ? undefined : since(filters.timestamp, store.now());
  let rows = store.state.attributes.filter(
    (a) =>
      !a.deleted &&
      (types === undefined || types.includes(a.type)) &&
      (from === undefined || a.timestamp >= from) &&
      (filters.value === undefined || a.value === str(filters.value)) &&
      (filters.uuid === undefined || a.uuid === str(filters.uuid).toLowerCase()) &&
      (filters.eventid === undefined || a.eventId === Number(str(filters.eventid))),
  );
  const limit = Number(str(filters.limit, "0"));
  if (limit > 0) {
    const page = Math.max(1, Number(str(filters.page, "1")));
    rows = rows.slice((page - 1) * limit, page * limit);
  }
  const out = rows.map((a) => {
    const event = store.findEvent(a.eventId);
    const extra: Json = {};
    if (event && filters.includeEventUuid) extra.event_uuid = event.uuid;
    if (event) {
      extra.Event = {
        org_id: String(event.orgId), distribution: String(event.distribution), publish_timestamp: String(event.publishTimestamp),
        id: String(event.id), info: event.info, orgc_id: String(event.orgcId), uuid: event.uuid,
      };
    }
    const object = a.objectId !== 0 ? store.findObject(a.objectId, true) : undefined;
    if (object) extra.Object = { id: String(object.id), distribution: String(object.distribution), sharing_group_id: String(object.sharingGroupId) };
    return restAttribute(ctx, a, "rest", extra);
  });
  // No X-Result-Count: a real MISP's is limit+1 when a limit is set (observations finding 11), so nothing may rely on it.
  return ok({ response: { Attribute: out } });
}

export const ATTRIBUTE_ROUTES: Readonly<Record<string, Route>> = {
  "attributes/add": { methods: ["POST"], permission: "permAdd", handle: add },
  "attributes/edit": { methods: ["POST", "PUT"], permission: "permAdd", handle: edit },
  "attributes/view": { methods: ["GET", "HEAD"], handle: view },
  "attributes/restSearch": { methods: ["GET", "POST"], handle: restSearch },
};
