// The MISP REST client (misp-contract/rest.md): one method per call the daemon makes, each answer
// narrowed before it leaves this file. Transport, timeouts, dry-run and error mapping live in http.ts.

import type { CircuitBreaker } from "../circuit-breaker.js";
import { EnrichdError } from "../errors.js";
import { isRecord, wellFormed } from "../json.js";
import { guardMispHttp } from "./guarded-http.js";
import { createMispHttp, type MispHttpOptions } from "./http.js";
import { isDuplicateUuid } from "./misp-errors.js";
import { attributeViewAnswer, eventIndexAnswer, eventReferencesAnswer, parseAnswer, restSearchAnswer, selfAnswer, versionAnswer } from "./answers.js";
import type { AttributeToWrite, CreateOutcome, MispClient, MispSelf, ObjectToWrite } from "./types.js";
import { createLabelCache } from "../metrics/labels.js";

export interface MispClientOptions extends MispHttpOptions {
  /** Guards every call (guarded-http.ts); none in `check`. */
  readonly breaker?: CircuitBreaker;
}

/**
 * One path segment from an id or uuid: URL-encoded, so a value can never add a segment, a query or
 * a fragment; a value that would be a `.` or `..` segment (which every URL parser resolves, encoded
 * or not) is refused before any request.
 */
export function pathSegment(value: string | number): string {
  const text = encodeURIComponent(wellFormed(String(value)));
  if (text === "" || /^(\.|%2e){1,2}$/i.test(text)) {
    throw new EnrichdError("ENRICHD_MESSAGE_INVALID", `${JSON.stringify(String(value))} is not a MISP id or uuid: as a path segment it would change the request's path`, { details: { value: String(value) } });
  }
  return text;
}

const seg = pathSegment;

/** The attribute shape both objects/add and attributes/add take. */
function attributeBody(a: AttributeToWrite, withRelation: boolean, withLocal: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (withRelation && a.objectRelation !== undefined) body.object_relation = a.objectRelation;
  body.type = a.type;
  body.value = a.value;
  if (a.category !== undefined) body.category = a.category;
  body.uuid = a.uuid;
  body.to_ids = a.toIds;
  body.disable_correlation = a.disableCorrelation ?? false;
  body.distribution = String(a.distribution);
  body.comment = a.comment;
  // attributes/add ignores `local` (its inline tags are always global, rest.md §1): say only what counts.
  if (a.tags.length > 0) body.Tag = a.tags.map((t) => (withLocal ? { name: t.name, local: t.local } : { name: t.name }));
  return body;
}

export function objectBody(object: ObjectToWrite): Record<string, unknown> {
  return {
    Object: {
      name: object.name,
      "meta-category": object.metaCategory,
      description: object.description,
      template_uuid: object.templateUuid,
      template_version: object.templateVersion,
      uuid: object.uuid,
      distribution: String(object.distribution),
      comment: object.comment,
      Attribute: object.attributes.map((a) => attributeBody(a, true, true)),
    },
  };
}

const duplicate = (status: number, body: unknown): string | undefined => (isDuplicateUuid(status, body) ? "exists" : undefined);

const messageOf = (body: unknown): string => (isRecord(body) && typeof body.message === "string" ? body.message : "");

/** The tags MISP says were attached already (observed f2, f3b): "…no changes had to be made for tag X." or "…for tags [\"X\"]." */
export function unchangedTags(message: string): string[] {
  const many = /no changes had to be made for tags (\[.*\])\.?\s*$/s.exec(message);
  if (many) {
    try {
      const names = JSON.parse(many[1] as string) as unknown;
      return Array.isArray(names) ? names.map(String) : [];
    } catch {
      return [];
    }
  }
  const one = /no changes had to be made for tag (.+?)\.?\s*$/s.exec(message);
  return one ? [one[1] as string] : [];
}

export function createMispClient(options: MispClientOptions): MispClient {
  const http = options.breaker ? guardMispHttp(createMispHttp(options), options.breaker) : createMispHttp(options);
  const labels = createLabelCache();
  const written = (outcome: CreateOutcome): void => options.metrics.inc("misp_enrichd_objects_written_total", labels({ outcome }));

  return {
    baseUrl: http.baseUrl,

    async getVersion(signal) {
      const { body } = await http.send({ method: "GET", path: "/servers/getVersion", endpoint: "servers/getVersion" }, signal);
      const v = parseAnswer(versionAnswer, body, "servers/getVersion");
      return { version: v.version, permSync: v.perm_sync, permSighting: v.perm_sighting };
    },

    async getSelf(signal) {
      const { body } = await http.send({ method: "GET", path: "/users/view/me", endpoint: "users/view" }, signal);
      // The answer may hold the user's authkey (without advanced authkeys): never log `body`.
      const { User: user, Role: role, Organisation: org } = parseAnswer(selfAnswer, body, "users/view/me");
      const self: MispSelf = {
        userId: user.id,
        email: user.email,
        orgId: user.org_id,
        orgName: org.name,
        role: {
          name: role.name,
          permAdd: role.perm_add,
          permModify: role.perm_modify,
          permModifyOrg: role.perm_modify_org,
          permTagger: role.perm_tagger,
          permTagEditor: role.perm_tag_editor,
          permSiteAdmin: role.perm_site_admin,
        },
      };
      return self;
    },

    async viewAttribute(idOrUuid, signal) {
      const { body } = await http.send({ method: "GET", path: `/attributes/view/${seg(idOrUuid)}`, endpoint: "attributes/view" }, signal);
      const row = parseAnswer(attributeViewAnswer, body, "attributes/view").Attribute;
      const eventUuid = row.eventUuid ?? (typeof row.event?.uuid === "string" ? row.event.uuid.toLowerCase() : undefined);
      return eventUuid === undefined ? { attribute: row.attribute } : { attribute: row.attribute, eventUuid };
    },

    async viewEventReferences(eventUuid, signal) {
      const path = `/events/view/${seg(eventUuid)}/includeAttachments:0`;
      const { body } = await http.send({ method: "GET", path, endpoint: "events/view" }, signal);
      const { Event: event } = parseAnswer(eventReferencesAnswer, body, "events/view");
      return new Map(
        event.Object.map((o) => [o.uuid, o.ObjectReference.map((r) => ({ referencedUuid: r.referenced_uuid, relationshipType: r.relationship_type }))]),
      );
    },

    async addObject(eventUuid, object, signal) {
      // Template uuid without a version: MISP takes the highest it has and overwrites the metadata (rest.md §2).
      const path = `/objects/add/${seg(eventUuid)}/${seg(object.templateUuid)}`;
      const answer = await http.send({ method: "POST", path, endpoint: "objects/add", body: objectBody(object), write: true, tolerate: duplicate, unreadBody: true }, signal);
      if (answer.outcome === "dry_run") return "created";
      const outcome: CreateOutcome = answer.outcome === "exists" ? "exists" : "created";
      written(outcome);
      return outcome;
    },

    async addAttribute(eventUuid, attribute, signal) {
      const path = `/attributes/add/${seg(eventUuid)}`;
      const body = attributeBody(attribute, false, false);
      const answer = await http.send({ method: "POST", path, endpoint: "attributes/add", body, write: true, tolerate: duplicate, unreadBody: true }, signal);
      return answer.outcome === "exists" ? "exists" : "created";
    },

    async addReference(objectUuid, referencedUuid, relationshipType, signal) {
      const path = `/objectReferences/add/${seg(objectUuid)}`;
      const body = { referenced_uuid: referencedUuid, relationship_type: relationshipType };
      await http.send({ method: "POST", path, endpoint: "objectReferences/add", body, write: true, unreadBody: true }, signal);
    },

    async viewEvent(idOrUuid, signal) {
      const body = { eventid: String(idOrUuid) };
      const answer = await http.send({ method: "POST", path: "/events/index", endpoint: "events/index", body }, signal);
      const [row] = parseAnswer(eventIndexAnswer, answer.body, "events/index");
      if (!row) throw new EnrichdError("ENRICHD_MISP_REJECTED", `MISP has no event ${String(idOrUuid)} this key may see`, { details: { event: idOrUuid, status: 404 } });
      return row;
    },

    async attachTags(targetUuid, tags, local, signal) {
      if (tags.length === 0) return { unchanged: [] };
      const body = { uuid: targetUuid, tag: tags.length === 1 ? tags[0] : [...tags], local: local ? 1 : 0 };
      const path = "/tags/attachTagToObject";
      const answer = await http.send({ method: "POST", path, endpoint: "tags/attachTagToObject", body, write: true }, signal);
      // Some tags attached, some refused: MISP answers 200 and appends the reasons to the message.
      const message = messageOf(answer.body);
      const failed = /Failed to attach \d+ tags?\. Reasons: .*/s.exec(message);
      if (failed) options.logger.warn({ targetUuid, tags, reasons: failed[0] }, "misp attached only some tags");
      return { unchanged: answer.outcome === "dry_run" ? [] : unchangedTags(message.replace(/\nFailed to attach[\s\S]*$/, "")) };
    },

    async removeTag(targetUuid, tag, signal) {
      const path = "/tags/removeTagFromObject";
      // 404 "Could not remove tag as it is not attached to the target …" (rest.md §5): nothing to do.
      const notAttached = (status: number, body: unknown): string | undefined => (status === 404 && /not attached/i.test(JSON.stringify(body)) ? "not_attached" : undefined);
      const answer = await http.send({ method: "POST", path, endpoint: "tags/removeTagFromObject", body: { uuid: targetUuid, tag }, write: true, tolerate: notAttached }, signal);
      if (answer.outcome === "not_attached") return { removed: false, global: false };
      return { removed: true, global: /^Global tag/.test(messageOf(answer.body)) };
    },

    async editAttribute(idOrUuid, fields, signal) {
      const body: Record<string, unknown> = {};
      if (fields.distribution !== undefined) body.distribution = String(fields.distribution);
      if (fields.sharingGroupId !== undefined) body.sharing_group_id = String(fields.sharingGroupId);
      if (fields.comment !== undefined) body.comment = fields.comment;
      if (fields.toIds !== undefined) body.to_ids = fields.toIds;
      if (Object.keys(body).length === 0) {
        throw new TypeError("editAttribute needs at least one field to change");
      }
      // No timestamp: MISP then uses "now" and never refuses the edit as stale (rest.md §7).
      await http.send({ method: "POST", path: `/attributes/edit/${seg(idOrUuid)}`, endpoint: "attributes/edit", body, write: true, unreadBody: true }, signal);
    },

    async searchAttributes(filters, signal) {
      const body: Record<string, unknown> = { returnFormat: "json", includeEventUuid: true };
      if (filters.timestamp !== undefined) body.timestamp = filters.timestamp;
      if (filters.type !== undefined) body.type = [...filters.type];
      if (filters.eventId !== undefined) body.eventid = String(filters.eventId);
      if (filters.limit !== undefined) body.limit = filters.limit;
      if (filters.page !== undefined) body.page = filters.page;
      const answer = await http.send({ method: "POST", path: "/attributes/restSearch", endpoint: "attributes/restSearch", body }, signal);
      const rows = parseAnswer(restSearchAnswer, answer.body, "attributes/restSearch").response.Attribute;
      return rows.map(({ attribute, event }) => (event === undefined ? { attribute } : { attribute, event }));
    },

    close: () => http.close(),
  };
}
