// Read-only endpoints: /servers/getVersion (rest.md §12), /users/view/me (§12), /events/view (§8).

import type { Json, Route, RouteContext } from "./context.js";
import { MispException, ok, type Reply } from "./responses.js";
import { asRecord, str } from "./context.js";
import { attributeView, eventColumns, eventViewColumns, objectColumns, orgcOf, referenceColumns, tagsOf, viewTag } from "./serialize.js";
import type { ReferenceRow } from "./store.js";

export const MISP_VERSION = "2.5.1";
const INSTANCE_UUID = "5f6b2b4e-1c3d-4e5f-9a8b-7c6d5e4f3a2b";

function getVersion(ctx: RouteContext): Reply {
  const role = ctx.config.user.role;
  return ok({
    version: MISP_VERSION,
    pymisp_recommended_version: MISP_VERSION,
    perm_sync: role.permSync,
    perm_sighting: role.permSighting,
    perm_galaxy_editor: false,
    perm_analyst_data: true,
    // The instance uuid is shown to sync users only (ServersController::getVersion).
    uuid: role.permSync ? INSTANCE_UUID : "-",
    request_encoding: ["gzip"],
    filter_sightings: true,
  });
}

function userView(ctx: RouteContext): Reply {
  const { user } = ctx.config;
  const wanted = ctx.args[0] === "me" ? String(user.id) : (ctx.args[0] ?? "");
  if (!user.role.permSiteAdmin && wanted !== String(user.id)) throw new MispException(404, "Invalid user or not authorised.");
  if (wanted !== String(user.id)) throw new MispException(404, "Invalid user");
  const org = ctx.store.org(user.orgId);
  const r = user.role;
  // With advanced authkeys (the 2.5 default) the answer carries no authkey; password and totp are
  // masked. Keys and kinds as a real 2.5.1 answered for a user created by an admin (capture j0c).
  return ok({
    User: {
      id: String(user.id), password: "*****", org_id: String(user.orgId), email: user.email, autoalert: false, invited_by: "1",
      gpgkey: "", certif_public: "", nids_sid: "4000000", termsaccepted: false, newsread: "0", role_id: String(r.id), change_pw: false,
      contactalert: false, disabled: false, expiration: null, current_login: "0", last_login: "0", force_logout: false,
      date_created: "0", date_modified: "0", sub: null, external_auth_required: false, external_auth_key: "", last_api_access: "0",
      notification_daily: false, notification_weekly: false, notification_monthly: false, totp: "*****", hotp_counter: null,
      last_pw_change: "0", totp_is_set: "0",
    },
    Role: {
      id: String(r.id), name: r.name, created: "2024-10-21 00:00:00", modified: "2024-10-21 00:00:00", perm_add: r.permAdd,
      perm_modify: r.permModify, perm_modify_org: r.permModifyOrg, perm_publish: false, perm_delegate: false, perm_sync: r.permSync,
      perm_admin: r.permSiteAdmin, perm_audit: false, perm_auth: true, perm_site_admin: r.permSiteAdmin, perm_regexp_access: false,
      perm_tagger: r.permTagger, perm_template: false, perm_sharing_group: false, perm_tag_editor: r.permTagEditor,
      perm_sighting: r.permSighting, perm_object_template: false, default_role: false, memory_limit: null, max_execution_time: null,
      restricted_to_site_admin: false, perm_publish_zmq: false, perm_publish_kafka: false, perm_decaying: false,
      enforce_rate_limit: false, rate_limit_count: "0", perm_galaxy_editor: false, perm_warninglist: false,
      perm_view_feed_correlations: false, perm_analyst_data: true, perm_skip_otp: false,
      permission: r.permSiteAdmin ? "3" : r.permModifyOrg ? "2" : r.permModify ? "1" : "0",
      permission_description: r.permSiteAdmin ? "publish" : r.permModifyOrg ? "manage_org" : r.permModify ? "manage_own" : "read_only",
    },
    UserSetting: [],
    Organisation: {
      id: String(org.id), name: org.name, date_created: "2024-10-21 00:00:00", date_modified: "2024-10-21 00:00:00", description: "",
      type: "", nationality: "", sector: "", created_by: "0", uuid: org.uuid, contacts: null, local: true, restricted_to_domain: null,
      landingpage: null,
    },
  });
}

/** `ObjectReference[]` as Event::__attachReferences adds them: the row plus a summary of the target. */
function viewReference(ctx: RouteContext, r: ReferenceRow): Json {
  // Same columns as the row, with event_id and source_uuid moved last, as events/view lists them.
  const { event_id: eventId, source_uuid: sourceUuid, ...head } = referenceColumns(r);
  const item: Json = { ...head, event_id: eventId, source_uuid: sourceUuid };
  if (r.referencedType === 0) {
    const a = ctx.store.findAttribute(r.referencedId, true);
    if (a) {
      item.Attribute = {
        distribution: String(a.distribution), sharing_group_id: String(a.sharingGroupId), uuid: a.uuid, value: a.value, type: a.type,
        category: a.category, to_ids: a.toIds,
      };
    }
  } else {
    const o = ctx.store.findObject(r.referencedId, true);
    if (o) item.Object = { distribution: String(o.distribution), sharing_group_id: String(o.sharingGroupId), uuid: o.uuid, name: o.name, "meta-category": o.metaCategory };
  }
  return item;
}

/** GET|HEAD /events/view/{id|uuid}[/named:params]: the events/view layout, soft-deleted rows left out. */
function eventView(ctx: RouteContext): Reply {
  const { store } = ctx;
  const event = store.findEvent(ctx.args[0] ?? "");
  if (ctx.method === "HEAD") return { status: event ? 200 : 404 };
  if (!event) throw new MispException(404, "Invalid event");
  const live = store.state.attributes.filter((a) => a.eventId === event.id && !a.deleted);
  const withTags = (a: (typeof live)[number]): Json => {
    const tags = tagsOf(store, a, "view");
    return { ...attributeView(a), Galaxy: [], ShadowAttribute: [], ...(tags.length > 0 ? { Tag: tags } : {}) };
  };
  const org = store.org(event.orgId);
  const eventTags = store.state.eventTags
    .filter((l) => l.eventId === event.id)
    .flatMap((l) => {
      const tag = store.findTagById(l.tagId);
      return tag ? [viewTag(tag, l.local)] : [];
    });
  return ok({
    Event: {
      ...eventViewColumns(store, event),
      Org: { id: String(org.id), name: org.name, uuid: org.uuid, local: true },
      Orgc: { ...orgcOf(store, event), local: true },
      Attribute: live.filter((a) => a.objectId === 0).map(withTags),
      ShadowAttribute: [],
      RelatedEvent: [],
      Galaxy: [],
      Object: store.state.objects
        .filter((o) => o.eventId === event.id && !o.deleted)
        .map((o) => ({
          ...objectColumns(o),
          ObjectReference: store.state.references.filter((r) => r.objectId === o.id && !r.deleted).map((r) => viewReference(ctx, r)),
          Attribute: live.filter((a) => a.objectId === o.id).map(withTags),
        })),
      EventReport: [],
      CryptographicKey: [],
      ...(eventTags.length > 0 ? { Tag: eventTags } : {}),
    },
  });
}

/**
 * GET|POST /events/index with an `eventid` filter (id or uuid): the event rows without attributes, each
 * with `EventTag[]` `{id, event_id, tag_id, local, relationship_type, Tag: {id, name, colour, is_galaxy}}`
 * (observed on 2.5.1, docs/real-misp-observations.md "Rules"). Unknown: an empty list.
 */
function eventIndex(ctx: RouteContext): Reply {
  const { store } = ctx;
  const filters = asRecord(ctx.body);
  const wanted = filters.eventid ?? ctx.named.eventid;
  const events = store.state.events.filter((e) => wanted === undefined || str(wanted) === String(e.id) || str(wanted).toLowerCase() === e.uuid);
  return ok(
    events.map((e) => {
      const { user_id: _userId, ...columns } = eventColumns(e);
      const org = store.org(e.orgId);
      const attributeCount = store.state.attributes.filter((a) => a.eventId === e.id && !a.deleted).length;
      return {
        ...columns,
        attribute_count: String(attributeCount),
        Org: { id: String(org.id), name: org.name, uuid: org.uuid },
        Orgc: orgcOf(store, e),
        EventTag: store.state.eventTags
          .filter((l) => l.eventId === e.id)
          .flatMap((l) => {
            const tag = store.findTagById(l.tagId);
            return tag ? [{ id: String(l.id), event_id: String(e.id), tag_id: String(tag.id), local: l.local, relationship_type: "", Tag: { id: String(tag.id), name: tag.name, colour: tag.colour, is_galaxy: tag.isGalaxy } }] : [];
          }),
      };
    }),
  );
}

export const READ_ROUTES: Readonly<Record<string, Route>> = {
  "events/index": { methods: ["GET", "POST"], handle: eventIndex },
  "servers/getVersion": { methods: ["GET"], handle: getVersion },
  "users/view": { methods: ["GET"], handle: userView },
  "events/view": { methods: ["GET", "HEAD"], handle: eventView },
};
