// Builds the context a handler receives: its logger, its signal, and tools already bound to both,
// so a subscriber stays a filter and a short handler. The actions are those the rules use.

import { setDistribution } from "../actions/distribution.js";
import { enrich } from "../actions/enrich.js";
import { addTags, removeTags } from "../actions/tags.js";
import type { ActionDeps, ActionRun } from "../actions/types.js";
import { compileValue } from "../actions/template.js";
import { compileWebhook, type CompiledWebhook } from "../actions/webhook.js";
import type { MessageKind, MispMessage } from "../decode/types.js";
import { EnrichdError } from "../errors.js";
import type { Logger } from "../log.js";
import type { MispClient } from "../misp/types.js";
import type { WriteCause } from "../misp/write-cause.js";
import type { ModulesClient } from "../modules/types.js";
import type { ActionTools, HandlerContext } from "./types.js";

export interface ContextDeps extends ActionDeps {
  readonly dryRun: boolean;
}

export interface ContextRun {
  /** The subscriber or rule running, and how deep in a chain of the daemon's own writes its message is. */
  readonly cause: WriteCause;
  readonly message: MispMessage;
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** Set when the handler calls `ctx.skip(reason)`. */
  skipped?: string;
}

/** What templates (webhooks) see: the decoded message, flattened for `{{ attribute.value }}`. */
export function messageView(message: MispMessage): Record<string, unknown> {
  const view: Record<string, unknown> = { kind: message.kind, action: message.action, topic: message.topic, raw: message.raw };
  for (const key of ["attribute", "event", "object", "tag", "sighting", "reference"] as const) {
    if (key in message) view[key] = (message as unknown as Record<string, unknown>)[key];
  }
  return view;
}

/** `ctx.webhook.post` compiles its arguments once per distinct set of values. */
const postHooks = new Map<string, CompiledWebhook>();

function postHook(url: string, body: unknown, headers: Readonly<Record<string, string>> | undefined): CompiledWebhook {
  const key = JSON.stringify([url, body, headers ?? {}]);
  let hook = postHooks.get(key);
  if (!hook) {
    // The body is a JSON value whose string leaves are templates, a top-level string included.
    const value = compileValue(body);
    hook = { ...compileWebhook({ url, ...(headers ? { headers } : {}) }), body: { value, form: false } };
    if (postHooks.size > 256) postHooks.clear();
    postHooks.set(key, hook);
  }
  return hook;
}

/** The client whose writes of someone else's data name `cause` (subscriber code passes no cause of its own). */
export function withCause(client: MispClient, cause: WriteCause): MispClient {
  return {
    ...client,
    attachTags: (targetUuid, tags, local, signal) => client.attachTags(targetUuid, tags, local, signal, cause),
    removeTag: (targetUuid, tag, signal) => client.removeTag(targetUuid, tag, signal, cause),
    editAttribute: (idOrUuid, fields, signal) => client.editAttribute(idOrUuid, fields, signal, cause),
  };
}

export function createActionTools(deps: ActionDeps, run: ActionRun): ActionTools {
  return {
    setDistribution: (attribute, to) => setDistribution(deps, run, attribute, to),
    addTags: (target, tags, options = {}) => addTags(deps, run, target, tags, options),
    removeTags: (target, tags) => removeTags(deps, run, target, tags),
    enrich: (target, setting) => enrich(deps, run, target, setting),
    async webhook(hook, scope) {
      const sent = await deps.webhook.send(hook, scope, { signal: run.signal, log: run.log });
      return "dryRun" in sent ? { done: "webhook previewed (dry run)" } : { done: `webhook answered ${sent.status}` };
    },
  };
}

export function createContext<K extends MessageKind>(deps: ContextDeps, run: ContextRun): HandlerContext<K> {
  const { message, signal, cause } = run;
  // The logger is read on use: the runner makes its child logger only when something logs.
  const actions = createActionTools(deps, {
    cause,
    signal,
    get log() {
      return run.log;
    },
  });
  let client: MispClient | undefined;
  const base = {
    subscriber: cause.by,
    message,
    // Read from the run on use: the runner makes its child logger only when something logs.
    get log() {
      return run.log;
    },
    signal,
    dryRun: deps.dryRun,
    modules: {
      query: (module: string, attribute: Parameters<ModulesClient["query"]>[1], options = {}) =>
        deps.modules.query(module, attribute, { ...options, signal, ...(message.kind === "attribute" && message.event ? { eventId: message.event.id } : {}) }),
    },
    misp: {
      // Made on first use (few handlers use it): its writes name this run as their cause.
      get client() {
        return (client ??= withCause(deps.misp, cause));
      },
      writeEnrichment: (source: Parameters<ModulesClient["query"]>[1], eventUuid: string, result: Parameters<ContextDeps["writer"]["writeEnrichment"]>[0]["result"], options: { distribution?: number } = {}) =>
        deps.writer.writeEnrichment(
          {
            subscriber: cause.by,
            depth: cause.depth,
            module: result.module,
            eventUuid,
            source: { uuid: source.uuid, type: source.type, value: source.value },
            result,
            distribution: options.distribution ?? deps.distribution,
          },
          signal,
        ),
      attachTags: async (targetUuid: string, tags: readonly string[], options: { local?: boolean } = {}): Promise<void> => {
        await deps.misp.attachTags(targetUuid, tags, options.local ?? deps.tagLocal(), signal, cause);
      },
      editAttribute: async (idOrUuid: string | number, fields: Parameters<MispClient["editAttribute"]>[1]): Promise<void> => {
        await deps.misp.editAttribute(idOrUuid, fields, signal, cause);
        deps.reads.forget(typeof idOrUuid === "number" ? { id: idOrUuid } : { uuid: idOrUuid });
      },
      viewAttribute: (idOrUuid: string | number) => deps.reads.attribute(idOrUuid, signal),
      viewEvent: (idOrUuid: string | number) => deps.reads.event(idOrUuid, signal),
    },
    webhook: {
      post: async (url: string, body: unknown, options: { headers?: Readonly<Record<string, string>>; data?: unknown } = {}): Promise<void> => {
        await deps.webhook.send(postHook(url, body, options.headers), (options.data ?? messageView(message)) as object, { signal, log: run.log });
      },
    },
    actions,
    skip(reason: string) {
      run.skipped = reason;
    },
  };
  if (message.kind === "attribute") {
    const event = message.event;
    // Added in place, not spread: a spread would read the lazy `log` getter and make the logger.
    Object.defineProperties(base, {
      attribute: { value: message.attribute, enumerable: true },
      event: {
        enumerable: true,
        get() {
          if (!event) {
            throw new EnrichdError("ENRICHD_MESSAGE_INVALID", `attribute ${message.attribute.uuid} message carries no Event (hard delete)`);
          }
          return event;
        },
      },
    });
  }
  return base as unknown as HandlerContext<K>;
}
