// enrich: ask a misp-modules expansion module about an attribute and write the answer back as the
// subscribers do (misp/writer.ts): objects with deterministic uuids (so a rule and a subscriber that
// write the same enrichment write it once), references to the source, the module's tags on it.
// "Nothing found" ends the run as skipped (ENRICHD_MODULE_NOTHING_FOUND, counted, not an error).

import type { ActionDeps, ActionOutcome, ActionRun, AttributeTarget } from "./types.js";

export interface EnrichSetting {
  readonly module: string;
  /** Only these result objects (by name); all when absent. */
  readonly objects?: readonly string[];
}

export async function enrich(deps: ActionDeps, run: ActionRun, target: AttributeTarget, setting: EnrichSetting): Promise<ActionOutcome> {
  const { attribute, eventUuid } = target;
  const result = await deps.modules.query(setting.module, attribute, { signal: run.signal, ...(target.eventId === undefined ? {} : { eventId: target.eventId }) });
  const objects = setting.objects ? result.objects.filter((o) => setting.objects?.includes(o.name)) : result.objects;
  if (objects.length === 0 && result.attributes.length === 0 && result.sourceTags.length === 0) {
    return { skipped: `module ${setting.module} returned nothing to write` };
  }
  const report = await deps.writer.writeEnrichment(
    { subscriber: run.cause.by, depth: run.cause.depth, module: setting.module, eventUuid, source: attribute, result: { ...result, objects }, distribution: deps.distribution },
    run.signal,
  );
  deps.reads.forget(attribute);
  return { done: `${setting.module} written`, details: { objects: report.objects.length, tags: report.tagsAttached } };
}
