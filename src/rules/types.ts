// A rule compiled from the config: its route (the same query grammar and where-object as `sub.on`)
// and its steps, each an action of actions/ or `stop` / `if`. A pure function of the config and the
// environment builds these (compile.ts); they never change while the daemon runs.

import type { DistributionSetting } from "../actions/distribution.js";
import type { EnrichSetting } from "../actions/enrich.js";
import type { CompiledWebhook } from "../actions/webhook.js";
import type { FilterQuery, Where } from "../route/types.js";
import type { ParsedCondition } from "./condition.js";

/** Where a tag action puts its tags: the attribute (the default when the message names one) or the event. */
export type TagOn = "attribute" | "event";

interface StepBase {
  /** Its place in the rule, for logs and for resuming after a retry: `do[1].then[0]`. */
  readonly at: string;
}

export type Step =
  | (StepBase & { readonly kind: "enrich"; readonly setting: EnrichSetting })
  | (StepBase & { readonly kind: "set-distribution"; readonly to: DistributionSetting })
  | (StepBase & { readonly kind: "add-tag"; readonly tags: readonly string[]; readonly local?: boolean; readonly on?: TagOn })
  | (StepBase & { readonly kind: "remove-tag"; readonly tags: readonly string[]; readonly on?: TagOn })
  | (StepBase & { readonly kind: "webhook"; readonly hook: CompiledWebhook })
  | (StepBase & { readonly kind: "stop"; readonly reason: string })
  | (StepBase & { readonly kind: "if"; readonly condition: ParsedCondition; readonly then: readonly Step[]; readonly else: readonly Step[] });

export type StepKind = Step["kind"];

export interface RuleSchedule {
  readonly everySeconds: number;
  readonly windowSeconds: number;
}

export interface CompiledRule {
  readonly name: string;
  /** Position in `rules:`, for messages. */
  readonly index: number;
  readonly queries: readonly FilterQuery[];
  readonly where: Where;
  readonly steps: readonly Step[];
  readonly once: boolean;
  readonly schedule?: RuleSchedule;
  /** `env.X` values its templates read, taken from the environment at start-up. */
  readonly env: Readonly<Record<string, string>>;
  /** What the steps read or act on: decides what is fetched for a message. */
  readonly needs: { readonly attribute: boolean; readonly event: boolean };
}

/** Every step of a rule, `if` branches included, depth first. */
export function allSteps(steps: readonly Step[]): Step[] {
  return steps.flatMap((step) => (step.kind === "if" ? [step, ...allSteps(step.then), ...allSteps(step.else)] : [step]));
}
