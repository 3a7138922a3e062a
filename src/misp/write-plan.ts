// Turns one module result into what the writer sends: objects and attributes with derived uuids and
// the comment marker, and the references resolved from the module's throw-away uuids to ours.

import type { ResultAttribute, ResultObject } from "../modules/types.js";
import type { AttributeToWrite, EnrichmentWrite, ObjectToWrite } from "./types.js";
import { deriveAttributeUuid, deriveObjectUuid, deriveStandaloneParentUuid } from "./uuid.js";

export interface PlanOptions {
  readonly commentPrefix: string;
  readonly tagLocal: boolean;
}

export interface PlannedReference {
  /** Our uuid: the source attribute's, or the derived uuid of another object of this result. */
  readonly target: string;
  readonly relationship: string;
}

export interface PlannedObject {
  readonly object: ObjectToWrite;
  readonly references: readonly PlannedReference[];
  /** Module references that point at something that is neither the source nor a result object. */
  readonly unresolved: readonly string[];
}

/** Used when a result object has no reference at all, so that it never floats unlinked in the event. */
export const DEFAULT_RELATIONSHIP = "related-to";

/** `<prefix>: <subscriber> via <module> for <value>`, then the module's own comment after " — ". */
export function markerComment(prefix: string, write: EnrichmentWrite, own?: string): string {
  const marker = `${prefix}: ${write.subscriber} via ${write.module} for ${write.source.value}`;
  return own ? `${marker} — ${own}` : marker;
}

function toAttribute(parentUuid: string, a: ResultAttribute, write: EnrichmentWrite, options: PlanOptions): AttributeToWrite {
  const relation = a.objectRelation ?? "";
  const attribute: { -readonly [K in keyof AttributeToWrite]: AttributeToWrite[K] } = {
    uuid: deriveAttributeUuid(parentUuid, relation, a.type, a.value),
    type: a.type,
    value: a.value,
    toIds: a.toIds ?? false,
    comment: markerComment(options.commentPrefix, write, a.comment),
    distribution: write.distribution ?? 5,
    tags: a.tags.map((name) => ({ name, local: options.tagLocal })),
  };
  if (a.category !== undefined) attribute.category = a.category;
  if (a.objectRelation !== undefined) attribute.objectRelation = a.objectRelation;
  if (a.disableCorrelation !== undefined) attribute.disableCorrelation = a.disableCorrelation;
  return attribute;
}

/** Attributes with the same uuid would collide inside one request: keep the first. */
function distinct(attributes: readonly AttributeToWrite[]): AttributeToWrite[] {
  const seen = new Set<string>();
  return attributes.filter((a) => {
    if (seen.has(a.uuid)) return false;
    seen.add(a.uuid);
    return true;
  });
}

export function planObjects(write: EnrichmentWrite, options: PlanOptions): PlannedObject[] {
  const source = write.source.uuid.toLowerCase();
  const ranks = new Map<string, number>();
  const derived = write.result.objects.map((o) => {
    const rank = ranks.get(o.name) ?? 0;
    ranks.set(o.name, rank + 1);
    return deriveObjectUuid(source, write.module, o, rank);
  });
  const byModuleUuid = new Map<string, string>();
  write.result.objects.forEach((o, i) => {
    if (o.moduleUuid) byModuleUuid.set(o.moduleUuid.toLowerCase(), derived[i] as string);
  });

  return write.result.objects.map((o: ResultObject, i) => {
    const uuid = derived[i] as string;
    const object: ObjectToWrite = {
      uuid,
      name: o.name,
      metaCategory: o.metaCategory,
      description: o.description,
      templateUuid: o.templateUuid,
      templateVersion: o.templateVersion,
      comment: markerComment(options.commentPrefix, write, o.comment),
      distribution: write.distribution ?? 5,
      attributes: distinct(o.attributes.map((a) => toAttribute(uuid, a, write, options))),
    };
    const references: PlannedReference[] = [];
    const unresolved: string[] = [];
    const seen = new Set<string>();
    for (const ref of o.references) {
      const wanted = ref.referencedUuid.toLowerCase();
      // The module's copy of the input carries the source's uuid; "nothing" means the input too.
      const target = wanted === "" || wanted === source ? source : byModuleUuid.get(wanted);
      if (target === undefined || target === uuid) {
        unresolved.push(ref.referencedUuid);
        continue;
      }
      const key = `${target}|${ref.relationshipType}`;
      if (seen.has(key)) continue;
      seen.add(key);
      references.push({ target, relationship: ref.relationshipType || DEFAULT_RELATIONSHIP });
    }
    if (o.references.length === 0) references.push({ target: source, relationship: DEFAULT_RELATIONSHIP });
    return { object, references, unresolved };
  });
}

/** Standalone attributes (legacy results), with uuids under a parent derived from (source, module). */
export function planAttributes(write: EnrichmentWrite, options: PlanOptions): AttributeToWrite[] {
  if (write.result.attributes.length === 0) return [];
  const parent = deriveStandaloneParentUuid(write.source.uuid, write.module);
  return distinct(write.result.attributes.map((a) => toAttribute(parent, { ...a, objectRelation: undefined }, write, options)));
}
