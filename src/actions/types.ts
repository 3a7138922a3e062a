// What every action needs and what it answers. One implementation per action (actions/*.ts), used by
// the rules (rules/) and by subscriber code (`ctx.actions`), so both behave the same.

import type { Attribute, Tag } from "../decode/types.js";
import type { Logger } from "../log.js";
import type { ReadCache } from "../misp/read-cache.js";
import type { MispClient, MispWriter } from "../misp/types.js";
import type { ModulesClient } from "../modules/types.js";
import type { WriteCause } from "../misp/write-cause.js";
import type { WebhookSender } from "./webhook.js";

/** The daemon's tools the actions use; built once (daemon.ts). */
export interface ActionDeps {
  /** Guarded by the echo guard, with the tag-locality policy. */
  readonly misp: MispClient;
  /** Guarded, without the tag-locality fallback: a tag asked to be local stays local or fails. */
  readonly mispStrict: MispClient;
  readonly reads: ReadCache;
  readonly modules: ModulesClient;
  readonly writer: MispWriter;
  readonly webhook: WebhookSender;
  /** Whether tags go on as local tags right now (host-organisation key). */
  readonly tagLocal: () => boolean;
  /** Distribution of written objects (`misp.distribution`). */
  readonly distribution: number;
}

/** One handler run: who acts (for logs, the writer's comments and the echo guard) and its signal. */
export interface ActionRun {
  readonly cause: WriteCause;
  readonly signal: AbortSignal;
  readonly log: Logger;
}

/** What an action did, or why it did nothing (logged and counted, not an error). */
export type ActionOutcome = { readonly done: string; readonly details?: Readonly<Record<string, unknown>> } | { readonly skipped: string };

/** Where tags go: an attribute or an event, with its tags when they are known (to skip attached ones). */
export interface TagTarget {
  readonly kind: "attribute" | "event";
  readonly id: number;
  readonly uuid: string;
  readonly tags?: readonly Tag[];
}

/** An attribute to act on and the uuid of its event. */
export interface AttributeTarget {
  readonly attribute: Attribute;
  readonly eventUuid: string;
  readonly eventId?: number;
}
