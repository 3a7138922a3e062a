// What a subscriber file sees: `defineSubscriber({ options, setup })`, `sub.on(query, where, handler)`
// and the handler context. This is the public API for subscriber authors (re-exported by src/index.ts).

import type { Logger } from "pino";
import type { Attribute, EventSummary, MessageKind, MessageOfKind } from "../decode/types.js";
import type { AttributeEdit, MispClient, WriteReport } from "../misp/types.js";
import type { ModuleResult, QueryOptions } from "../modules/types.js";
import type { OrderScope } from "../route/ordering-key.js";
import type { FilterQuery, KindOfQuery, RouteSpec, Where } from "../route/types.js";

export interface EnrichmentTools {
  /** Queries a module with the source attribute; config and timeout come from the daemon's config. */
  query(module: string, attribute: Attribute, options?: Omit<QueryOptions, "signal">): Promise<ModuleResult>;
}

export interface WriteTools {
  /**
   * Writes a module result back: objects with deterministic uuids, their references to the source,
   * the module's tags on the source attribute. Idempotent; in dry-run it only logs the calls.
   */
  writeEnrichment(source: Attribute, eventUuid: string, result: ModuleResult, options?: { distribution?: number }): Promise<WriteReport>;
  /** Attaches tags to an attribute or event (local when the key's org is the host org, else global). */
  attachTags(targetUuid: string, tags: readonly string[], options?: { local?: boolean }): Promise<void>;
  editAttribute(idOrUuid: string | number, fields: AttributeEdit): Promise<void>;
  /** Resolves an attribute by id or uuid (tag messages carry only ids). */
  viewAttribute(idOrUuid: string | number): Promise<{ attribute: Attribute; eventUuid?: string }>;
  /**
   * The daemon's MISP client, for what the helpers above do not cover. It is the one the helpers use:
   * in dry-run its writes are recorded, not sent, and the echo guard learns the echoes they cause
   * (an attribute edited by numeric id excepted: pass its uuid). Its `attachTags` needs `local`
   * spelled out; with `misp.tagLocality` auto, a local tag MISP refuses is attached globally instead.
   */
  readonly client: MispClient;
}

export interface WebhookTools {
  /**
   * POSTs a templated JSON body. `{{path.to.field}}` in strings is replaced from `data`
   * (default: the message's view for templates). Retried on 429/5xx, never on other 4xx.
   */
  post(url: string, body: unknown, options?: { headers?: Readonly<Record<string, string>>; data?: unknown }): Promise<void>;
}

interface ContextBase<K extends MessageKind> {
  readonly subscriber: string;
  readonly message: MessageOfKind<K>;
  readonly log: Logger;
  /** Aborted on shutdown and on the handler timeout; passed to every tool for you. */
  readonly signal: AbortSignal;
  readonly dryRun: boolean;
  readonly modules: EnrichmentTools;
  readonly misp: WriteTools;
  readonly webhook: WebhookTools;
  /** Records that the handler chose to do nothing, with why (logged and counted, not an error). */
  skip(reason: string): void;
}

/** Attribute messages get the attribute and its event at the top level, as the blueprints expect. */
export type HandlerContext<K extends MessageKind> = K extends "attribute"
  ? ContextBase<K> & { readonly attribute: Attribute; readonly event: EventSummary }
  : ContextBase<K>;

export type Handler<K extends MessageKind> = (ctx: HandlerContext<K>) => Promise<void>;

export interface SubscriberBuilder {
  on<Q extends FilterQuery>(query: Q | readonly Q[], where: Where, handler: Handler<KindOfQuery<Q>>): void;
  on<Q extends FilterQuery>(query: Q | readonly Q[], handler: Handler<KindOfQuery<Q>>): void;
}

export type SubscriberOptions = Readonly<Record<string, unknown>>;

export interface SubscriberDefinition<O extends SubscriberOptions = SubscriberOptions> {
  /** Defaults; `subscribers.<name>.options` in the config overrides them key by key. */
  readonly options: O;
  /** Module names this subscriber queries, given its options: checked at start-up against `/modules`. */
  readonly modules?: (options: O) => readonly { readonly module: string; readonly types: readonly string[] }[];
  readonly setup: (sub: SubscriberBuilder, options: O) => void;
  /**
   * What this subscriber's messages are ordered over. "attribute" (the default): the messages about
   * one attribute (add, edits, tag attaches, sightings, deletion) run one at a time in arrival order,
   * different attributes concurrently, even inside one event. "event": every message of one event
   * runs one at a time, in arrival order — for a handler that reads or writes event-wide state.
   */
  readonly order?: OrderScope;
}

/** A registered `sub.on(...)`: its route and its handler, type-erased for the router. */
export type RegisteredHandler = RouteSpec<Handler<MessageKind>>;
