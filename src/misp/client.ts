// The MISP REST client (misp-contract/rest.md): one method per call the daemon makes, each answer
// narrowed before it leaves this file. Transport, timeouts, dry-run and error mapping live in http.ts.

import { isRecord } from "../json.js";
import { createMispHttp, type MispHttpOptions } from "./http.js";
import { isDuplicateUuid } from "./misp-errors.js";
import { flag, int, list, narrowAttribute, narrowEventSummary, optText, record, text } from "./narrow.js";
import type { AttributeToWrite, CreateOutcome, MispClient, MispSelf, ObjectToWrite } from "./types.js";

export type MispClientOptions = MispHttpOptions;

const seg = (value: string | number): string => encodeURIComponent(String(value));

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

export function createMispClient(options: MispClientOptions): MispClient {
  const http = createMispHttp(options);
  const written = (outcome: CreateOutcome): void => options.metrics.inc("misp_enrichd_objects_written_total", { outcome });

  return {
    baseUrl: http.baseUrl,

    async getVersion(signal) {
      const { body } = await http.send({ method: "GET", path: "/servers/getVersion", endpoint: "servers/getVersion" }, signal);
      const v = record(body, "getVersion answer");
      return { version: text(v.version, "version"), permSync: flag(v.perm_sync), permSighting: flag(v.perm_sighting) };
    },

    async getSelf(signal) {
      const { body } = await http.send({ method: "GET", path: "/users/view/me", endpoint: "users/view" }, signal);
      // The answer may hold the user's authkey (without advanced authkeys): never log `body`.
      const me = record(body, "users/view answer");
      const user = record(me.User, "User");
      const role = record(me.Role, "Role");
      const org = isRecord(me.Organisation) ? me.Organisation : {};
      const self: MispSelf = {
        userId: int(user.id, "User.id"),
        email: optText(user.email),
        orgId: int(user.org_id ?? org.id, "User.org_id"),
        orgName: optText(org.name),
        role: {
          name: optText(role.name),
          permAdd: flag(role.perm_add),
          permModify: flag(role.perm_modify),
          permModifyOrg: flag(role.perm_modify_org),
          permTagger: flag(role.perm_tagger),
          permTagEditor: flag(role.perm_tag_editor),
          permSiteAdmin: flag(role.perm_site_admin),
        },
      };
      return self;
    },

    async viewAttribute(idOrUuid, signal) {
      const { body } = await http.send({ method: "GET", path: `/attributes/view/${seg(idOrUuid)}`, endpoint: "attributes/view" }, signal);
      const raw = record(record(body, "attributes/view answer").Attribute, "Attribute");
      const attribute = narrowAttribute(raw);
      const eventUuid = typeof raw.event_uuid === "string" ? raw.event_uuid : isRecord(raw.Event) && typeof raw.Event.uuid === "string" ? raw.Event.uuid : undefined;
      return eventUuid === undefined ? { attribute } : { attribute, eventUuid: eventUuid.toLowerCase() };
    },

    async viewEventReferences(eventUuid, signal) {
      const path = `/events/view/${seg(eventUuid)}/includeAttachments:0`;
      const { body } = await http.send({ method: "GET", path, endpoint: "events/view" }, signal);
      const event = record(record(body, "events/view answer").Event, "Event");
      const out = new Map<string, { referencedUuid: string; relationshipType: string }[]>();
      for (const rawObject of list(event.Object, "Event.Object")) {
        const object = record(rawObject, "Object");
        const refs = list(object.ObjectReference, "ObjectReference").map((r) => {
          const ref = record(r, "ObjectReference");
          return { referencedUuid: text(ref.referenced_uuid, "referenced_uuid").toLowerCase(), relationshipType: optText(ref.relationship_type) };
        });
        out.set(text(object.uuid, "Object.uuid").toLowerCase(), refs);
      }
      return out;
    },

    async addObject(eventUuid, object, signal) {
      // Template uuid without a version: MISP takes the highest it has and overwrites the metadata (rest.md §2).
      const path = `/objects/add/${seg(eventUuid)}/${seg(object.templateUuid)}`;
      const answer = await http.send({ method: "POST", path, endpoint: "objects/add", body: objectBody(object), write: true, tolerate: duplicate }, signal);
      if (answer.outcome === "dry_run") return "created";
      const outcome: CreateOutcome = answer.outcome === "exists" ? "exists" : "created";
      written(outcome);
      return outcome;
    },

    async addAttribute(eventUuid, attribute, signal) {
      const path = `/attributes/add/${seg(eventUuid)}`;
      const body = attributeBody(attribute, false, false);
      const answer = await http.send({ method: "POST", path, endpoint: "attributes/add", body, write: true, tolerate: duplicate }, signal);
      return answer.outcome === "exists" ? "exists" : "created";
    },

    async addReference(objectUuid, referencedUuid, relationshipType, signal) {
      const path = `/objectReferences/add/${seg(objectUuid)}`;
      const body = { referenced_uuid: referencedUuid, relationship_type: relationshipType };
      await http.send({ method: "POST", path, endpoint: "objectReferences/add", body, write: true }, signal);
    },

    async attachTags(targetUuid, tags, local, signal) {
      if (tags.length === 0) return;
      const body = { uuid: targetUuid, tag: tags.length === 1 ? tags[0] : [...tags], local: local ? 1 : 0 };
      const path = "/tags/attachTagToObject";
      const answer = await http.send({ method: "POST", path, endpoint: "tags/attachTagToObject", body, write: true }, signal);
      // Some tags attached, some refused: MISP answers 200 and appends the reasons to the message.
      const message = isRecord(answer.body) && typeof answer.body.message === "string" ? answer.body.message : "";
      const failed = /Failed to attach \d+ tags?\. Reasons: .*/s.exec(message);
      if (failed) options.logger.warn({ targetUuid, tags, reasons: failed[0] }, "misp attached only some tags");
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
      await http.send({ method: "POST", path: `/attributes/edit/${seg(idOrUuid)}`, endpoint: "attributes/edit", body, write: true }, signal);
    },

    async searchAttributes(filters, signal) {
      const body: Record<string, unknown> = { returnFormat: "json", includeEventUuid: true };
      if (filters.timestamp !== undefined) body.timestamp = filters.timestamp;
      if (filters.type !== undefined) body.type = [...filters.type];
      if (filters.limit !== undefined) body.limit = filters.limit;
      if (filters.page !== undefined) body.page = filters.page;
      const answer = await http.send({ method: "POST", path: "/attributes/restSearch", endpoint: "attributes/restSearch", body }, signal);
      const response = record(answer.body, "restSearch answer").response;
      // An empty result may come as `"response": []` instead of `{"Attribute": []}`.
      const rows = Array.isArray(response) ? [] : list(record(response, "response").Attribute, "response.Attribute");
      return rows.map((row) => {
        const raw = record(row, "Attribute");
        const attribute = narrowAttribute(raw);
        const eventUuid = typeof raw.event_uuid === "string" ? raw.event_uuid : undefined;
        if (!isRecord(raw.Event)) return { attribute };
        return { attribute, event: narrowEventSummary(raw.Event, eventUuid) };
      });
    },

    close: () => http.close(),
  };
}
