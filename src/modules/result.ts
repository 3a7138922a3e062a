// Turns a module's `results` into a ModuleResult (modules.md §3, §4, §8). Only shapes are judged
// here; the client has already turned `{"error"}`, `false` and HTTP failures into errors.
//
// - misp_standard modules echo the input attribute back (same uuid): its tags are for the source,
//   it is never a new attribute, and its comment (the request's own, or a placeholder) is not news.
// - Values may arrive as JSON numbers (geoip_city coordinates in 3.1.x): they become strings.
// - Placeholder comments hard-coded in onion_lookup 3.0.9 are dropped.
// - EventReport, event-level Tag and Galaxy are not modelled and are ignored.

import { EnrichdError } from "../errors.js";
import { describeKind, isRecord } from "../json.js";
import type { ModuleFormat, ModuleResult, ResultAttribute, ResultObject, ResultReference } from "./types.js";

/** The attribute that was sent, to recognise its echo. */
export interface ResultInput {
  readonly uuid: string;
  readonly type: string;
  readonly value: string;
}

const PLACEHOLDER_COMMENTS: ReadonlySet<string> = new Set(["custom comment", "custom-comment2"]);

/**
 * Normalises a module answer. The shape of `results` decides the parser (an array is legacy, an
 * object misp_standard), so a module that answers in the other format is still understood;
 * `format` is reported as given. Throws ENRICHD_MODULE_RESPONSE_INVALID with the offending path.
 */
export function normaliseResult(module: string, format: ModuleFormat, input: ResultInput, body: unknown): ModuleResult {
  const ctx: Ctx = { module };
  if (!isRecord(body)) throw invalid(ctx, "$", `the answer is ${describeKind(body)}, not an object`);
  const { results } = body;
  if (Array.isArray(results)) {
    return { module, format, objects: [], attributes: parseLegacy(ctx, results), sourceTags: [] };
  }
  if (!isRecord(results)) throw invalid(ctx, "$.results", `results is ${describeKind(results)}`);

  const sourceTags = new Set<string>();
  const attributes: ResultAttribute[] = [];
  list(ctx, results.Attribute, "$.results.Attribute").forEach((raw, i) => {
    const path = `$.results.Attribute[${i}]`;
    const attribute = parseAttribute(ctx, raw, path, false);
    const echoed =
      (isRecord(raw) && raw.uuid === input.uuid) || (attribute.type === input.type && attribute.value === input.value);
    if (echoed) for (const tag of attribute.tags) sourceTags.add(tag);
    else attributes.push(attribute);
  });
  const objects = list(ctx, results.Object, "$.results.Object").map((raw, i) =>
    parseObject(ctx, raw, `$.results.Object[${i}]`),
  );
  return { module, format, objects, attributes, sourceTags: [...sourceTags] };
}

interface Ctx {
  readonly module: string;
}

function invalid(ctx: Ctx, path: string, reason: string): EnrichdError {
  const message = `module ${ctx.module} answered an unexpected shape: ${reason} at ${path}`;
  return new EnrichdError("ENRICHD_MODULE_RESPONSE_INVALID", message, { details: { module: ctx.module, path, reason } });
}

/** An optional list: absent and null are empty (mmdb_lookup drops empty keys). */
function list(ctx: Ctx, value: unknown, path: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid(ctx, path, `expected a list, got ${describeKind(value)}`);
  return value;
}

function parseObject(ctx: Ctx, raw: unknown, path: string): ResultObject {
  if (!isRecord(raw)) throw invalid(ctx, path, `an object entry is ${describeKind(raw)}`);
  const name = raw.name;
  if (typeof name !== "string" || name === "") throw invalid(ctx, `${path}.name`, "the object has no name");
  const references = list(ctx, raw.ObjectReference, `${path}.ObjectReference`).map((ref, i) =>
    parseReference(ctx, ref, `${path}.ObjectReference[${i}]`),
  );
  const attributes = list(ctx, raw.Attribute, `${path}.Attribute`).map((a, i) =>
    parseAttribute(ctx, a, `${path}.Attribute[${i}]`, true),
  );
  return compact({
    name,
    metaCategory: optionalText(ctx, raw["meta-category"], `${path}.meta-category`) ?? "",
    description: optionalText(ctx, raw.description, `${path}.description`) ?? "",
    templateUuid: optionalText(ctx, raw.template_uuid, `${path}.template_uuid`) ?? "",
    templateVersion: optionalText(ctx, raw.template_version, `${path}.template_version`) ?? "",
    moduleUuid: optionalText(ctx, raw.uuid, `${path}.uuid`),
    comment: cleanComment(optionalText(ctx, raw.comment, `${path}.comment`)),
    attributes,
    references,
  });
}

function parseReference(ctx: Ctx, raw: unknown, path: string): ResultReference {
  if (!isRecord(raw)) throw invalid(ctx, path, `a reference is ${describeKind(raw)}`);
  const referencedUuid = raw.referenced_uuid;
  const relationshipType = raw.relationship_type;
  if (typeof referencedUuid !== "string" || referencedUuid === "") {
    throw invalid(ctx, `${path}.referenced_uuid`, "the reference names no referenced_uuid");
  }
  if (typeof relationshipType !== "string" || relationshipType === "") {
    throw invalid(ctx, `${path}.relationship_type`, "the reference names no relationship_type");
  }
  return { referencedUuid, relationshipType };
}

function parseAttribute(ctx: Ctx, raw: unknown, path: string, inObject: boolean): ResultAttribute {
  if (!isRecord(raw)) throw invalid(ctx, path, `an attribute is ${describeKind(raw)}`);
  const type = raw.type;
  if (typeof type !== "string" || type === "") throw invalid(ctx, `${path}.type`, "the attribute has no type");
  const value = scalarText(raw.value);
  if (value === undefined) throw invalid(ctx, `${path}.value`, `the value is ${describeKind(raw.value)}`);
  const objectRelation = optionalText(ctx, raw.object_relation, `${path}.object_relation`);
  if (inObject && (objectRelation === undefined || objectRelation === "")) {
    throw invalid(ctx, `${path}.object_relation`, "an object attribute has no object_relation");
  }
  return compact({
    type,
    value,
    category: optionalText(ctx, raw.category, `${path}.category`) || undefined,
    objectRelation: inObject ? objectRelation : undefined,
    toIds: flag(raw.to_ids),
    disableCorrelation: flag(raw.disable_correlation),
    comment: cleanComment(optionalText(ctx, raw.comment, `${path}.comment`)),
    tags: tagNames(ctx, raw.Tag, `${path}.Tag`),
  });
}

/** Legacy `[{types|type, values, categories?, comment?, tags?, to_ids?}]`: one attribute per value. */
function parseLegacy(ctx: Ctx, results: readonly unknown[]): ResultAttribute[] {
  const out: ResultAttribute[] = [];
  results.forEach((raw, i) => {
    const path = `$.results[${i}]`;
    if (!isRecord(raw)) throw invalid(ctx, path, `a result is ${describeKind(raw)}`);
    const types = oneOrMany(raw.types ?? raw.type);
    const first = types?.[0];
    if (typeof first !== "string" || first === "") throw invalid(ctx, `${path}.types`, "the result names no type");
    const values = oneOrMany(raw.values);
    if (values === undefined) throw invalid(ctx, `${path}.values`, `values is ${describeKind(raw.values)}`);
    const categories = oneOrMany(raw.categories);
    const category = typeof categories?.[0] === "string" && categories[0] !== "" ? categories[0] : undefined;
    const comment = cleanComment(optionalText(ctx, raw.comment, `${path}.comment`));
    const tags = tagNames(ctx, raw.tags ?? raw.Tag, `${path}.tags`);
    values.forEach((v, j) => {
      const value = scalarText(v);
      if (value === undefined) throw invalid(ctx, `${path}.values[${j}]`, `a value is ${describeKind(v)}`);
      if (value === "") return; // MISP refuses an empty value; nothing to add
      out.push(
        compact({
          // "freetext" asks MISP to parse the text; the daemon writes it as plain text.
          type: first === "freetext" ? "text" : first,
          value,
          category,
          toIds: flag(raw.to_ids),
          comment,
          tags,
        }),
      );
    });
  });
  return out;
}

function oneOrMany(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (typeof value === "string" || typeof value === "number") return [value];
  return undefined;
}

function scalarText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}

/** A string field, with numbers (template_version 8) as text; wrong kinds are malformed. */
function optionalText(ctx: Ctx, value: unknown, path: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = scalarText(value);
  if (text === undefined) throw invalid(ctx, path, `expected text, got ${describeKind(value)}`);
  return text;
}

/** MISP booleans, tolerating the 0/1 and "0"/"1" forms MISP itself writes. */
function flag(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (value === 1 || value === "1" || value === "true") return true;
  if (value === 0 || value === "0" || value === "false") return false;
  return undefined;
}

function cleanComment(comment: string | undefined): string | undefined {
  if (comment === undefined || comment === "" || PLACEHOLDER_COMMENTS.has(comment)) return undefined;
  return comment;
}

/** `Tag: [{name}]` (misp_standard) or `tags: ["name"]` (legacy); either form is accepted in both. */
function tagNames(ctx: Ctx, value: unknown, path: string): string[] {
  const names: string[] = [];
  list(ctx, value, path).forEach((tag, i) => {
    const name = typeof tag === "string" ? tag : isRecord(tag) ? tag.name : undefined;
    if (typeof name !== "string" || name === "") throw invalid(ctx, `${path}[${i}]`, "a tag has no name");
    if (!names.includes(name)) names.push(name);
  });
  return names;
}

/** Drops undefined fields so results compare and serialise cleanly. */
function compact<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) if (value[key] === undefined) delete value[key];
  return value;
}
