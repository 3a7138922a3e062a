// Turns a module's `results` into a ModuleResult (modules.md §3, §4, §8). Only shapes are judged
// here, by the zod schemas below; the client has already turned `{"error"}`, `false` and HTTP
// failures into errors.
//
// - misp_standard modules echo the input attribute back (same uuid): its tags are for the source,
//   it is never a new attribute, and its comment (the request's own, or a placeholder) is not news.
// - Values may arrive as JSON numbers (geoip_city coordinates in 3.1.x): they become strings.
// - Placeholder comments hard-coded in onion_lookup 3.0.9 are dropped.
// - EventReport, event-level Tag and Galaxy are not modelled and are ignored.

import { z } from "zod";
import { EnrichdError } from "../errors.js";
import { describeKind, isRecord } from "../json.js";
import { expected, parseShape, type ShapeProblem, type ShapeResult } from "../shape.js";
import { readStandardFast } from "./standard-fast.js";
import type { ModuleFormat, ModuleResult, ResultAttribute, ResultObject, ResultReference } from "./types.js";

/** The attribute that was sent, to recognise its echo. */
export interface ResultInput {
  readonly uuid: string;
  readonly type: string;
  readonly value: string;
}

const PLACEHOLDER_COMMENTS: ReadonlySet<string> = new Set(["custom comment", "custom-comment2"]);

/** A string, or a number as text (template_version 8, geoip_city's coordinates). */
const text = z.union([z.string(), z.number()], expected("text")).transform(String);
/** Absent and null are "not given". */
const optionalText = text.nullish().transform((v) => v ?? undefined);
const named = (what: string) => z.string(expected(what)).min(1, expected(what));
/** MISP booleans, tolerating the 0/1 and "0"/"1" forms MISP itself writes; anything else is "not given". */
const flag = z.unknown().optional().transform((value): boolean | undefined => {
  if (typeof value === "boolean") return value;
  if (value === 1 || value === "1" || value === "true") return true;
  if (value === 0 || value === "0" || value === "false") return false;
  return undefined;
});
/** An optional list: absent and null are empty (mmdb_lookup drops empty keys). */
const list = <T extends z.ZodType>(item: T) => z.array(item).nullish().transform((v): z.output<T>[] => v ?? []);
const comment = optionalText.transform((c) => (c === undefined || c === "" || PLACEHOLDER_COMMENTS.has(c) ? undefined : c));
/** `Tag: [{name}]` (misp_standard) or `tags: ["name"]` (legacy); either form is accepted in both. */
const tags = list(z.union([named("a tag name"), z.object({ name: named("a tag name") })], expected("a tag with a name")).transform((t) => (typeof t === "string" ? t : t.name))).transform(
  (names) => [...new Set(names)],
);

const attributeFields = {
  uuid: z.unknown().optional(),
  type: named("the attribute's type"),
  value: text,
  category: optionalText.transform((c) => c || undefined),
  to_ids: flag,
  disable_correlation: flag,
  comment,
  Tag: tags,
};
const standaloneAttribute = z.object({ ...attributeFields, object_relation: optionalText });
const objectAttribute = z.object({ ...attributeFields, object_relation: named("the object attribute's object_relation") });
export type RawAttribute = z.output<typeof standaloneAttribute>;

const reference = z.object({ referenced_uuid: named("a referenced_uuid"), relationship_type: named("a relationship_type") });
const object = z.object({
  name: named("the object's name"),
  "meta-category": optionalText,
  description: optionalText,
  template_uuid: optionalText,
  template_version: optionalText,
  uuid: optionalText,
  comment,
  ObjectReference: list(reference),
  Attribute: list(objectAttribute),
});
const standard = z.object({ Attribute: list(standaloneAttribute), Object: list(object) });
export type RawObject = z.output<typeof object>;
export type StandardAnswer = z.output<typeof standard>;

/** One value or a list of them (legacy `values: "x"` from geoip_city 3.0.9). */
const oneOrMany = (value: unknown): unknown => (typeof value === "string" || typeof value === "number" ? [value] : value);
/** Legacy `{types|type, values, categories?, comment?, tags|Tag?, to_ids?}`. */
const legacyResult = z.preprocess(
  (raw) => (isRecord(raw) ? { ...raw, types: raw.types ?? raw.type, tags: raw.tags ?? raw.Tag } : raw),
  z.object({
    types: z.unknown().optional().transform((types, ctx) => {
      const first = (oneOrMany(types) as unknown[] | undefined)?.[0];
      if (typeof first === "string" && first !== "") return first;
      ctx.addIssue({ code: "custom", message: "the result names no type", input: types });
      return z.NEVER;
    }),
    values: z.preprocess(oneOrMany, z.array(text)),
    categories: z.unknown().optional().transform((categories) => {
      const first = Array.isArray(categories) ? (categories[0] as unknown) : categories;
      return typeof first === "string" && first !== "" ? first : undefined;
    }),
    comment,
    tags,
    to_ids: flag,
  }),
);

/**
 * Normalises a module answer. The shape of `results` decides the parser (an array is legacy, an
 * object misp_standard), so a module that answers in the other format is still understood;
 * `format` is reported as given. Throws ENRICHD_MODULE_RESPONSE_INVALID with the offending path.
 */
export function normaliseResult(module: string, format: ModuleFormat, input: ResultInput, body: unknown): ModuleResult {
  if (!isRecord(body)) throw invalid(module, { path: "$", reason: `the answer is ${describeKind(body)}, not an object` });
  const { results } = body;
  if (Array.isArray(results)) {
    return { module, format, objects: [], attributes: parseLegacy(module, results), sourceTags: [] };
  }
  if (!isRecord(results)) throw invalid(module, { path: "$.results", reason: `results is ${describeKind(results)}` });
  // The usual, plain answer is read by hand; anything else by the schema, which names what is wrong.
  const fast = readStandardFast(results);
  const parsed = fast === undefined ? readStandardBySchema(results) : { ok: true as const, value: fast };
  if (!parsed.ok) throw invalid(module, parsed.problem);

  const sourceTags = new Set<string>();
  const attributes: ResultAttribute[] = [];
  for (const raw of parsed.value.Attribute) {
    const attribute = toAttribute(raw, false);
    const echoed = raw.uuid === input.uuid || (attribute.type === input.type && attribute.value === input.value);
    if (echoed) for (const tag of attribute.tags) sourceTags.add(tag);
    else attributes.push(attribute);
  }
  const objects = parsed.value.Object.map(
    (o): ResultObject =>
      compact({
        name: o.name,
        metaCategory: o["meta-category"] ?? "",
        description: o.description ?? "",
        templateUuid: o.template_uuid ?? "",
        templateVersion: o.template_version ?? "",
        moduleUuid: o.uuid,
        comment: o.comment,
        attributes: o.Attribute.map((a) => toAttribute(a, true)),
        references: o.ObjectReference.map((r): ResultReference => ({ referencedUuid: r.referenced_uuid, relationshipType: r.relationship_type })),
      }),
  );
  return { module, format, objects, attributes, sourceTags: [...sourceTags] };
}

/** misp_standard `results` by the schema alone (the reference that standard-fast.ts must agree with). */
export function readStandardBySchema(results: Readonly<Record<string, unknown>>): ShapeResult<StandardAnswer> {
  return parseShape(standard, results, ["results"]);
}

function invalid(module: string, { path, reason }: ShapeProblem): EnrichdError {
  const message = `module ${module} answered an unexpected shape: ${reason} at ${path}`;
  return new EnrichdError("ENRICHD_MODULE_RESPONSE_INVALID", message, { details: { module, path, reason } });
}

function toAttribute(raw: RawAttribute, inObject: boolean): ResultAttribute {
  return compact({
    type: raw.type,
    value: raw.value,
    category: raw.category,
    objectRelation: inObject ? raw.object_relation : undefined,
    toIds: raw.to_ids,
    disableCorrelation: raw.disable_correlation,
    comment: raw.comment,
    tags: raw.Tag,
  });
}

/** Legacy: one attribute per value, with the first type; "freetext" is written as plain text. */
function parseLegacy(module: string, results: readonly unknown[]): ResultAttribute[] {
  const parsed = parseShape(z.array(legacyResult), results, ["results"]);
  if (!parsed.ok) throw invalid(module, parsed.problem);
  return parsed.value.flatMap((r) =>
    r.values
      .filter((value) => value !== "") // MISP refuses an empty value; nothing to add
      .map((value) =>
        compact({
          // "freetext" asks MISP to parse the text; the daemon writes it as plain text.
          type: r.types === "freetext" ? "text" : r.types,
          value,
          category: r.categories,
          toIds: r.to_ids,
          comment: r.comment,
          tags: r.tags,
        }),
      ),
  );
}

/**
 * The fields that are not undefined, so results compare and serialise cleanly. Copied rather than
 * deleted: a `delete` turns an object into a slow dictionary, and these are read again and again.
 */
function compact<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const key in value) if (value[key] !== undefined) out[key] = value[key];
  return out as T;
}
