// Filter queries and where-objects: data, not code. Compiled once at load into predicates,
// used to derive the ZeroMQ subscriptions, printed by `tail --explain` and `check`.

import type { ActionsByKind, MessageKind, MispMessage } from "../decode/types.js";
import type { OrderScope } from "./ordering-key.js";

/** `"<kind>"` or `"<kind>:<action>"`, e.g. `"attribute:add"`, `"tag:attached-to-attribute"`. */
export type FilterQuery = { [K in MessageKind]: K | `${K}:${ActionsByKind[K]}` }[MessageKind];

/** The kind named by a query, for typing handler contexts. */
export type KindOfQuery<Q extends FilterQuery> = Q extends `${infer K}:${string}` ? Extract<K, MessageKind> : Extract<Q, MessageKind>;

/** A tag test: a name, or a glob with `*` (e.g. `"tlp:*"`). Compared case-insensitively, like MISP. */
export type TagPattern = string;

/**
 * Content conditions; every key present must hold (AND), a list inside a key is OR.
 * Which field a key reads depends on the message kind:
 * - `type`, `category`, `toIds`, `inObject`, `objectName`: the attribute (attribute messages; sighting's attribute for `type`).
 * - `tags`: the attribute's tags (attribute), the tag's name (tag messages), the event's tags (event/publish).
 */
export interface Where {
  readonly type?: string | readonly string[];
  readonly category?: string | readonly string[];
  readonly toIds?: boolean;
  /** true: only attributes inside an object; false: only standalone attributes. */
  readonly inObject?: boolean;
  readonly objectName?: string | readonly string[];
  readonly tags?: {
    readonly any?: readonly TagPattern[];
    readonly all?: readonly TagPattern[];
    readonly none?: readonly TagPattern[];
  };
}

/**
 * One registered route as the router takes it: who registered it, what it queries, and the handler
 * it leads to. The router never calls `handler`; it hands matching specs back to its caller.
 */
export interface RouteSpec<H = unknown> {
  readonly subscriber: string;
  /** Index of the `on` call inside its subscriber, for logs. */
  readonly index: number;
  readonly queries: readonly FilterQuery[];
  readonly where: Where;
  readonly handler: H;
  /** What this route's messages are ordered over (ordering-key.ts); "attribute" when absent. */
  readonly order?: OrderScope;
}

/** A compiled route: the queries and where of one `sub.on(...)` call. */
export interface Route {
  readonly subscriber: string;
  /** Index of the `on` call inside its subscriber, for logs. */
  readonly index: number;
  readonly queries: readonly FilterQuery[];
  readonly where: Where;
  /** Kinds this route can match: drives socket subscriptions and pre-parse topic rejection. */
  readonly kinds: ReadonlySet<MessageKind>;
  /** Returns null when the message matches, otherwise why it does not (for `--explain` and debug logs). */
  readonly test: (message: MispMessage) => string | null;
}
