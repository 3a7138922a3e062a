// POST /tags/attachTagToObject and /tags/removeTagFromObject (TagsController l.716-933, rest.md §4-§5):
// event or attribute targets by uuid; local tags for host-org users only; idempotent attach.

import { attachToAttribute, captureTag, detachFromAttribute } from "./attribute-capture.js";
import { asRecord, phpJson, str, truthy, type Route, type RouteContext } from "./context.js";
import { attributeMessage, eventTagMessage } from "./echo.js";
import { MispException, saveFail, saveSuccess, type Reply } from "./responses.js";
import { MESSAGES, mayAttachGlobalTags, mayAttachLocalTags, UUID_RE } from "./rules.js";
import type { AttributeRow, EventRow, TagRow } from "./store.js";

type Target = { type: "Event"; event: EventRow; id: number } | { type: "Attribute"; event: EventRow; attribute: AttributeRow; id: number };

/** TagsController::__findObjectByUuid: an event, else an attribute; "modify" needs the creator org. */
function findTarget(ctx: RouteContext, uuid: string, scope: "view" | "modify"): Target {
  const { store, config } = ctx;
  const event = store.state.events.find((e) => e.uuid === uuid.toLowerCase());
  let target: Target | undefined;
  if (event) target = { type: "Event", event, id: event.id };
  else {
    const attribute = store.findAttribute(uuid);
    const owner = attribute ? store.findEvent(attribute.eventId) : undefined;
    if (attribute && owner) target = { type: "Attribute", event: owner, attribute, id: attribute.id };
  }
  if (!target) throw new MispException(404, "Invalid Target.");
  if (scope === "modify" && !mayAttachGlobalTags(config.user, target.event)) {
    const hint = config.user.orgId === config.hostOrgId ? " Please consider using local tags if you are in the host organisation of the instance." : "";
    throw new MispException(403, MESSAGES.orgcOnlyGlobalTags + hint);
  }
  return target;
}

function requestArgs(ctx: RouteContext): { uuid: string; tags: unknown[]; local: boolean } {
  const body = asRecord(ctx.body);
  const [urlUuid, urlTag, urlLocal] = ctx.args;
  const uuid = urlUuid ?? (truthy(body.uuid) ? str(body.uuid) : undefined);
  if (uuid === undefined) throw new MispException(405, "Invalid object uuid");
  // InvalidArgumentException: rendered as a 500 "An Internal Error Has Occurred."
  if (!UUID_RE.test(uuid)) throw new MispException(500, "Invalid UUID");
  const tag = urlTag ?? (truthy(body.tag) ? body.tag : undefined);
  if (tag === undefined) throw new MispException(405, "Invalid tag");
  return { uuid, tags: Array.isArray(tag) ? tag : [tag], local: truthy(urlLocal) || truthy(body.local) };
}

function attach(ctx: RouteContext): Reply {
  const { store, config } = ctx;
  const { uuid, tags, local } = requestArgs(ctx);
  const fails: string[] = [];
  const already: string[] = [];
  let successes = 0;
  let message = "";
  let target: Target | undefined;
  for (const wanted of tags) {
    const name = str(wanted).trim();
    if (local && !mayAttachLocalTags(config.user, config.hostOrgId)) {
      fails.push(MESSAGES.localTagsHostOrgOnly);
      continue;
    }
    target = findTarget(ctx, uuid, local ? "view" : "modify");
    let tag: TagRow | undefined = /^\d+$/.test(name) ? store.findTagById(Number(name)) : store.findTagLike(name);
    if (!tag) {
      if (/^\d+$/.test(name)) {
        fails.push("Invalid Tag.");
        continue;
      }
      if (!config.user.role.permTagEditor) {
        fails.push("Tag not found and insufficient privileges to create it.");
        continue;
      }
      tag = captureTag(ctx, name);
    }
    if (tag.localOnly && !local) {
      fails.push("Invalid Tag. This tag can only be set as a local tag.");
      continue;
    }
    const attached = target.type === "Attribute" ? attachToAttribute(ctx, target.attribute, tag, local) : attachToEvent(ctx, target.event, tag, local);
    if (!attached) {
      message = `${target.type} already has the requested tag attached, no changes had to be made for tag ${tag.name}.`;
      already.push(tag.name);
      successes++;
      continue;
    }
    if (!local && target.type === "Attribute") {
      // MispAttribute::touch: a new timestamp, published as an `edit` that already lists the tag.
      target.attribute.timestamp = store.now();
      ctx.emit(attributeMessage(store, target.attribute, "edit", true));
    }
    if (!local && target.type === "Event") target.event.published = false;
    message = `${local ? "Local" : "Global"} tag ${tag.name}(${tag.id}) successfully attached to ${target.type}(${target.id}).`;
    successes++;
  }
  const failed = fails.length > 0 ? `Failed to attach ${fails.length} tags. Reasons: ${phpJson({ ...fails })}` : "";
  if (successes === 0 || !target) return saveFail("Tags", "attachTagToObject", false, failed);
  if (successes > 1) {
    message = `Successfully attached ${successes} tags to ${target.type} (${target.id})`;
    if (already.length > 0) message += `. ${target.id} already has the requested tag attached, no changes had to be made for tags ${phpJson(already)}.`;
  }
  if (failed) message += `\n${failed}`;
  return saveSuccess("Tags", "attachTagToObject", message);
}

function attachToEvent(ctx: RouteContext, event: EventRow, tag: TagRow, local: boolean): boolean {
  const links = ctx.store.state.eventTags;
  if (links.some((l) => l.eventId === event.id && l.tagId === tag.id)) return false;
  links.push({ id: ctx.store.nextId("eventTags"), eventId: event.id, tagId: tag.id, tagName: tag.name, local });
  ctx.emit(eventTagMessage(tag, event.id, local, "attached to event"));
  return true;
}

function remove(ctx: RouteContext): Reply {
  const { store } = ctx;
  const body = asRecord(ctx.body);
  const uuid = ctx.args[0] ?? (truthy(body.uuid) ? str(body.uuid) : undefined);
  if (uuid === undefined) throw new MispException(405, "Invalid object uuid");
  if (!UUID_RE.test(uuid)) throw new MispException(500, "Invalid UUID");
  const name = str(ctx.args[1] ?? (truthy(body.tag) ? body.tag : undefined)).trim();
  if (name === "") throw new MispException(405, "Invalid tag");
  const tag = /^\d+$/.test(name) ? store.findTagById(Number(name)) : store.findTagLike(name);
  if (!tag) throw new MispException(405, "Invalid Tag.");
  const target = findTarget(ctx, uuid, "view");
  const link =
    target.type === "Attribute"
      ? store.state.attributeTags.find((l) => l.attributeId === target.id && l.tagId === tag.id)
      : store.state.eventTags.find((l) => l.eventId === target.id && l.tagId === tag.id);
  if (!link) throw new MispException(404, `Could not remove tag as it is not attached to the target ${target.type}`);
  if (!link.local) findTarget(ctx, uuid, "modify");
  if (target.type === "Attribute") {
    detachFromAttribute(ctx, target.attribute, tag);
    if (!link.local) {
      target.attribute.timestamp = store.now();
      ctx.emit(attributeMessage(store, target.attribute, "edit", true));
    }
  } else {
    store.state.eventTags.splice(store.state.eventTags.indexOf(link as (typeof store.state.eventTags)[number]), 1);
    ctx.emit(eventTagMessage(tag, target.id, link.local, "detached from event"));
  }
  const message = `${link.local ? "Local" : "Global"} tag ${tag.name} (${tag.id}) successfully removed from ${target.type}(${target.id}).`;
  return saveSuccess("Tags", "removeTagFromObject", message);
}

export const TAG_ROUTES: Readonly<Record<string, Route>> = {
  "tags/attachTagToObject": { methods: ["POST"], permission: "permTagger", handle: attach },
  "tags/removeTagFromObject": { methods: ["POST"], permission: "permTagger", handle: remove },
};
