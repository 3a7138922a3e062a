// Static loop analysis for `check`: which rule or subscriber can trigger which, from what each one
// writes (its effects) and what each one listens to (its route). A write triggers another handler
// when MISP's echo of it is a message that handler's query and where-object can match:
//   add-tag → tag:attached-to-… (where.tags against the names), remove-tag → tag:detached-from-…,
//   set-distribution → attribute:edit, a global tag (misp.tagLocality auto/global) → attribute:edit,
//   enrich → the module's tags on the source (names unknown: any tag) and their edit.
// Objects and attributes the daemon creates are its output, never a trigger (the echo guard), so
// they lead nowhere. A handler never acts on its own echo, so only cycles through two or more
// handlers count; one is fine when every member is a `once` rule (each acts at most once per
// attribute). Conservative: a where-key it cannot judge statically is taken to match.

import type { Effect } from "../subscriber/effects.js";
import { checkFilterQuery } from "../route/filter-query.js";
import type { FilterQuery, Where } from "../route/types.js";
import { compileTagPattern } from "../route/where.js";
import { allSteps, type CompiledRule } from "./types.js";


/** A rule or subscriber as the analysis sees it. */
export interface LoopNode {
  readonly name: string;
  readonly routes: readonly { readonly queries: readonly FilterQuery[]; readonly where: Where }[];
  readonly effects: readonly Effect[];
  /** A `once` rule: acts at most once per attribute or event. */
  readonly once: boolean;
}

const asList = (value: string | readonly string[] | undefined): readonly string[] | undefined => (value === undefined ? undefined : typeof value === "string" ? [value] : value);

/** The effects of a rule's steps; `globalTags` when tags may go on globally (their `edit` echo). */
export function ruleEffects(rule: CompiledRule, globalTags: boolean): Effect[] {
  const attributeKinds = rule.queries.some((q) => q === "attribute" || q.startsWith("attribute:"));
  const types = attributeKinds ? asList(rule.where.type) : undefined;
  const onAttribute = rule.queries.some((q) => q.startsWith("attribute") || q.startsWith("sighting") || q === "tag" || q.endsWith("-attribute"));
  const typed = (effect: Effect): Effect => (types ? { ...effect, types } : effect);
  return allSteps(rule.steps).flatMap((step): Effect[] => {
    switch (step.kind) {
      case "add-tag":
      case "remove-tag": {
        const on = step.on ?? (onAttribute ? "attribute" : "event");
        const tagMessage = typed({ kind: "tag", action: `${step.kind === "add-tag" ? "attached-to" : "detached-from"}-${on}`, tags: step.tags });
        // A removal's locality is the tag's, unknown here; an addition's is asked or the daemon's.
        const edit = on === "attribute" && (step.kind === "remove-tag" || step.local === false || (step.local === undefined && globalTags));
        return edit ? [tagMessage, typed({ kind: "attribute", action: "edit" })] : [tagMessage];
      }
      case "set-distribution":
        return [typed({ kind: "attribute", action: "edit" })];
      case "enrich":
        return [typed({ kind: "tag", action: "attached-to-attribute", tags: ["*"] }), ...(globalTags ? [typed({ kind: "attribute", action: "edit" })] : [])];
      default:
        return [];
    }
  });
}

function tagsCanMatch(where: Where, names: readonly string[]): boolean {
  if (!where.tags) return true;
  if (names.includes("*")) return true; // unknown names: any, all and none can all be met
  const any = (where.tags.any ?? []).map(compileTagPattern);
  const all = (where.tags.all ?? []).map(compileTagPattern);
  const none = (where.tags.none ?? []).map(compileTagPattern);
  // A tag message carries one tag: some name of the effect must satisfy every condition.
  return names.some((name) => (any.length === 0 || any.some((p) => p.test(name))) && all.every((p) => p.test(name)) && !none.some((p) => p.test(name)));
}

/** Whether the effect's echo can match a route (conservative where statically unknown). */
export function effectMatches(effect: Effect, route: LoopNode["routes"][number]): boolean {
  const queried = route.queries.some((query) => {
    const parsed = checkFilterQuery(query);
    return typeof parsed !== "string" && parsed.kind === effect.kind && (parsed.action === undefined || parsed.action === effect.action);
  });
  if (!queried) return false;
  if (effect.kind === "tag") return tagsCanMatch(route.where, effect.tags ?? ["*"]);
  const wanted = asList(route.where.type);
  if (effect.types && wanted && !effect.types.some((t) => wanted.includes(t))) return false;
  return true;
}

/** Every elementary cycle of two or more handlers, each as its names with the first repeated at the end. */
export function findLoops(nodes: readonly LoopNode[], limit = 20): string[][] {
  const edges = nodes.map((from, i) =>
    nodes.flatMap((to, j) => (i !== j && from.effects.some((effect) => to.routes.some((route) => effectMatches(effect, route))) ? [j] : [])),
  );
  const cycles: string[][] = [];
  // Each cycle once: from its lowest-numbered member, through higher-numbered ones only.
  for (let start = 0; start < nodes.length && cycles.length < limit; start++) {
    const path = [start];
    const onPath = new Set(path);
    const walk = (node: number): void => {
      for (const next of edges[node] ?? []) {
        if (cycles.length >= limit) return;
        if (next === start && path.length > 1) cycles.push([...path, start].map((k) => (nodes[k] as LoopNode).name));
        else if (next > start && !onPath.has(next)) {
          path.push(next);
          onPath.add(next);
          walk(next);
          path.pop();
          onPath.delete(next);
        }
      }
    };
    walk(start);
  }
  return cycles;
}

/** The loops that are not made safe by `once` on every member. */
export function unsafeLoops(nodes: readonly LoopNode[]): string[][] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  return findLoops(nodes).filter((cycle) => !cycle.every((name) => byName.get(name)?.once === true));
}

export function ruleLoopNodes(rules: readonly CompiledRule[], globalTags: boolean): LoopNode[] {
  return rules.map((rule) => ({ name: rule.name, routes: [{ queries: rule.queries, where: rule.where }], effects: ruleEffects(rule, globalTags), once: rule.once }));
}

/** What a subscriber declares, with the `edit` a tag on an attribute causes when tags may be global. */
export function subscriberLoopNode(subscriber: { readonly name: string; readonly handlers: readonly { readonly queries: readonly FilterQuery[]; readonly where: Where }[]; readonly effects?: readonly Effect[] }, globalTags: boolean): LoopNode {
  const effects = subscriber.effects ?? [];
  const edits = globalTags ? effects.filter((e) => e.kind === "tag" && e.action.endsWith("-attribute")).map((e): Effect => ({ kind: "attribute", action: "edit", ...(e.types ? { types: e.types } : {}) })) : [];
  return { name: subscriber.name, routes: subscriber.handlers, effects: [...effects, ...edits.slice(0, 1)], once: false };
}
