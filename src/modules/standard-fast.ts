// The misp_standard `results` of a well-formed answer, read by hand. result.ts's zod schema says
// what an answer may hold and names the first problem of a bad one; running it costs about 150 µs
// of CPU for mmdb_lookup's usual answer on this project's machines, more than the module query's
// HTTP exchange. This reader takes the plain shapes modules actually send, with the same meaning as
// the schema (numbers as text, flags, "" and placeholder comments dropped, tag lists deduplicated),
// and gives up — undefined — at anything else, which the schema then reads as before.
// test/modules/standard-fast.test.ts checks the two agree on the samples and on mutated answers.

import { isRecord } from "../json.js";
import type { RawAttribute, RawObject, StandardAnswer } from "./result.js";

const PLACEHOLDER_COMMENTS: ReadonlySet<string> = new Set(["custom comment", "custom-comment2"]);
/** Gave up: the schema decides. */
const UNSURE = Symbol("unsure");
type Unsure = typeof UNSURE;

export function readStandardFast(results: Readonly<Record<string, unknown>>): StandardAnswer | undefined {
  const attributes = list(results.Attribute, (a) => attribute(a, false));
  if (attributes === UNSURE) return undefined;
  const objects = list(results.Object, object);
  if (objects === UNSURE) return undefined;
  return { Attribute: attributes, Object: objects };
}

function list<T>(value: unknown, read: (item: unknown) => T | Unsure): T[] | Unsure {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return UNSURE;
  const out: T[] = [];
  for (const item of value) {
    const read_ = read(item);
    if (read_ === UNSURE) return UNSURE;
    out.push(read_);
  }
  return out;
}

function object(value: unknown): RawObject | Unsure {
  if (!isRecord(value)) return UNSURE;
  const name = named(value.name);
  const references = list(value.ObjectReference, reference);
  // In an object, attribute() insists on a named object_relation, as the schema does.
  const attributes = list(value.Attribute, (a) => attribute(a, true)) as RawObject["Attribute"] | Unsure;
  const texts = [value["meta-category"], value.description, value.template_uuid, value.template_version, value.uuid].map(optionalText);
  const comment_ = comment(value.comment);
  if (name === UNSURE || references === UNSURE || attributes === UNSURE || comment_ === UNSURE || texts.includes(UNSURE)) return UNSURE;
  const [metaCategory, description, templateUuid, templateVersion, uuid] = texts as (string | undefined)[];
  return {
    name,
    "meta-category": metaCategory,
    description,
    template_uuid: templateUuid,
    template_version: templateVersion,
    uuid,
    comment: comment_,
    ObjectReference: references,
    Attribute: attributes,
  };
}

function reference(value: unknown): { referenced_uuid: string; relationship_type: string } | Unsure {
  if (!isRecord(value)) return UNSURE;
  const referenced = named(value.referenced_uuid);
  const relationship = named(value.relationship_type);
  if (referenced === UNSURE || relationship === UNSURE) return UNSURE;
  return { referenced_uuid: referenced, relationship_type: relationship };
}

function attribute(value: unknown, inObject: boolean): RawAttribute | Unsure {
  if (!isRecord(value)) return UNSURE;
  const type = named(value.type);
  const text_ = text(value.value);
  const category = optionalText(value.category);
  const comment_ = comment(value.comment);
  const tags_ = tags(value.Tag);
  const relation = inObject ? named(value.object_relation) : optionalText(value.object_relation);
  if (type === UNSURE || text_ === UNSURE || category === UNSURE || comment_ === UNSURE || tags_ === UNSURE || relation === UNSURE) return UNSURE;
  return {
    uuid: value.uuid,
    type,
    value: text_,
    category: category || undefined,
    to_ids: flag(value.to_ids),
    disable_correlation: flag(value.disable_correlation),
    comment: comment_,
    Tag: tags_,
    object_relation: relation,
  };
}

function named(value: unknown): string | Unsure {
  return typeof value === "string" && value.length > 0 ? value : UNSURE;
}

function text(value: unknown): string | Unsure {
  if (typeof value === "string") return value;
  return typeof value === "number" ? String(value) : UNSURE;
}

function optionalText(value: unknown): string | undefined | Unsure {
  return value === undefined || value === null ? undefined : text(value);
}

function comment(value: unknown): string | undefined | Unsure {
  const read = optionalText(value);
  return read === "" || (typeof read === "string" && PLACEHOLDER_COMMENTS.has(read)) ? undefined : read;
}

function flag(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (value === 1 || value === "1" || value === "true") return true;
  if (value === 0 || value === "0" || value === "false") return false;
  return undefined;
}

function tags(value: unknown): string[] | Unsure {
  const names = list(value, (t) => (typeof t === "string" ? named(t) : isRecord(t) ? named(t.name) : UNSURE));
  return names === UNSURE ? UNSURE : [...new Set(names)];
}
