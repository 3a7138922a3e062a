// add-tag and remove-tag on an attribute or an event. Locality: as asked (`local: true` stays local
// or fails with MISP's reason; `false` is global), or by default the daemon's (local with a key of
// MISP's host organisation, global otherwise: misp.tagLocality). Tags already attached, or not
// attached for a removal, are left alone when the target's tags are known.

import type { ActionDeps, ActionOutcome, ActionRun, TagTarget } from "./types.js";

const lower = (name: string): string => name.toLowerCase();

export async function addTags(deps: ActionDeps, run: ActionRun, target: TagTarget, names: readonly string[], options: { readonly local?: boolean } = {}): Promise<ActionOutcome> {
  const present = new Set((target.tags ?? []).map((t) => lower(t.name)));
  const missing = names.filter((name) => !present.has(lower(name)));
  if (missing.length === 0) return { skipped: `${target.kind} already has ${names.join(", ")}` };
  const local = options.local ?? deps.tagLocal();
  const client = options.local === true ? deps.mispStrict : deps.misp;
  await client.attachTags(target.uuid, missing, local, run.signal, run.cause);
  deps.reads.forget(target);
  const details = { target: target.kind, targetUuid: target.uuid, tags: missing, local };
  run.log.info(details, "tags attached");
  return { done: `${missing.join(", ")} attached to the ${target.kind}`, details };
}

export async function removeTags(deps: ActionDeps, run: ActionRun, target: TagTarget, names: readonly string[]): Promise<ActionOutcome> {
  const attached = target.tags === undefined ? names : names.filter((name) => target.tags?.some((t) => lower(t.name) === lower(name)));
  const removed: string[] = [];
  for (const name of attached) {
    const outcome = await deps.misp.removeTag(target.uuid, name, run.signal, run.cause);
    if (outcome.removed) removed.push(name);
  }
  if (removed.length === 0) return { skipped: `${target.kind} has none of ${names.join(", ")}` };
  deps.reads.forget(target);
  const details = { target: target.kind, targetUuid: target.uuid, tags: removed };
  run.log.info(details, "tags removed");
  return { done: `${removed.join(", ")} removed from the ${target.kind}`, details };
}
