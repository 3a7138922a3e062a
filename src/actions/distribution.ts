// set-distribution: an attribute's distribution (0-5), or a sharing group (distribution 4 with its
// id). Nothing is written when the attribute already has it (MISP would still save and publish an
// `edit`, observed on 2.5.1).

import { EnrichdError } from "../errors.js";
import type { ActionDeps, ActionOutcome, ActionRun } from "./types.js";
import type { Attribute } from "../decode/types.js";

/** 0 your organisation, 1 this community, 2 connected communities, 3 all, 5 inherit from the event; or a sharing group. */
export type DistributionSetting = { readonly distribution: 0 | 1 | 2 | 3 | 5 } | { readonly sharingGroupId: number };

export function describeDistribution(setting: DistributionSetting): string {
  return "sharingGroupId" in setting ? `sharing group ${setting.sharingGroupId}` : `distribution ${setting.distribution}`;
}

export async function setDistribution(deps: ActionDeps, run: ActionRun, attribute: Attribute, to: DistributionSetting): Promise<ActionOutcome> {
  const wanted = "sharingGroupId" in to ? 4 : to.distribution;
  if (!Number.isSafeInteger(wanted) || wanted < 0 || wanted > 5 || ("sharingGroupId" in to && !(to.sharingGroupId > 0))) {
    throw new EnrichdError("ENRICHD_HANDLER_FAILED", `set-distribution: ${JSON.stringify(to)} is not a distribution (0-5) or a sharing group id`);
  }
  const same = attribute.distribution === wanted && (!("sharingGroupId" in to) || attribute.sharingGroupId === to.sharingGroupId);
  if (same) return { skipped: "sharingGroupId" in to ? `sharing group already ${to.sharingGroupId}` : `distribution already ${wanted}` };
  await deps.misp.editAttribute(attribute.uuid, "sharingGroupId" in to ? { distribution: 4, sharingGroupId: to.sharingGroupId } : { distribution: wanted }, run.signal, run.cause);
  deps.reads.forget(attribute);
  const details = { attributeUuid: attribute.uuid, from: attribute.distribution, to: wanted, ...("sharingGroupId" in to ? { sharingGroupId: to.sharingGroupId } : {}) };
  run.log.info(details, "attribute distribution set");
  return { done: `${describeDistribution(to)} set`, details };
}
