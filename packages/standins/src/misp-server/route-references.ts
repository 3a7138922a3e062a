// POST /objectReferences/add/{object id|uuid} (ObjectReferencesController::add, rest.md §3): always a
// new row with a server-generated uuid; no duplicate check; the target must be in the same event.

import { randomUUID } from "node:crypto";
import { asRecord, str, type Route, type RouteContext } from "./context.js";
import { referenceMessage } from "./echo.js";
import { MispException, ok, type Reply } from "./responses.js";
import { canModifyEvent } from "./rules.js";
import { referenceColumns } from "./serialize.js";
import type { ReferenceRow } from "./store.js";

function add(ctx: RouteContext): Reply {
  const { store, config } = ctx;
  const body = asRecord(ctx.body);
  const objectKey = ctx.args[0] ?? str(body.object_uuid);
  if (objectKey === "") throw new MispException(404, "No object defined.");
  const object = store.findObject(objectKey);
  const event = object ? store.findEvent(object.eventId) : undefined;
  // Not found, deleted or not editable: all reported alike.
  if (!object || !event || !canModifyEvent(config.user, event)) throw new MispException(404, "Invalid object.");
  const data = asRecord(body.ObjectReference ?? body);
  const wanted = str(data.referenced_uuid).trim().toLowerCase();
  // ObjectReference::getReferencedInfo: an object first, then an attribute; neither soft-deleted.
  const targetObject = wanted === "" ? undefined : store.findObject(wanted);
  const targetAttribute = targetObject || wanted === "" ? undefined : store.findAttribute(wanted);
  const target = targetObject ?? targetAttribute;
  if (!target) throw new MispException(404, "Invalid target.");
  if (target.eventId !== event.id) throw new MispException(404, "Invalid target. Target has to be within the same event or extending it.");
  const row: ReferenceRow = {
    id: store.nextId("references"),
    uuid: randomUUID(),
    timestamp: store.now(),
    objectId: object.id,
    eventId: event.id,
    sourceUuid: object.uuid,
    referencedUuid: target.uuid,
    referencedId: target.id,
    referencedType: targetObject ? 1 : 0,
    relationshipType: str(data.relationship_type),
    comment: str(data.comment),
    deleted: false,
  };
  store.state.references.push(row);
  // The object timestamp bump that follows is saved with skip_zmq, the event unpublish is silent.
  object.timestamp = row.timestamp;
  ctx.emit(referenceMessage(row, "add"));
  return ok({ ObjectReference: { ...referenceColumns(row), object_uuid: object.uuid } });
}

export const REFERENCE_ROUTES: Readonly<Record<string, Route>> = {
  "objectReferences/add": { methods: ["POST"], permission: "permAdd", handle: add },
  "object_references/add": { methods: ["POST"], permission: "permAdd", handle: add },
};
