// Wires bus → decode → echo guard → route → subscribers → modules + MISP. `accept` is the
// FrameSink every bus feeds; `start` runs a bus until `stop`, which drains or spools in-flight work.

import { setMaxListeners } from "node:events";
import { join } from "node:path";
import type { WebhookSender } from "./actions/webhook.js";
import type { Bus, FrameSink } from "./bus/types.js";
import { createDecoder } from "./decode/decoder.js";
import { createTopicTable, type TopicTable } from "./decode/topic.js";
import type { BusFrame, MessageKind, MispMessage } from "./decode/types.js";
import { errorMessage } from "./errors.js";
import type { Logger } from "./log.js";
import type { Metrics } from "./metrics/metrics.js";
import type { MispClient, MispWriter } from "./misp/types.js";
import type { ModulesClient } from "./modules/types.js";
import { createKeyedQueue } from "./route/keyed-queue.js";
import { createRouter, type Router } from "./route/router.js";
import { createDeadLetterBox } from "./state/dead-letter.js";
import type { EchoGuard } from "./misp/echo-guard.js";
import type { PersistentSet } from "./state/persistent-set.js";
import { createSpool, type Spool } from "./state/spool.js";
import type { ContextDeps } from "./subscriber/context.js";
import type { LoadedSubscriber } from "./subscriber/load.js";
import { createHandlerRunner, type HandlerRunner } from "./subscriber/runner.js";

export interface DaemonOptions {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly subscribers: readonly LoadedSubscriber[];
  readonly modules: ModulesClient;
  /** Already guarded (echo guard + tag locality). */
  readonly misp: MispClient;
  readonly writer: MispWriter;
  readonly webhook: WebhookSender;
  readonly echoGuard: EchoGuard;
  /** Attribute adds already handled, per subscriber (see HandlerRunnerOptions.handled). */
  readonly handled?: PersistentSet;
  readonly tagLocal: () => boolean;
  readonly stateDir: string;
  readonly dryRun: boolean;
  readonly distribution: number;
  readonly kafkaTopics?: Partial<Record<MessageKind, string>>;
  readonly pipeline: {
    readonly concurrency: number;
    readonly maxPending: number;
    readonly handlerTimeoutMs: number;
    readonly retryAttempts: number;
    readonly retryInitialDelayMs: number;
    readonly retryMaxDelayMs: number;
    readonly spoolRetryMs: number;
    readonly drainTimeoutMs: number;
  };
  readonly maxFrameBytes: number;
  /** Sees every decoded message before routing (the backfill watermark). Must be cheap. */
  readonly observe?: (message: MispMessage) => void;
}

export interface Daemon {
  readonly router: Router;
  readonly topics: TopicTable;
  readonly wantedKinds: ReadonlySet<MessageKind>;
  readonly accept: FrameSink;
  readonly spool: Spool;
  /** Runs the bus until `stop()`; resolves once intake stopped and work drained or spooled. */
  run(bus: Bus): Promise<void>;
  /** Re-runs spooled work once; returns how many entries were cleared. */
  redriveSpool(): Promise<number>;
  /** Resolves when no accepted message is still in flight. */
  idle(): Promise<void>;
  /** Idempotent. */
  stop(): Promise<void>;
}

const RESOLVED: { readonly done: Promise<void> } = { done: Promise.resolve() };
const UNWANTED = Object.freeze({ reason: "unwanted-topic" });
const TOO_LARGE = Object.freeze({ reason: "too-large" });

/** Per-subscriber, per-event ordering: one event's messages run in order, events run in parallel. */
function orderingKey(message: MispMessage): string {
  switch (message.kind) {
    case "attribute":
      return message.event?.uuid ?? `event-id:${message.attribute.eventId}`;
    case "object":
      return `event-id:${message.object.eventId}`;
    case "object-reference":
      return `event-id:${message.reference.eventId}`;
    case "tag":
      return message.tag.eventId !== undefined ? `event-id:${message.tag.eventId}` : `tag:${message.tag.id}`;
    case "event":
    case "publish":
      return message.event?.uuid ?? `event-ref:${message.kind === "event" ? message.eventRef ?? "" : ""}`;
    case "sighting":
      return message.sighting.eventUuid ?? `event-id:${message.sighting.eventId}`;
    default:
      return message.kind;
  }
}

export function createDaemon(options: DaemonOptions): Daemon {
  const { logger, metrics } = options;
  const log = logger.child({ component: "pipeline" });
  const router = createRouter(options.subscribers.flatMap((s) => s.handlers));
  const topics = createTopicTable({ kafkaTopics: options.kafkaTopics ?? {} });
  const wantedKinds = new Set<MessageKind>(router.kinds);
  const decoder = createDecoder({ table: topics, wanted: wantedKinds, maxFrameBytes: options.maxFrameBytes });
  const queue = createKeyedQueue({ concurrency: options.pipeline.concurrency, maxPending: options.pipeline.maxPending });
  const spool = createSpool({ dir: join(options.stateDir, "spool") });
  const deadLetters = createDeadLetterBox({ file: join(options.stateDir, "dead-letter.jsonl") });
  const intake = new AbortController();
  const shutdown = new AbortController();
  // Every running handler listens for shutdown (its signal and its retry sleep): allow as many.
  setMaxListeners(options.pipeline.concurrency * 3 + 16, shutdown.signal);
  const deps: ContextDeps = {
    modules: options.modules,
    writer: options.writer,
    misp: options.misp,
    webhook: options.webhook,
    tagLocal: options.tagLocal,
    dryRun: options.dryRun,
    distribution: options.distribution,
  };
  const runner: HandlerRunner = createHandlerRunner({
    deps,
    logger,
    metrics,
    spool,
    deadLetters,
    retryAttempts: options.pipeline.retryAttempts,
    retryInitialDelayMs: options.pipeline.retryInitialDelayMs,
    retryMaxDelayMs: options.pipeline.retryMaxDelayMs,
    handlerTimeoutMs: options.pipeline.handlerTimeoutMs,
    shutdown: shutdown.signal,
    ...(options.handled ? { handled: options.handled } : {}),
  });
  let inFlight = 0;
  let idleWaiters: (() => void)[] = [];
  let stopping: Promise<void> | undefined;
  let currentBus: Bus | undefined;

  function settle(): void {
    inFlight--;
    metrics.set("misp_enrichd_in_flight", inFlight);
    if (inFlight === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  // One labels object per (transport, kind), so the metrics keep their keys built (hot path).
  const frameLabels = new Map<string, Readonly<Record<string, string>>>();
  const labelsOf = (transport: string, kind: string): Readonly<Record<string, string>> => {
    const k = `${transport}/${kind}`;
    let labels = frameLabels.get(k);
    if (!labels) frameLabels.set(k, (labels = Object.freeze({ transport, kind })));
    return labels;
  };

  const accept: FrameSink = async (frame: BusFrame) => {
    // Labelled by kind, not topic, so that a hostile publisher cannot grow the label set.
    metrics.inc("misp_enrichd_frames_total", labelsOf(frame.transport, topics.kindOf(frame.topic) ?? "unknown"));
    const outcome = decoder.decodeFrame(frame);
    if (outcome.status === "dropped") {
      metrics.inc("misp_enrichd_frames_dropped_total", outcome.reason === "too-large" ? TOO_LARGE : UNWANTED);
      if (outcome.reason === "too-large") {
        log.warn({ topic: outcome.topic, bytes: frame.payload.length, position: frame.position }, "frame dropped: larger than bus.maxFrameBytes");
      }
      return RESOLVED;
    }
    if (outcome.status === "error") {
      metrics.inc("misp_enrichd_decode_errors_total", { code: outcome.error.code });
      log.warn(
        { code: outcome.error.code, topic: outcome.topic, position: frame.position, err: outcome.error.message, ...outcome.error.details },
        "frame rejected",
      );
      return RESOLVED;
    }
    const message = outcome.message;
    metrics.inc("misp_enrichd_messages_total", { kind: message.kind });
    if (message.kind === "heartbeat") {
      log.debug({ uptimeSeconds: message.uptimeSeconds }, "misp heartbeat");
      return RESOLVED;
    }
    options.observe?.(message);
    const echo = options.echoGuard.check(message);
    if (echo !== null) {
      metrics.inc("misp_enrichd_echoes_total", { kind: message.kind });
      log.debug({ topic: message.topic, action: message.action, reason: echo }, "own write echoed; ignored");
      return RESOLVED;
    }
    const handlers = router.match(message);
    if (handlers.length === 0) {
      if (log.isLevelEnabled("debug")) {
        log.debug({ topic: message.topic, action: message.action, why: router.explain(message) }, "no subscriber wants this message");
      }
      return RESOLVED;
    }
    const key = orderingKey(message);
    inFlight++;
    metrics.set("misp_enrichd_in_flight", inFlight);
    const dones: Promise<unknown>[] = [];
    try {
      for (const handler of handlers) {
        const accepted = await queue.push(`${handler.subscriber}|${key}`, () => runner.run(handler, message, frame));
        dones.push(accepted.done);
      }
    } catch (error) {
      // The queue closed under us (shutdown): the bus will redeliver (Kafka) or the frame is lost with ZeroMQ anyway.
      log.warn({ err: errorMessage(error), topic: message.topic }, "message not accepted: pipeline closing");
    }
    const done = Promise.allSettled(dones).then(() => settle());
    return { done };
  };

  async function redriveSpool(): Promise<number> {
    let cleared = 0;
    const entries = await spool.list();
    metrics.set("misp_enrichd_spool_entries", entries.length);
    for (const entry of entries) {
      if (shutdown.signal.aborted) break;
      const frame: BusFrame = {
        topic: entry.frame.topic,
        transport: entry.frame.transport,
        payload: Buffer.from(entry.frame.payload, "base64"),
        receivedAt: Date.now(),
        ...(entry.frame.position ? { position: entry.frame.position } : {}),
      };
      const outcome = decoder.decodeFrame(frame);
      const handler = options.subscribers.find((s) => s.name === entry.subscriber)?.handlers[entry.routeIndex];
      if (outcome.status !== "message" || !handler) {
        log.warn({ spoolId: entry.id, subscriber: entry.subscriber }, "spooled work no longer matches a subscriber; kept in the spool");
        continue;
      }
      const result = await runner.run(handler, outcome.message, frame, { respool: false });
      if (result !== "retry-later") {
        await spool.remove(entry.id);
        cleared++;
      }
    }
    if (cleared > 0) log.info({ cleared, remaining: entries.length - cleared }, "spool re-driven");
    metrics.set("misp_enrichd_spool_entries", entries.length - cleared);
    return cleared;
  }

  function idle(): Promise<void> {
    if (inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => idleWaiters.push(resolve));
  }

  async function run(bus: Bus): Promise<void> {
    currentBus = bus;
    const timer = setInterval(() => {
      redriveSpool().catch((error) => log.error({ err: errorMessage(error) }, "spool re-drive failed"));
    }, options.pipeline.spoolRetryMs);
    timer.unref();
    try {
      await bus.run(wantedKinds, accept, intake.signal);
    } finally {
      clearInterval(timer);
    }
  }

  return {
    router,
    topics,
    wantedKinds,
    accept,
    spool,
    run,
    redriveSpool,
    idle,
    stop() {
      stopping ??= (async () => {
        intake.abort();
        await currentBus?.close().catch((error) => log.warn({ err: errorMessage(error) }, "bus close failed"));
        const drained = await Promise.race([
          idle().then(() => true),
          new Promise<boolean>((resolve) => setTimeout(resolve, options.pipeline.drainTimeoutMs, false).unref()),
        ]);
        if (!drained) {
          log.warn({ inFlight }, "drain timeout: aborting handlers, their work goes to the spool");
        }
        shutdown.abort();
        await idle();
        queue.close();
      })();
      return stopping;
    },
  };
}
