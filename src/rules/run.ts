// A compiled rule as a handler of the common runner (same router, retries, spool, dead letters,
// handled ledger as the code subscribers): resolve what the message is about, honour `once`, run
// the steps through the one implementation of each action (`ctx.actions`), then mark `once`.
// Steps already done when a retry comes (the same message, in this process) are not done again,
// so a failing second webhook does not send the first twice.

import type { TagTarget } from "../actions/types.js";
import type { MessageKind, MispMessage } from "../decode/types.js";
import type { Metrics } from "../metrics/metrics.js";
import type { ReadCache } from "../misp/read-cache.js";
import type { Handler, HandlerContext, RegisteredHandler } from "../subscriber/types.js";
import type { OnceMarks, OnceTarget } from "./once.js";
import { resolveScope, templateScope, type RuleScope } from "./scope.js";
import type { CompiledRule, Step } from "./types.js";

export interface RuleRuntime {
  readonly reads: ReadCache;
  readonly once: OnceMarks;
  readonly metrics: Metrics;
  readonly isOwn: (uuid: string) => boolean;
}

interface Progress {
  readonly done: Set<string>;
  marked: boolean;
}

interface RunState {
  readonly ctx: HandlerContext<MessageKind>;
  readonly rule: CompiledRule;
  readonly scope: RuleScope;
  readonly view: Record<string, unknown>;
  readonly progress: Progress;
  readonly outcomes: { at: string; skipped?: string }[];
  stopped?: string;
}

function tagTarget(step: Extract<Step, { kind: "add-tag" | "remove-tag" }>, scope: RuleScope): TagTarget | string {
  const on = step.on ?? (scope.attribute ? "attribute" : "event");
  if (on === "attribute") {
    if (!scope.attribute) return "the message names no attribute";
    const { attribute } = scope.attribute;
    return { kind: "attribute", id: attribute.id, uuid: attribute.uuid, tags: attribute.tags };
  }
  if (scope.event) return { kind: "event", id: scope.event.event.id, uuid: scope.event.event.uuid, ...(scope.event.tags ? { tags: scope.event.tags } : {}) };
  if (scope.eventRef?.uuid) return { kind: "event", id: scope.eventRef.id, uuid: scope.eventRef.uuid };
  return "the message names no event";
}

async function runStep(step: Exclude<Step, { kind: "if" | "stop" }>, state: RunState): Promise<{ skipped: string } | { done: string }> {
  const { ctx, scope } = state;
  const attribute = scope.attribute?.attribute;
  switch (step.kind) {
    case "enrich": {
      const eventUuid = scope.attribute?.eventUuid ?? scope.event?.event.uuid;
      if (!attribute || !eventUuid) return { skipped: "the message names no attribute to enrich" };
      return ctx.actions.enrich({ attribute, eventUuid, eventId: attribute.eventId }, step.setting);
    }
    case "set-distribution":
      return attribute ? ctx.actions.setDistribution(attribute, step.to) : { skipped: "the message names no attribute" };
    case "add-tag":
    case "remove-tag": {
      const target = tagTarget(step, scope);
      if (typeof target === "string") return { skipped: target };
      return step.kind === "add-tag" ? ctx.actions.addTags(target, step.tags, step.local === undefined ? {} : { local: step.local }) : ctx.actions.removeTags(target, step.tags);
    }
    case "webhook":
      return ctx.actions.webhook(step.hook, state.view);
  }
}

/** Runs steps in order; false once a `stop` ended the list. */
async function runSteps(steps: readonly Step[], state: RunState, runtime: RuleRuntime): Promise<boolean> {
  for (const step of steps) {
    if (step.kind === "stop") {
      state.stopped = step.reason;
      state.ctx.log.debug({ rule: state.rule.name, step: step.at, reason: step.reason }, "rule stopped");
      return false;
    }
    if (step.kind === "if") {
      const holds = step.condition.test(state.view);
      if (!(await runSteps(holds ? step.then : step.else, state, runtime))) return false;
      continue;
    }
    if (state.progress.done.has(step.at)) {
      state.ctx.log.debug({ rule: state.rule.name, step: step.at }, "rule step done before this retry; not repeated");
      state.outcomes.push({ at: step.at });
      continue;
    }
    const outcome = await runStep(step, state);
    state.progress.done.add(step.at);
    const skipped = "skipped" in outcome ? outcome.skipped : undefined;
    state.outcomes.push({ at: step.at, ...(skipped === undefined ? {} : { skipped }) });
    runtime.metrics.inc("misp_enrichd_rule_actions_total", { rule: state.rule.name, action: step.kind, outcome: skipped === undefined ? "done" : "skipped" });
    state.ctx.log.info({ rule: state.rule.name, step: step.at, action: step.kind, ...outcome }, skipped === undefined ? "rule action done" : "rule action skipped");
  }
  return true;
}

/** The attribute (or, without one, the event) that `once` is counted on, with its current tags. */
async function onceTarget(scope: RuleScope, runtime: RuleRuntime, signal: AbortSignal): Promise<OnceTarget | undefined> {
  if (scope.attribute) {
    const { attribute } = await runtime.reads.attribute(scope.attribute.attribute.id, signal);
    return { kind: "attribute", id: attribute.id, uuid: attribute.uuid, tags: attribute.tags };
  }
  const id = scope.event?.event.id ?? scope.eventRef?.id;
  if (id === undefined) return undefined;
  const { event, tags } = await runtime.reads.event(id, signal);
  return { kind: "event", id: event.id, uuid: event.uuid, tags };
}

export function createRuleHandler(rule: CompiledRule, runtime: RuleRuntime): Handler<MessageKind> {
  // Per message object: the runner's retries pass the same one.
  const progressOf = new WeakMap<MispMessage, Progress>();
  return async (ctx) => {
    const resolved = await resolveScope(rule, ctx.message, { reads: runtime.reads, signal: ctx.signal, isOwn: runtime.isOwn });
    if ("skip" in resolved) return ctx.skip(resolved.skip);
    const { scope } = resolved;
    let progress = progressOf.get(ctx.message);
    if (!progress) progressOf.set(ctx.message, (progress = { done: new Set(), marked: false }));

    let target: OnceTarget | undefined;
    if (rule.once) {
      target = await onceTarget(scope, runtime, ctx.signal);
      if (!target) return ctx.skip("once: the message names no attribute or event to count on");
      if (progress.done.size === 0 && runtime.once.done(rule.name, target)) return ctx.skip(`once: already acted on this ${target.kind}`);
    }
    const state: RunState = { ctx, rule, scope, view: templateScope(rule, scope), progress, outcomes: [] };
    await runSteps(rule.steps, state, runtime);
    if (target && state.outcomes.length > 0 && !progress.marked) {
      await runtime.once.mark(rule.name, target, { signal: ctx.signal, log: ctx.log });
      progress.marked = true;
    }
    if (state.outcomes.length === 0) return ctx.skip(state.stopped === undefined ? "no action applied: the conditions chose none" : `stopped: ${state.stopped}`);
    const skipped = state.outcomes.flatMap((o) => (o.skipped === undefined ? [] : [o.skipped]));
    if (skipped.length === state.outcomes.length) return ctx.skip(skipped.join("; "));
  };
}

/** The rules as the router takes them: one route each, named by the rule. */
export function ruleRoutes(rules: readonly CompiledRule[], runtime: RuleRuntime): RegisteredHandler[] {
  return rules.map((rule) => ({ subscriber: rule.name, index: 0, queries: rule.queries, where: rule.where, handler: createRuleHandler(rule, runtime) }));
}
