// POST /objects/add/{event}[/{template}[/{version}]] (ObjectsController::add, MispObject::saveObject,
// rest.md §2) and GET|HEAD /objects/view/{id|uuid}.

import { randomUUID } from "node:crypto";
import { applyInlineTags, candidateFrom, insertAttribute } from "./attribute-capture.js";
import { asRecord, phpJson, str, type Json, type Route, type RouteContext } from "./context.js";
import { attributeMessage, objectMessage } from "./echo.js";
import { MispException, ok, saveFail, type Reply } from "./responses.js";
import { canModifyEvent, MESSAGES, UUID_RE, validateAttribute } from "./rules.js";
import { attributeColumns, attributeRest, eventEmbed, objectColumns } from "./serialize.js";
import type { ObjectRow } from "./store.js";
import { checkConformity, findTemplateById, findTemplateByUuid, type StandinTemplate } from "./templates.js";

const TEMPLATE_FIELDS = ["name", "meta-category", "description", "template_version", "template_uuid"] as const;

/** The request as the controller massages it: `request`, `Object` wrapping, `Attribute` hoisting. */
function objectRequest(body: unknown): { object: Json; attributes: Json[] } {
  let data = asRecord(body);
  if (data.request !== undefined) data = asRecord(data.request);
  if (data.Object === undefined) data = { Object: data };
  const object = { ...asRecord(data.Object) };
  const rawAttributes = data.Attribute ?? object.Attribute;
  delete object.Attribute;
  return { object, attributes: Array.isArray(rawAttributes) ? rawAttributes.map(asRecord) : [] };
}

/** MispObject::$validate, reported as saveObject's "Object could not be saved." lines. */
function objectErrors(ctx: RouteContext, o: Json): string[] {
  const lines: string[] = [];
  const uuid = str(o.uuid);
  if (!UUID_RE.test(uuid)) lines.push(`uuid: ${MESSAGES.uuidInvalid}`);
  else if (ctx.store.findObject(uuid.toLowerCase(), true) !== undefined) lines.push(`uuid: ${MESSAGES.uuidNotUnique}`);
  if (str(o.name).trim() === "") lines.push("name: stringNotEmpty");
  if (str(o["meta-category"]).trim() === "") lines.push("meta-category: stringNotEmpty");
  if (!UUID_RE.test(str(o.template_uuid))) lines.push(`template_uuid: ${MESSAGES.uuidInvalid}`);
  if (!/^\d+$/.test(str(o.template_version))) lines.push("template_version: numeric");
  return lines;
}

function add(ctx: RouteContext): Reply {
  const { store, config } = ctx;
  const [eventKey = "", templateKey = "", versionKey] = ctx.args;
  if (!config.user.role.permModify) throw new MispException(403, MESSAGES.noObjectPermission);
  let template: StandinTemplate | undefined;
  let templateId = templateKey;
  if (templateKey !== "" && UUID_RE.test(templateKey)) {
    template = findTemplateByUuid(templateKey, versionKey === undefined ? undefined : Number(versionKey));
    if (!template) throw new MispException(404, "Invalid template.");
    templateId = String(template.id);
  }
  const event = store.findEvent(eventKey);
  if (!event) throw new MispException(404, "Invalid event.");
  if (!canModifyEvent(config.user, event)) throw new MispException(403, MESSAGES.noPermission);

  let error: string | undefined;
  if (templateKey !== "" && !template) {
    template = findTemplateById(Number(templateKey));
    if (!template) error = "No valid template found to edit the object.";
  }
  const { object, attributes } = objectRequest(ctx.body);
  // Pre-validation: any attribute failing aborts the whole request; the last failure is reported.
  if (attributes.length === 0) error = "Could not save the object as no attributes were set.";
  for (const raw of attributes) {
    const errors = validateAttribute(store, candidateFrom(raw, event.id), { create: true, rejectV3Onions: config.rejectV3Onions });
    if (Object.keys(errors).length > 0) {
      const relation = raw.object_relation === undefined ? "No object_relation" : str(raw.object_relation);
      error = `Could not save object as at least one attribute has failed validation (${relation}). ${phpJson(errors)}`;
    }
  }
  if (error !== undefined) return saveFail("objects", "add", `${event.id}/${templateId}`, error);

  if (!template && str(object.template_uuid) !== "" && str(object.template_version) !== "") {
    template = findTemplateByUuid(str(object.template_uuid), Number(object.template_version));
  }
  if (template) {
    const conformity = checkConformity(template, attributes.map((a) => str(a.object_relation)));
    if (conformity !== true) return saveFail("Objects", "add", false, conformity);
    Object.assign(object, {
      name: template.name,
      "meta-category": template.metaCategory,
      description: template.description,
      template_version: String(template.version),
      template_uuid: template.uuid,
    });
  } else {
    const missing = TEMPLATE_FIELDS.find((f) => object[f] === undefined);
    if (missing) return saveFail("Objects", "add", false, `Object could not be saved.\ntemplate: No valid template found and object lacking template information. (${missing})`);
  }
  if (object.uuid === undefined || object.uuid === "") object.uuid = randomUUID();
  const problems = objectErrors(ctx, object);
  if (problems.length > 0) return saveFail("Objects", "add", false, ["Object could not be saved.", ...problems].join("\n"));

  const row: ObjectRow = {
    id: store.nextId("objects"),
    uuid: str(object.uuid).toLowerCase(),
    name: str(object.name),
    metaCategory: str(object["meta-category"]),
    description: str(object.description),
    templateUuid: str(object.template_uuid).toLowerCase(),
    templateVersion: str(object.template_version),
    eventId: event.id,
    timestamp: store.now(),
    distribution: object.distribution === undefined ? 5 : Number(str(object.distribution)),
    sharingGroupId: 0,
    comment: str(object.comment),
    deleted: false,
    firstSeen: null,
    lastSeen: null,
  };
  store.state.objects.push(row);
  ctx.emit(objectMessage(row, "add"));
  // saveAttributes: not transactional; an attribute failing now is skipped and the rest saved.
  const saved = [];
  for (const raw of attributes) {
    const candidate = candidateFrom(raw, event.id);
    if (Object.keys(validateAttribute(store, candidate, { create: true, rejectV3Onions: config.rejectV3Onions })).length > 0) continue;
    const attribute = insertAttribute(store, candidate, row.id);
    ctx.emit(attributeMessage(store, attribute, "add", false));
    applyInlineTags(ctx, attribute, raw, true);
    saved.push(attribute);
  }
  return ok({ Object: { ...objectColumns(row), Attribute: saved.map(attributeColumns) } });
}

function view(ctx: RouteContext): Reply {
  const object = ctx.store.findObject(ctx.args[0] ?? "");
  if (ctx.method === "HEAD") return { status: object ? 200 : 404 };
  if (!object) throw new MispException(404, "Invalid object.");
  const event = ctx.store.findEvent(object.eventId);
  const attributes = ctx.store.state.attributes.filter((a) => a.objectId === object.id && !a.deleted);
  const body: Json = { ...objectColumns(object) };
  if (event) body.Event = eventEmbed(ctx.store, event);
  if (attributes.length > 0) body.Attribute = attributes.map(attributeRest);
  return ok({ Object: body });
}

export const OBJECT_ROUTES: Readonly<Record<string, Route>> = {
  "objects/add": { methods: ["POST"], permission: "permAdd", handle: add },
  "objects/view": { methods: ["GET", "HEAD"], handle: view },
};
