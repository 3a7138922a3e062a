// What a subscriber file sees: `defineSubscriber({ options, setup })`, `sub.on(query, where, handler)`
// and the handler context. This is the public API for subscriber authors (re-exported by src/index.ts).

import type { Logger } from "pino";
import type { DistributionSetting } from "../actions/distribution.js";
import type { EnrichSetting } from "../actions/enrich.js";
import type { ActionOutcome, AttributeTarget, TagTarget } from "../actions/types.js";
import type { CompiledWebhook } from "../actions/webhook.js";
import type { Attribute, EventSummary, MessageKind, MessageOfKind } from "../decode/types.js";
import type { AttributeEdit, EventDetails, MispClient, WriteReport } from "../misp/types.js";
import type { ModuleResult, QueryOptions } from "../modules/types.js";
import type { OrderScope } from "../route/ordering-key.js";
import type { FilterQuery, KindOfQuery, RouteSpec, Where } from "../route/types.js";
import type { Effect } from "./effects.js";

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
  /** Resolves an attribute by id or uuid (tag messages carry only ids); reads are cached for a few seconds. */
  viewAttribute(idOrUuid: string | number): Promise<{ attribute: Attribute; eventUuid?: string }>;
  /** An event's metadata and tags by id or uuid, without its attributes; cached like viewAttribute. */
  viewEvent(idOrUuid: string | number): Promise<EventDetails>;
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
   * POSTs a JSON body whose string leaves are Jinja templates (`{{ tag.name }}`; a leaf that is only
   * `{{ x }}` keeps x's type), rendered with `data` (default: the message's view). Retried on
   * 429/5xx and network errors, never on other 4xx. For method, TLS or a string body: `ctx.actions.webhook`.
   */
  post(url: string, body: unknown, options?: { headers?: Readonly<Record<string, string>>; data?: unknown }): Promise<void>;
}

/** The actions the rules use, one implementation each; an outcome says what was done or why not. */
export interface ActionTools {
  /** Sets an attribute's distribution (0-5) or sharing group; nothing is written when it already has it. */
  setDistribution(attribute: Attribute, to: DistributionSetting): Promise<ActionOutcome>;
  /** Attaches tags (local: as asked, or the daemon's locality); tags already on a known target are skipped. */
  addTags(target: TagTarget, tags: readonly string[], options?: { local?: boolean }): Promise<ActionOutcome>;
  removeTags(target: TagTarget, tags: readonly string[]): Promise<ActionOutcome>;
  /** Queries the module and writes its answer back (deterministic uuids, references, tags on the source). */
  enrich(target: AttributeTarget, setting: EnrichSetting): Promise<ActionOutcome>;
  /** Sends a webhook compiled at load (`compileWebhook`) with this scope for its templates. */
  webhook(hook: CompiledWebhook, scope: object): Promise<ActionOutcome>;
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
  readonly actions: ActionTools;
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
  /**
   * What its writes make MISP publish, given its options, for `check`'s loop analysis: e.g.
   * `[{ kind: "tag", action: "attached-to-attribute", tags: ["*"] }]` for tags it cannot name in
   * advance, `[{ kind: "attribute", action: "edit" }]` for an edit. Undeclared: `check` warns.
   */
  readonly effects?: (options: O) => readonly Effect[];
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
