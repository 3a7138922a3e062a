// Writes one module result back to MISP in the fewest calls rest.md §15 allows: one objects/add per
// object (uuids derived, marker comment, inline tags), one objectReferences/add per missing
// reference, one attachTagToObject for the source's tags, one attributes/add per legacy attribute.
// Retriable errors propagate: every step is safe to repeat, so the pipeline retries the whole write.

import type { Logger } from "../log.js";
import type { Metrics } from "../metrics/metrics.js";
import { ONION_INVALID, isDataRefusal, isOnionRefusal, isSimilarAttribute, refusalReason } from "./misp-errors.js";
import type { AttributeToWrite, CreateOutcome, EnrichmentWrite, MispClient, MispWriter, ObjectToWrite, WriteReport } from "./types.js";
import { asText, downgradeOnions, isRefusedOnion, planAttributes, planObjects, type PlannedObject } from "./write-plan.js";

export interface ReferenceLedger {
  has(key: string): boolean;
  add(key: string): void;
}

export interface MispWriterOptions {
  readonly client: MispClient;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Starts every comment the daemon writes; the echo guard recognises it. */
  readonly commentPrefix?: string;
  /**
   * Local tags when the key's organisation is the host organisation, else global (rest.md §4, §6).
   * A function is asked on every write (tag-locality.ts may switch to global at run time).
   */
  readonly tagLocal: boolean | (() => boolean);
  /** References already written, keyed `<objectUuid>|<targetUuid>|<relationship>`: saves a read. */
  readonly referenceLedger?: ReferenceLedger;
  /** Told the uuids of an object and its attributes, or of an attribute, before the POST leaves. */
  readonly onOwnWrite?: (uuids: readonly string[], kind: "object" | "attribute") => void;
  /** The client only pretends to write: keep the ledger clean of references that do not exist. */
  readonly dryRun?: boolean;
}

type Refused = { what: string; reason: string };

export function createMispWriter(options: MispWriterOptions): MispWriter {
  const { client } = options;
  const commentPrefix = options.commentPrefix ?? "misp-enrichd";
  const tagLocal = typeof options.tagLocal === "function" ? options.tagLocal : (): boolean => options.tagLocal === true;
  const ledger = options.dryRun ? undefined : options.referenceLedger;

  /** objects/add, once more with v3 onions as text if MISP refuses them; undefined when refused for good. */
  async function writeObject(eventUuid: string, object: ObjectToWrite, refused: Refused[], log: Logger, signal?: AbortSignal): Promise<CreateOutcome | undefined> {
    options.onOwnWrite?.([object.uuid, ...object.attributes.map((a) => a.uuid)], "object");
    let attempt = object;
    let downgraded: readonly AttributeToWrite[] = [];
    for (;;) {
      try {
        const outcome = await client.addObject(eventUuid, attempt, signal);
        for (const a of downgraded) {
          refused.push({ what: `${a.type} ${a.value} (${a.objectRelation ?? "?"} of ${object.name} object ${object.uuid})`, reason: `MISP: ${ONION_INVALID} Written as type text instead.` });
        }
        return outcome;
      } catch (error) {
        if (downgraded.length === 0 && isOnionRefusal(error)) {
          const retry = downgradeOnions(attempt);
          if (retry.changed.length > 0) {
            log.warn({ objectUuid: object.uuid, values: retry.changed.map((a) => a.value) }, "misp refused onion-address values: writing them as text");
            attempt = retry.object;
            downgraded = retry.changed;
            continue;
          }
        }
        if (!isDataRefusal(error)) throw error;
        const reason = refusalReason(error);
        log.warn({ objectUuid: object.uuid, name: object.name, reason }, "misp refused an object");
        options.metrics.inc("misp_enrichd_objects_written_total", { outcome: "refused" });
        refused.push({ what: `${object.name} object ${object.uuid}`, reason });
        return undefined;
      }
    }
  }

  /** attributes/add, once more as text for a refused v3 onion; the type actually written, or undefined. */
  async function writeAttribute(eventUuid: string, attribute: AttributeToWrite, refused: Refused[], log: Logger, signal?: AbortSignal): Promise<{ outcome: CreateOutcome; type: string } | undefined> {
    options.onOwnWrite?.([attribute.uuid], "attribute");
    try {
      return { outcome: await client.addAttribute(eventUuid, attribute, signal), type: attribute.type };
    } catch (error) {
      if (isOnionRefusal(error) && isRefusedOnion(attribute)) {
        log.warn({ attributeUuid: attribute.uuid, value: attribute.value }, "misp refused an onion-address value: writing it as text");
        const outcome = await writeAttributeOnce(eventUuid, asText(attribute), refused, log, signal);
        if (outcome === undefined) return undefined;
        refused.push({ what: `${attribute.type} ${attribute.value} (attribute ${attribute.uuid})`, reason: `MISP: ${ONION_INVALID} Written as type text instead.` });
        return { outcome, type: "text" };
      }
      refuseAttribute(error, attribute, refused, log);
      return undefined;
    }
  }

  async function writeAttributeOnce(eventUuid: string, attribute: AttributeToWrite, refused: Refused[], log: Logger, signal?: AbortSignal): Promise<CreateOutcome | undefined> {
    try {
      return await client.addAttribute(eventUuid, attribute, signal);
    } catch (error) {
      return refuseAttribute(error, attribute, refused, log);
    }
  }

  function refuseAttribute(error: unknown, attribute: AttributeToWrite, refused: Refused[], log: Logger): undefined {
    if (!isDataRefusal(error)) throw error;
    const reason = isSimilarAttribute(error) ? "the event already has this value (MISP: A similar attribute already exists for this event.)" : refusalReason(error);
    log.warn({ attributeUuid: attribute.uuid, type: attribute.type, reason }, "misp refused an attribute");
    refused.push({ what: `${attribute.type} ${attribute.value} (attribute ${attribute.uuid})`, reason });
    return undefined;
  }

  /** Adds the references MISP lacks; objectReferences/add never deduplicates (rest.md §3). */
  async function writeReferences(write: EnrichmentWrite, planned: readonly PlannedObject[], written: ReadonlyMap<string, CreateOutcome>, log: Logger, signal?: AbortSignal): Promise<number> {
    const source = write.source.uuid.toLowerCase();
    let existing: ReadonlyMap<string, readonly { referencedUuid: string; relationshipType: string }[]> | undefined;
    let added = 0;
    for (const p of planned) {
      const outcome = written.get(p.object.uuid);
      if (outcome === undefined) continue;
      if (p.unresolved.length > 0) log.warn({ objectUuid: p.object.uuid, unresolved: p.unresolved }, "module referenced something outside its result: reference skipped");
      for (const ref of p.references) {
        if (ref.target !== source && !written.has(ref.target)) continue; // its target object was refused
        const key = `${p.object.uuid}|${ref.target}|${ref.relationship}`;
        if (outcome === "exists") {
          if (ledger?.has(key)) continue;
          existing ??= await client.viewEventReferences(write.eventUuid, signal);
          const there = existing.get(p.object.uuid) ?? [];
          if (there.some((r) => r.referencedUuid === ref.target && r.relationshipType === ref.relationship)) {
            ledger?.add(key);
            continue;
          }
        }
        await client.addReference(p.object.uuid, ref.target, ref.relationship, signal);
        ledger?.add(key);
        added++;
      }
    }
    return added;
  }

  return {
    async writeEnrichment(write, signal) {
      const log = options.logger.child({ sub: write.subscriber, module: write.module, eventUuid: write.eventUuid, attributeUuid: write.source.uuid });
      const refused: Refused[] = [];
      const objects: { uuid: string; name: string; outcome: CreateOutcome }[] = [];
      const written = new Map<string, CreateOutcome>();
      const plan = { commentPrefix, tagLocal: tagLocal() };
      const planned = planObjects(write, plan);
      for (const p of planned) {
        const outcome = await writeObject(write.eventUuid, p.object, refused, log, signal);
        if (outcome === undefined) continue;
        written.set(p.object.uuid, outcome);
        objects.push({ uuid: p.object.uuid, name: p.object.name, outcome });
      }
      const referencesAdded = await writeReferences(write, planned, written, log, signal);

      const tagsAttached = [...new Set(write.result.sourceTags)];
      if (tagsAttached.length > 0) await client.attachTags(write.source.uuid, tagsAttached, plan.tagLocal, signal);

      const attributes: { uuid: string; type: string; outcome: CreateOutcome }[] = [];
      for (const planned of planAttributes(write, plan)) {
        // attributes/add makes inline tags global whatever `local` says (rest.md §1, observed b5):
        // local ones go on afterwards through attachTagToObject.
        const later = plan.tagLocal ? planned.tags.map((t) => t.name) : [];
        const attribute = later.length > 0 ? { ...planned, tags: [] } : planned;
        const written = await writeAttribute(write.eventUuid, attribute, refused, log, signal);
        if (written === undefined) continue;
        attributes.push({ uuid: attribute.uuid, ...written });
        if (later.length > 0) await client.attachTags(attribute.uuid, later, true, signal);
      }

      const report: WriteReport = { objects, attributes, referencesAdded, tagsAttached, refused };
      log.info(
        {
          objects: objects.map((o) => ({ uuid: o.uuid, name: o.name, outcome: o.outcome })),
          attributes: attributes.map((a) => ({ uuid: a.uuid, type: a.type, outcome: a.outcome })),
          referencesAdded,
          tagsAttached,
          ...(refused.length > 0 ? { refused } : {}),
        },
        options.dryRun ? "dry-run: enrichment planned, nothing written" : "enrichment written",
      );
      return report;
    },
  };
}
