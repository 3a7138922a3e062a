// The stand-in's database: one array per MISP table it needs, rows typed with numbers and booleans
// (serialize.ts turns them into MISP's string integers). Tests read these arrays as `standin.state`.
// Lookups by id, uuid and value go through indexes (index.ts), so a write costs the same with 100
// rows as with a million: the fault suite stores hundreds of thousands.

import { createHash, randomUUID } from "node:crypto";
import { createRowIndex, type RowIndex } from "./index-rows.js";

export interface OrgRow { id: number; uuid: string; name: string }

export interface EventRow {
  id: number; uuid: string; info: string; date: string; published: boolean; analysis: number; threatLevelId: number;
  orgId: number; orgcId: number; userId: number; distribution: number; sharingGroupId: number; timestamp: number;
  publishTimestamp: number; extendsUuid: string | null;
}

export interface AttributeRow {
  id: number; uuid: string; eventId: number; objectId: number; objectRelation: string | null; category: string; type: string;
  value: string; toIds: boolean; timestamp: number; distribution: number; sharingGroupId: number; comment: string;
  deleted: boolean; disableCorrelation: boolean; firstSeen: string | null; lastSeen: string | null;
}

export interface ObjectRow {
  id: number; uuid: string; name: string; metaCategory: string; description: string; templateUuid: string;
  templateVersion: string; eventId: number; timestamp: number; distribution: number; sharingGroupId: number;
  comment: string; deleted: boolean; firstSeen: string | null; lastSeen: string | null;
}

export interface ReferenceRow {
  id: number; uuid: string; timestamp: number; objectId: number; eventId: number; sourceUuid: string;
  referencedUuid: string; referencedId: number; referencedType: 0 | 1; relationshipType: string; comment: string;
  deleted: boolean;
}

export interface TagRow {
  id: number; name: string; colour: string; exportable: boolean; orgId: number; userId: number; hideTag: boolean;
  numericalValue: number | null; isGalaxy: boolean; isCustomGalaxy: boolean; localOnly: boolean;
}

/** An attribute_tags row, plus the uuid and tag name so tests need no joins. */
export interface AttributeTagRow { id: number; attributeId: number; attributeUuid: string; eventId: number; tagId: number; tagName: string; local: boolean }

export interface EventTagRow { id: number; eventId: number; tagId: number; tagName: string; local: boolean }

export interface StandinState {
  readonly orgs: OrgRow[];
  readonly events: EventRow[];
  readonly attributes: AttributeRow[];
  readonly objects: ObjectRow[];
  readonly references: ReferenceRow[];
  readonly tags: TagRow[];
  readonly attributeTags: AttributeTagRow[];
  readonly eventTags: EventTagRow[];
}

type Table = keyof StandinState;

/** Distinct id ranges per table make mix-ups visible in tests (an event id is never an attribute id). */
const FIRST_ID: Record<Table, number> = {
  orgs: 1, events: 1, attributes: 1001, objects: 501, references: 301, tags: 101, attributeTags: 2001, eventTags: 3001,
};

export interface Store {
  readonly state: StandinState;
  nextId(table: Table): number;
  now(): number;
  org(id: number): OrgRow;
  findEvent(idOrUuid: string | number): EventRow | undefined;
  /** By id or uuid; soft-deleted rows only when asked. */
  findAttribute(idOrUuid: string | number, includeDeleted?: boolean): AttributeRow | undefined;
  findObject(idOrUuid: string | number, includeDeleted?: boolean): ObjectRow | undefined;
  /** Attributes (deleted ones included) that held this value when stored or last edited: check their fields. */
  attributesWithValue(value: string): readonly AttributeRow[];
  /** Call after changing an attribute's value in place, so that attributesWithValue finds it under the new one. */
  reindexValue(row: AttributeRow): void;
  tagsOfAttribute(attributeId: number): { tag: TagRow; link: AttributeTagRow }[];
  /** Tag::captureTag: the tag of that name (case-insensitive), created when unknown. */
  captureTag(name: string): { tag: TagRow; created: boolean };
  /** TagsController's lookup: `name LIKE pattern`. */
  findTagLike(pattern: string): TagRow | undefined;
  findTagById(id: number): TagRow | undefined;
}

const isNumeric = (v: string | number): boolean => typeof v === "number" || /^\d+$/.test(v);

/** MySQL LIKE: `%` any run, `_` any one character, case-insensitive (rest.md §4's wildcard caveat). */
export function likeToRegExp(pattern: string): RegExp {
  const body = [...pattern].map((c) => (c === "%" ? ".*" : c === "_" ? "." : c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))).join("");
  return new RegExp(`^${body}$`, "is");
}

export function createStore(): Store {
  const state: StandinState = { orgs: [], events: [], attributes: [], objects: [], references: [], tags: [], attributeTags: [], eventTags: [] };
  const counters = new Map<Table, number>();
  const events = createRowIndex(state.events);
  const attributes = createRowIndex(state.attributes, (row) => row.value);
  const objects = createRowIndex(state.objects);
  const byIdOrUuid = <R extends { id: number; uuid: string }>(index: RowIndex<R>, key: string | number): R | undefined =>
    isNumeric(key) ? index.byId(Number(key)) : index.byUuid(String(key).toLowerCase());

  const store: Store = {
    state,
    nextId(table) {
      const id = counters.get(table) ?? FIRST_ID[table];
      counters.set(table, id + 1);
      return id;
    },
    now: () => Math.floor(Date.now() / 1000),
    org(id) {
      let org = state.orgs.find((o) => o.id === id);
      if (!org) {
        org = { id, uuid: randomUUID(), name: id === 1 ? "ORGNAME" : `Org ${id}` };
        state.orgs.push(org);
      }
      return org;
    },
    findEvent: (key) => byIdOrUuid(events, key),
    findAttribute(key, includeDeleted = false) {
      const row = byIdOrUuid(attributes, key);
      return row && (includeDeleted || !row.deleted) ? row : undefined;
    },
    findObject(key, includeDeleted = false) {
      const row = byIdOrUuid(objects, key);
      return row && (includeDeleted || !row.deleted) ? row : undefined;
    },
    attributesWithValue: (value) => attributes.byValue(value),
    reindexValue: (row) => attributes.reindexValue(row),
    tagsOfAttribute(attributeId) {
      return state.attributeTags
        .filter((l) => l.attributeId === attributeId)
        .flatMap((link) => {
          const tag = store.findTagById(link.tagId);
          return tag ? [{ tag, link }] : [];
        });
    },
    findTagLike(pattern) {
      const re = likeToRegExp(pattern.trim());
      return state.tags.find((t) => re.test(t.name));
    },
    findTagById: (id) => state.tags.find((t) => t.id === id),
    captureTag(name) {
      const existing = state.tags.find((t) => t.name.toLowerCase() === name.trim().toLowerCase());
      if (existing) return { tag: existing, created: false };
      const tag: TagRow = {
        id: store.nextId("tags"),
        name: name.trim(),
        colour: `#${createHash("sha1").update(name).digest("hex").slice(0, 6)}`,
        exportable: true,
        orgId: 0,
        userId: 0,
        hideTag: false,
        numericalValue: null,
        isGalaxy: false,
        isCustomGalaxy: false,
        localOnly: false,
      };
      state.tags.push(tag);
      return { tag, created: true };
    },
  };
  return store;
}
