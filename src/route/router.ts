// The router: every registered `sub.on(...)` validated together at load (one error listing every
// problem), compiled once, then indexed by kind so matching a message touches only the routes
// that can want it.

import { EnrichdError } from "../errors.js";
import type { MessageKind, MispMessage } from "../decode/types.js";
import { checkFilterQuery } from "./filter-query.js";
import { ORDER_SCOPES } from "./ordering-key.js";
import type { FilterQuery, Route, RouteSpec, Where } from "./types.js";
import { compileWhere, validateWhere } from "./where.js";

export interface RouteVerdict {
  readonly subscriber: string;
  readonly index: number;
  readonly matched: boolean;
  /** Why the route did not match; absent when it did. */
  readonly reason?: string;
}

/** `H` is the handler type the specs carry; the router only checks that each is a function. */
export interface Router<H = unknown> {
  /** Union of the routes' kinds: drives bus subscriptions and the decoder's topic rejection. */
  readonly kinds: ReadonlySet<MessageKind>;
  readonly routes: readonly Route[];
  /** Specs whose route matches, in registration order. */
  match(message: MispMessage): readonly RouteSpec<H>[];
  /** The spec registered as `subscriber`'s `on[index]` (spooled work names its route so). */
  find(subscriber: string, index: number): RouteSpec<H> | undefined;
  /** Every route's verdict on the message, for `tail --explain` and `check`. */
  explain(message: MispMessage): readonly RouteVerdict[];
}

interface CompiledRoute<H> {
  readonly route: Route;
  readonly spec: RouteSpec<H>;
}

const NONE: readonly never[] = Object.freeze([]);

/** Throws EnrichdError ENRICHD_SUBSCRIBER_INVALID listing every problem of every route, one per line. */
export function createRouter<H>(specs: readonly RouteSpec<H>[]): Router<H> {
  const problems: string[] = [];
  const seen = new Set<string>();
  const parsed: { handler: RouteSpec<H>; actions: Map<MessageKind, ReadonlySet<string> | null> }[] = [];

  specs.forEach((handler, position) => {
    const path = routePath(handler, position);
    if (typeof handler.subscriber !== "string" || handler.subscriber.length === 0) {
      problems.push(`${path}.subscriber: ${JSON.stringify(handler.subscriber)} is not a non-empty name`);
    }
    if (seen.has(path)) problems.push(`${path}: registered twice`);
    seen.add(path);
    if (typeof handler.handler !== "function") problems.push(`${path}.handler: is not a function`);
    if (handler.order !== undefined && !ORDER_SCOPES.includes(handler.order)) {
      problems.push(`${path}.order: ${JSON.stringify(handler.order)} is not an order scope; permitted values are: ${ORDER_SCOPES.join(", ")}`);
    }
    const actions = parseQueries(handler.queries, `${path}.queries`, problems);
    problems.push(...validateWhere(handler.where, `${path}.where`, new Set(actions.keys())));
    parsed.push({ handler, actions });
  });
  if (problems.length > 0) {
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    throw new EnrichdError("ENRICHD_SUBSCRIBER_INVALID", `${count} in subscriber routes:\n  ${problems.join("\n  ")}`, {
      details: { problems },
    });
  }

  const compiled = parsed.map(({ handler, actions }): CompiledRoute<H> => ({ spec: handler, route: compileRoute(handler, actions) }));
  const byKind = new Map<MessageKind, CompiledRoute<H>[]>();
  for (const entry of compiled) {
    for (const kind of entry.route.kinds) {
      const list = byKind.get(kind) ?? [];
      list.push(entry);
      byKind.set(kind, list);
    }
  }

  return Object.freeze({
    kinds: new Set(byKind.keys()) as ReadonlySet<MessageKind>,
    routes: Object.freeze(compiled.map((entry) => entry.route)),
    match(message: MispMessage): readonly RouteSpec<H>[] {
      const candidates = byKind.get(message.kind);
      if (candidates === undefined) return NONE;
      const matched: RouteSpec<H>[] = [];
      for (const { route, spec } of candidates) if (route.test(message) === null) matched.push(spec);
      return matched;
    },
    find(subscriber: string, index: number): RouteSpec<H> | undefined {
      return specs.find((spec) => spec.subscriber === subscriber && spec.index === index);
    },
    explain(message: MispMessage): readonly RouteVerdict[] {
      return compiled.map(({ route }) => {
        const reason = route.test(message);
        const verdict = { subscriber: route.subscriber, index: route.index };
        return reason === null ? { ...verdict, matched: true } : { ...verdict, matched: false, reason };
      });
    },
  });
}

function routePath(handler: RouteSpec<unknown>, position: number): string {
  const name = typeof handler.subscriber === "string" && handler.subscriber ? handler.subscriber : `handlers[${position}]`;
  return `${name}.on[${String(handler.index)}]`;
}

/** Kind → accepted actions (null: all of them), from queries that are OR-ed together. */
function parseQueries(queries: unknown, path: string, problems: string[]): Map<MessageKind, ReadonlySet<string> | null> {
  const actions = new Map<MessageKind, Set<string> | null>();
  if (!Array.isArray(queries) || queries.length === 0) {
    problems.push(`${path}: ${JSON.stringify(queries) ?? String(queries)} must list at least one filter query such as "attribute:add"`);
    return actions;
  }
  queries.forEach((query: unknown, i) => {
    const parsed = checkFilterQuery(query);
    if (typeof parsed === "string") {
      problems.push(`${path}[${i}]: ${parsed}`);
      return;
    }
    const current = actions.get(parsed.kind);
    if (parsed.action === undefined || current === null) actions.set(parsed.kind, null);
    else actions.set(parsed.kind, (current ?? new Set<string>()).add(parsed.action));
  });
  return actions;
}

function compileRoute(handler: RouteSpec<unknown>, actions: ReadonlyMap<MessageKind, ReadonlySet<string> | null>): Route {
  const where: Where = handler.where ?? {};
  const matchesWhere = compileWhere(where);
  const queries = Object.freeze([...handler.queries]) as readonly FilterQuery[];
  const queried = queries.join(", ");
  return Object.freeze({
    subscriber: handler.subscriber,
    index: handler.index,
    queries,
    where,
    kinds: new Set(actions.keys()) as ReadonlySet<MessageKind>,
    test(message: MispMessage): string | null {
      const accepted = actions.get(message.kind);
      if (accepted === undefined) return `kind ${message.kind} not queried (${queried})`;
      if (accepted !== null && !accepted.has(message.action)) return `action ${message.action} not queried (${queried})`;
      return matchesWhere(message);
    },
  });
}
