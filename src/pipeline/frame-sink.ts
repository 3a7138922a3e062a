// The FrameSink every bus feeds: decode → echo guard → route → the keyed queue, one task per
// matching handler, ordered per subscriber and attribute (or event: route/ordering-key.ts). The echo
// of one of the daemon's own changes goes to every handler but the one that caused it, one level
// deeper in the chain; past `maxChainDepth` it goes nowhere. Counts frames, drops, decode errors,
// messages, echoes and chains cut; never throws, so a bad frame never stops a bus.

import type { FrameSink } from "../bus/types.js";
import type { BusFrame, MessageKind, MispMessage, Transport } from "../decode/types.js";
import { errorMessage } from "../errors.js";
import type { Logger } from "../log.js";
import type { Labels, Metrics } from "../metrics/metrics.js";
import { createLabelCache } from "../metrics/labels.js";
import type { EchoGuard } from "../misp/echo-guard.js";
import type { KeyedQueue } from "../route/keyed-queue.js";
import { queueKey } from "../route/ordering-key.js";
import type { Routing } from "../route/routing.js";
import type { Handler, RegisteredHandler } from "../subscriber/types.js";

export interface FrameSinkOptions {
  readonly routing: Routing<Handler<MessageKind>>;
  readonly echoGuard: Pick<EchoGuard, "check">;
  readonly queue: KeyedQueue;
  /** Runs one handler for one message (the subscriber runner); never rejects. */
  readonly run: (handler: RegisteredHandler, message: MispMessage, frame: BusFrame, depth: number) => Promise<unknown>;
  /** Echoes of the daemon's own writes deeper than this reach no handler. */
  readonly maxChainDepth: number;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** Sees every decoded message before the echo guard (the backfill watermark). Must be cheap. */
  readonly observe?: (message: MispMessage) => void;
}

const RESOLVED: { readonly done: Promise<void> } = { done: Promise.resolve() };
/** What the sink answers for a frame that goes nowhere: one promise for all of them. */
const NOTHING_TO_DO: Promise<{ readonly done: Promise<void> }> = Promise.resolve(RESOLVED);
const DROP_LABELS = {
  "unwanted-topic": Object.freeze({ reason: "unwanted-topic" }),
  "too-large": Object.freeze({ reason: "too-large" }),
  "no-route": Object.freeze({ reason: "no-route" }),
} as const;
const nothing = (): void => undefined;

export function createFrameSink(options: FrameSinkOptions): FrameSink {
  const { routing, echoGuard, queue, run, metrics, log } = options;
  const { decoder, router, topics } = routing;
  const frameLabels = createFrameLabels();
  const labels = createLabelCache();

  // Not an async function: a frame dropped before parsing (every echo of the daemon's own object
  // attributes, five per enrichment) is answered with one shared promise, not a new one per frame.
  return (frame: BusFrame) => {
    // Labelled by kind, not topic, so that a hostile publisher cannot grow the label set.
    metrics.inc("misp_enrichd_frames_total", frameLabels(frame.transport, topics.kindOf(frame.topic) ?? "unknown"));
    const outcome = decoder.decodeFrame(frame);
    if (outcome.status === "dropped") {
      metrics.inc("misp_enrichd_frames_dropped_total", DROP_LABELS[outcome.reason]);
      if (outcome.reason === "too-large") {
        log.warn({ topic: outcome.topic, bytes: frame.payload.length, position: frame.position }, "frame dropped: larger than bus.maxFrameBytes");
      } else if (outcome.reason === "no-route" && log.isLevelEnabled("debug")) {
        log.debug({ topic: outcome.topic, position: frame.position }, "no subscriber wants this message (dropped before parsing)");
      }
      return NOTHING_TO_DO;
    }
    if (outcome.status === "error") {
      metrics.inc("misp_enrichd_decode_errors_total", { code: outcome.error.code });
      log.warn(
        { code: outcome.error.code, topic: outcome.topic, position: frame.position, err: outcome.error.message, ...outcome.error.details },
        "frame rejected",
      );
      return NOTHING_TO_DO;
    }
    return routeMessage(outcome.message, frame);
  };

  async function routeMessage(message: MispMessage, frame: BusFrame): Promise<{ readonly done: Promise<void> }> {
    metrics.inc("misp_enrichd_messages_total", labels({ kind: message.kind }));
    if (message.kind === "heartbeat") {
      log.debug({ uptimeSeconds: message.uptimeSeconds }, "misp heartbeat");
      return RESOLVED;
    }
    options.observe?.(message);
    const echo = echoGuard.check(message);
    if (echo !== null) metrics.inc("misp_enrichd_echoes_total", labels({ kind: message.kind }));
    if (echo !== null && echo.cause === undefined) {
      log.debug({ topic: message.topic, action: message.action, reason: echo.reason }, "own write echoed; ignored");
      return RESOLVED;
    }
    const cause = echo?.cause;
    const matched = router.match(message);
    // A subscriber or rule never acts on the echo of its own write; the others do (chains run).
    const handlers = cause === undefined ? matched : matched.filter((handler) => handler.subscriber !== cause.by);
    const depth = cause === undefined ? 0 : cause.depth + 1;
    if (cause !== undefined && handlers.length > 0) {
      if (depth > options.maxChainDepth) {
        metrics.inc("misp_enrichd_chain_cut_total", labels({ by: cause.by }));
        log.warn(
          { topic: message.topic, action: message.action, cause: cause.by, depth, maxChainDepth: options.maxChainDepth, wanted: handlers.map((h) => h.subscriber) },
          "chain depth limit reached: this echo of the daemon's own write triggers nothing (a loop the static check could not see?)",
        );
        return RESOLVED;
      }
      log.debug({ topic: message.topic, action: message.action, reason: echo?.reason, cause: cause.by, depth }, "own write echoed; routed to the others");
    }
    if (handlers.length === 0) {
      if (log.isLevelEnabled("debug")) {
        log.debug({ topic: message.topic, action: message.action, why: router.explain(message) }, "no subscriber wants this message");
      }
      return RESOLVED;
    }
    // Pushed in one go: the queue never looks idle between two handlers of one message.
    const pushes = handlers.map((handler) => queue.push(queueKey(handler, message), () => run(handler, message, frame, depth)));
    const dones: Promise<unknown>[] = [];
    let refused: unknown;
    for (const pushed of await Promise.allSettled(pushes)) {
      if (pushed.status === "fulfilled") dones.push(pushed.value.done);
      else refused ??= pushed.reason;
    }
    if (refused !== undefined) {
      // The queue closed under us (shutdown): the bus will redeliver (Kafka) or the frame is lost with ZeroMQ anyway.
      log.warn({ err: errorMessage(refused), topic: message.topic }, "message not accepted: pipeline closing");
    }
    return { done: Promise.allSettled(dones).then(nothing) };
  }
}

/**
 * One frozen labels object per (transport, kind). metrics.ts caches the series key of a frozen
 * labels object, so the hot path builds no key, but only if it is handed the same object each time.
 */
function createFrameLabels(): (transport: Transport, kind: string) => Labels {
  const byTransport = new Map<Transport, Map<string, Labels>>();
  return (transport, kind) => {
    let byKind = byTransport.get(transport);
    if (!byKind) byTransport.set(transport, (byKind = new Map()));
    let labels = byKind.get(kind);
    if (!labels) byKind.set(kind, (labels = Object.freeze({ transport, kind })));
    return labels;
  };
}
