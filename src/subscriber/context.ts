// Builds the context a handler receives: its logger, its signal, and tools already bound to both,
// so a subscriber stays a filter and a short handler.

import type { WebhookSender } from "../actions/webhook.js";
import type { MessageKind, MispMessage } from "../decode/types.js";
import { EnrichdError } from "../errors.js";
import type { Logger } from "../log.js";
import type { MispClient, MispWriter } from "../misp/types.js";
import type { ModulesClient } from "../modules/types.js";
import type { HandlerContext } from "./types.js";

export interface ContextDeps {
  readonly modules: ModulesClient;
  readonly writer: MispWriter;
  /** Already wrapped by the echo guard and tag-locality policy. */
  readonly misp: MispClient;
  readonly webhook: WebhookSender;
  /** Whether tags on source attributes are attached locally (host-org key) or globally. */
  readonly tagLocal: () => boolean;
  readonly dryRun: boolean;
  readonly distribution: number;
}

export interface ContextRun {
  readonly subscriber: string;
  readonly message: MispMessage;
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** Set when the handler calls `ctx.skip(reason)`. */
  skipped?: string;
}

/** What templates (webhooks) see: the decoded message, flattened for `{{attribute.value}}`. */
export function messageView(message: MispMessage): Record<string, unknown> {
  const view: Record<string, unknown> = { kind: message.kind, action: message.action, topic: message.topic, raw: message.raw };
  for (const key of ["attribute", "event", "object", "tag", "sighting", "reference"] as const) {
    if (key in message) view[key] = (message as unknown as Record<string, unknown>)[key];
  }
  return view;
}

export function createContext<K extends MessageKind>(deps: ContextDeps, run: ContextRun): HandlerContext<K> {
  const { message, signal } = run;
  const base = {
    subscriber: run.subscriber,
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
      client: deps.misp,
      writeEnrichment: (source: Parameters<ModulesClient["query"]>[1], eventUuid: string, result: Parameters<MispWriter["writeEnrichment"]>[0]["result"], options: { distribution?: number } = {}) =>
        deps.writer.writeEnrichment(
          {
            subscriber: run.subscriber,
            module: result.module,
            eventUuid,
            source: { uuid: source.uuid, type: source.type, value: source.value },
            result,
            distribution: options.distribution ?? deps.distribution,
          },
          signal,
        ),
      attachTags: (targetUuid: string, tags: readonly string[], options: { local?: boolean } = {}) =>
        deps.misp.attachTags(targetUuid, tags, options.local ?? deps.tagLocal(), signal),
      editAttribute: (idOrUuid: string | number, fields: Parameters<MispClient["editAttribute"]>[1]) =>
        deps.misp.editAttribute(idOrUuid, fields, signal),
      viewAttribute: (idOrUuid: string | number) => deps.misp.viewAttribute(idOrUuid, signal),
    },
    webhook: {
      post: (url: string, body: unknown, options: { headers?: Readonly<Record<string, string>>; data?: unknown } = {}) =>
        deps.webhook.post(url, body, { headers: options.headers, data: options.data ?? messageView(message), signal }),
    },
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
