// The shapes of MISP's REST answers (rest.md) as zod schemas, narrowed into the typed shapes of
// decode/types.ts. MISP sends ids and timestamps as strings and tinyint(1) columns as booleans
// (pubsub.md §4); both forms are taken here. decode/ owns the same job for bus payloads, by hand,
// for speed; REST answers are off that hot path.

import { z } from "zod";
import type { Attribute, EventSummary, Tag } from "../decode/types.js";
import type { EventDetails } from "./types.js";
import { EnrichdError } from "../errors.js";
import { isRecord } from "../json.js";
import { expected, parseShape } from "../shape.js";

/** Narrows `body`, or throws ENRICHD_MISP_RESPONSE_INVALID naming the answer, the path and what was found. */
export function parseAnswer<S extends z.ZodType>(schema: S, body: unknown, answer: string): z.output<S> {
  const parsed = parseShape(schema, body);
  if (parsed.ok) return parsed.value;
  const { path, reason } = parsed.problem;
  throw new EnrichdError("ENRICHD_MISP_RESPONSE_INVALID", `MISP's ${answer} answer has an unexpected shape: ${reason} at ${path}`, {
    details: { answer, path, reason },
  });
}

/** A string, or a number as text (MISP's string integers go both ways). */
const text = z.union([z.string(), z.number()], expected("text")).transform(String);
const optText = z.unknown().optional().transform((v) => (typeof v === "string" ? v : typeof v === "number" ? String(v) : ""));
const nullableText = z.unknown().optional().transform((v) => (typeof v === "string" ? v : typeof v === "number" ? String(v) : null));
const uuid = text.transform((u) => u.toLowerCase());

/** `"1337"` or `1337` → 1337. */
const int = z.union([z.number().int(), z.string().trim().regex(/^-?\d+$/).transform(Number)], expected("an integer"));
/** An integer where MISP may leave it out (restSearch's embedded Event): a default instead. */
const optInt = (fallback: number) =>
  z.unknown().optional().transform((v) => {
    const parsed = int.safeParse(v);
    return parsed.success ? parsed.data : fallback;
  });

/** tinyint(1) as MISP may send it: true/false, 1/0, "1"/"0"; anything else is false. */
export const flag = z.unknown().optional().transform((v): boolean => {
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v !== 0;
  if (typeof v === "string") return v === "1" || v.toLowerCase() === "true";
  return false;
});

/** A list MISP may leave out or send as null. */
export const list = <T extends z.ZodType>(item: T) => z.array(item).nullish().transform((v): z.output<T>[] => v ?? []);

const tag = z
  .object({ id: optInt(0), name: text, colour: z.unknown().optional(), exportable: z.unknown().optional(), local: z.unknown().optional() })
  .transform((t): Tag => {
    const out: { -readonly [K in keyof Tag]: Tag[K] } = { id: t.id, name: t.name };
    if (typeof t.colour === "string") out.colour = t.colour;
    if (t.exportable !== undefined) out.exportable = flag.parse(t.exportable);
    if (t.local !== undefined) out.local = flag.parse(t.local);
    return out;
  });

/**
 * An `Attribute` row as attributes/view, attributes/restSearch and events/view return it; `event`
 * is the schema of its embedded `Event`, which differs by endpoint.
 */
function attributeRowWith<E extends z.ZodType>(event: E) {
  return z.preprocess(
    // Some paths name the value `value1` (the column) rather than `value`.
    (raw) => (isRecord(raw) && raw.value === undefined ? { ...raw, value: raw.value1 } : raw),
    z
      .object({
        id: int,
        uuid,
        event_id: int,
        object_id: optInt(0),
        object_relation: nullableText,
        category: optText,
        type: text,
        value: text,
        to_ids: flag,
        timestamp: optInt(0),
        distribution: optInt(5),
        sharing_group_id: optInt(0),
        comment: optText,
        deleted: flag,
        disable_correlation: flag,
        first_seen: nullableText,
        last_seen: nullableText,
        Tag: list(tag),
        event_uuid: z.unknown().optional(),
        Event: event,
      })
      .transform((a) => {
        const attribute: Attribute = {
          id: a.id,
          uuid: a.uuid,
          eventId: a.event_id,
          objectId: a.object_id,
          objectRelation: a.object_relation === "" ? null : a.object_relation,
          category: a.category,
          type: a.type,
          value: a.value,
          toIds: a.to_ids,
          timestamp: a.timestamp,
          distribution: a.distribution,
          sharingGroupId: a.sharing_group_id,
          comment: a.comment,
          deleted: a.deleted,
          disableCorrelation: a.disable_correlation,
          firstSeen: a.first_seen,
          lastSeen: a.last_seen,
          tags: a.Tag,
        };
        const eventUuid = typeof a.event_uuid === "string" ? a.event_uuid.toLowerCase() : undefined;
        return { attribute, eventUuid, event: (a as { Event?: unknown }).Event as z.output<E> };
      }),
  );
}

/**
 * An `Event` as MISP embeds it. restSearch embeds only id, info, org_id, orgc_id and uuid
 * (MispAttribute::fetchAttributes); the missing fields get conservative defaults: not published,
 * distribution 0 ("your organisation only"), no date. `uuid` may come from the row instead.
 */
export const eventSummary = z
  .object({
    id: int,
    uuid,
    info: optText,
    date: optText,
    published: flag,
    org_id: optInt(0),
    orgc_id: optInt(0),
    distribution: optInt(0),
    sharing_group_id: optInt(0),
    Orgc: z.object({ uuid: z.unknown().optional(), name: z.unknown().optional() }).optional().catch(undefined),
  })
  .transform((e): EventSummary => {
    const summary: { -readonly [K in keyof EventSummary]: EventSummary[K] } = {
      id: e.id,
      uuid: e.uuid,
      info: e.info,
      date: e.date,
      published: e.published,
      orgId: e.org_id,
      orgcId: e.orgc_id,
      distribution: e.distribution,
      sharingGroupId: e.sharing_group_id,
    };
    if (typeof e.Orgc?.uuid === "string") summary.orgcUuid = e.Orgc.uuid;
    if (typeof e.Orgc?.name === "string") summary.orgcName = e.Orgc.name;
    return summary;
  });

/** `GET /attributes/view/{id|uuid}`: the event is named by `event_uuid` or an embedded `Event.uuid`. */
export const attributeViewAnswer = z.object({
  Attribute: attributeRowWith(z.object({ uuid: z.unknown().optional() }).optional().catch(undefined)),
});

/** `POST /attributes/restSearch` with includeEventUuid: an empty result may come as `"response": []`. */
export const restSearchAnswer = z.object({
  response: z.preprocess(
    (response) => (Array.isArray(response) ? {} : response),
    z.object({
      Attribute: list(
        z.preprocess(
          // The embedded Event may lack its uuid; the row's event_uuid names it.
          (raw) => (isRecord(raw) && isRecord(raw.Event) ? { ...raw, Event: { ...raw.Event, uuid: raw.Event.uuid ?? raw.event_uuid } } : raw),
          attributeRowWith(z.preprocess((e) => (isRecord(e) ? e : undefined), eventSummary.optional())),
        ),
      ),
    }),
  ),
});

/** `GET /servers/getVersion`. */
export const versionAnswer = z.object({ version: text, perm_sync: flag, perm_sighting: flag });

/** `GET /users/view/me`; it may hold the user's authkey, which no schema here reads. */
export const selfAnswer = z.preprocess(
  // Older MISPs leave User.org_id out; the Organisation says it.
  (raw) =>
    isRecord(raw) && isRecord(raw.User) && raw.User.org_id === undefined && isRecord(raw.Organisation)
      ? { ...raw, User: { ...raw.User, org_id: raw.Organisation.id } }
      : raw,
  z.object({
  User: z.object({ id: int, email: optText, org_id: int }),
  Role: z.object({
    name: optText,
    perm_add: flag,
    perm_modify: flag,
    perm_modify_org: flag,
    perm_tagger: flag,
    perm_tag_editor: flag,
    perm_site_admin: flag,
  }),
  Organisation: z.object({ name: optText }).catch({ name: "" }),
  }),
);

/** `GET /events/view/{uuid}`, only each object's uuid and references. */
export const eventReferencesAnswer = z.object({
  Event: z.object({
    Object: list(
      z.object({
        uuid,
        ObjectReference: list(z.object({ referenced_uuid: uuid, relationship_type: optText })),
      }),
    ),
  }),
});

/**
 * `POST /events/index` filtered by `eventid`: a list of event rows, each with `EventTag[]` items
 * `{local, Tag: {id, name, colour}}` (observed on 2.5.1); an unknown event is an empty list.
 */
export const eventIndexAnswer = z.array(
  z.preprocess(
    // The row is the event itself; its summary is read by the same schema as everywhere else.
    (raw) => (isRecord(raw) ? { Event: raw, EventTag: raw.EventTag, threat_level_id: raw.threat_level_id, analysis: raw.analysis } : raw),
    z
      .object({ Event: eventSummary, EventTag: list(z.object({ local: flag, Tag: tag })), threat_level_id: optInt(4), analysis: optInt(0) })
      .transform((row): EventDetails => ({
        event: row.Event,
        tags: row.EventTag.map((t) => ({ ...t.Tag, local: t.local })),
        threatLevelId: row.threat_level_id,
        analysis: row.analysis,
      })),
  ),
);
