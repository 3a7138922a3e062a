// Writes one module result back to MISP in the fewest calls rest.md §15 allows: one objects/add per
// object (uuids derived, marker comment, inline tags), one objectReferences/add per missing
// reference, one attachTagToObject for the source's tags, one attributes/add per legacy attribute.
// Plan → objects → references → tags → legacy attributes; MISP 2.5.1's refusal of v3 onions is the
// client decorator's business (onion-fallback.ts). Retriable errors propagate: every step is safe to repeat, so the pipeline retries the whole write.

import type { Logger } from "../log.js";
import type { Metrics } from "../metrics/metrics.js";
import { isDataRefusal, isSimilarAttribute, refusalReason } from "./misp-errors.js";
import { withOnionFallback, type OnionWrites } from "./onion-fallback.js";
import type { CreateOutcome, EnrichmentWrite, MispClient, MispWriter, WriteReport } from "./types.js";
import type { WriteCause } from "./write-cause.js";
import { planAttributes, planObjects, type PlannedObject, type PlanOptions } from "./write-plan.js";

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
  /** The client only pretends to write: keep the ledger clean of references that do not exist. */
  readonly dryRun?: boolean;
}

type Refused = { what: string; reason: string };

export function createMispWriter(options: MispWriterOptions): MispWriter {
  const commentPrefix = options.commentPrefix ?? "misp-enrichd";
  const tagLocal = typeof options.tagLocal === "function" ? options.tagLocal : (): boolean => options.tagLocal === true;
  const ledger = options.dryRun ? undefined : options.referenceLedger;
  const turns = new Map<string, Promise<unknown>>();

  /** Runs `fn` after every earlier call with the same key has settled. */
  async function inTurn<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = turns.get(key) ?? Promise.resolve();
    const mine = before.catch(() => undefined).then(fn);
    turns.set(key, mine);
    try {
      return await mine;
    } finally {
      if (turns.get(key) === mine) turns.delete(key);
    }
  }

  /** objects/add for each planned object; a refused one is reported and left out of the map. */
  async function writeObjects(client: OnionWrites, eventUuid: string, planned: readonly PlannedObject[], refused: Refused[], log: () => Logger, signal?: AbortSignal): Promise<Map<string, { name: string; outcome: CreateOutcome }>> {
    const written = new Map<string, { name: string; outcome: CreateOutcome }>();
    for (const { object } of planned) {
      try {
        written.set(object.uuid, { name: object.name, outcome: await client.addObject(eventUuid, object, signal) });
      } catch (error) {
        if (!isDataRefusal(error)) throw error;
        const reason = refusalReason(error);
        log().warn({ objectUuid: object.uuid, name: object.name, reason }, "misp refused an object");
        options.metrics.inc("misp_enrichd_objects_written_total", { outcome: "refused" });
        refused.push({ what: `${object.name} object ${object.uuid}`, reason });
      }
    }
    return written;
  }

  /** attributes/add for each legacy attribute; local tags go on afterwards (see below). */
  async function writeAttributes(client: OnionWrites, write: EnrichmentWrite, plan: PlanOptions, refused: Refused[], log: () => Logger, cause: WriteCause, signal?: AbortSignal): Promise<{ uuid: string; type: string; outcome: CreateOutcome }[]> {
    const written: { uuid: string; type: string; outcome: CreateOutcome }[] = [];
    for (const planned of planAttributes(write, plan)) {
      // attributes/add makes inline tags global whatever `local` says (rest.md §1, observed b5):
      // local ones go on afterwards through attachTagToObject.
      const later = plan.tagLocal ? planned.tags.map((t) => t.name) : [];
      const attribute = later.length > 0 ? { ...planned, tags: [] } : planned;
      try {
        written.push({ uuid: attribute.uuid, type: attribute.type, outcome: await client.addAttribute(write.eventUuid, attribute, signal) });
      } catch (error) {
        if (!isDataRefusal(error)) throw error;
        const reason = isSimilarAttribute(error) ? "the event already has this value (MISP: A similar attribute already exists for this event.)" : refusalReason(error);
        log().warn({ attributeUuid: attribute.uuid, type: attribute.type, reason }, "misp refused an attribute");
        refused.push({ what: `${attribute.type} ${attribute.value} (attribute ${attribute.uuid})`, reason });
        continue;
      }
      if (later.length > 0) await options.client.attachTags(attribute.uuid, later, true, signal, cause);
    }
    return written;
  }

  /** Adds the references MISP lacks; objectReferences/add never deduplicates (rest.md §3). */
  async function writeReferences(client: MispClient, write: EnrichmentWrite, planned: readonly PlannedObject[], written: ReadonlyMap<string, { outcome: CreateOutcome }>, log: () => Logger, signal?: AbortSignal): Promise<number> {
    const source = write.source.uuid.toLowerCase();
    let existing: ReadonlyMap<string, readonly { referencedUuid: string; relationshipType: string }[]> | undefined;
    let added = 0;
    for (const p of planned) {
      const outcome = written.get(p.object.uuid)?.outcome;
      if (outcome === undefined) continue;
      if (p.unresolved.length > 0) log().warn({ objectUuid: p.object.uuid, unresolved: p.unresolved }, "module referenced something outside its result: reference skipped");
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
      const bindings = { sub: write.subscriber, module: write.module, eventUuid: write.eventUuid, attributeUuid: write.source.uuid };
      // A child logger for the rare warnings, made on first use; the one info line carries the bindings itself.
      let child: Logger | undefined;
      const logOf = (): Logger => (child ??= options.logger.child(bindings));
      const refused: Refused[] = [];
      const writtenAsText = new Set<string>();
      // Wrapped per write, so that the values it downgrades land in this write's report.
      const writes = withOnionFallback(options.client, {
        logger: logOf,
        onDowngrade: ({ attributeUuid, what, reason }) => {
          writtenAsText.add(attributeUuid);
          refused.push({ what, reason });
        },
      });
      const plan: PlanOptions = { commentPrefix, tagLocal: tagLocal() };
      const cause: WriteCause = { by: write.subscriber, depth: write.depth ?? 0 };

      const planned = planObjects(write, plan);
      // Two handlers writing one enrichment (a rule and a subscriber) take turns: the second finds the
      // objects and references of the first, and adds no second reference (MISP does not dedup them).
      const { written, referencesAdded } = await inTurn(`${write.source.uuid.toLowerCase()}|${write.module}`, async () => {
        const objectsWritten = await writeObjects(writes, write.eventUuid, planned, refused, logOf, signal);
        return { written: objectsWritten, referencesAdded: await writeReferences(options.client, write, planned, objectsWritten, logOf, signal) };
      });
      const tagsAttached = [...new Set(write.result.sourceTags)];
      if (tagsAttached.length > 0) await options.client.attachTags(write.source.uuid, tagsAttached, plan.tagLocal, signal, cause);
      const added = await writeAttributes(writes, write, plan, refused, logOf, cause, signal);

      const objects = [...written].map(([uuid, { name, outcome }]) => ({ uuid, name, outcome }));
      const attributes = added.map(({ uuid, type, outcome }) => ({ uuid, type: writtenAsText.has(uuid) ? "text" : type, outcome }));
      const report: WriteReport = { objects, attributes, referencesAdded, tagsAttached, refused };
      options.logger.info(
        {
          ...bindings,
          objects,
          attributes,
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
