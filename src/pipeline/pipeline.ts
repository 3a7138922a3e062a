// The pipeline: bus → decode → echo guard → route → subscribers → modules + MISP. This file only
// wires the parts: the frame sink (frame-sink.ts) feeds the keyed queue, whose tasks run handlers
// (subscriber/runner.ts); failed work goes to the spool (re-driven by spool-redrive.ts) or the
// dead-letter file; lifecycle.ts runs a bus and stops it cleanly.

import { setMaxListeners } from "node:events";
import { join } from "node:path";
import type { Bus, FrameSink } from "../bus/types.js";
import type { Config } from "../config/schema.js";
import type { TopicTable } from "../decode/topic.js";
import type { MessageKind, MispMessage } from "../decode/types.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics/metrics.js";
import type { EchoGuard } from "../misp/echo-guard.js";
import { createKeyedQueue } from "../route/keyed-queue.js";
import type { Routing } from "../route/routing.js";
import { createDeadLetterBox } from "../state/dead-letter.js";
import type { PersistentSet } from "../state/persistent-set.js";
import { createSpool, type Spool } from "../state/spool.js";
import type { ContextDeps } from "../subscriber/context.js";
import { createHandlerRunner } from "../subscriber/runner.js";
import type { Handler } from "../subscriber/types.js";
import { createFrameSink } from "./frame-sink.js";
import { createLifecycle } from "./lifecycle.js";
import { createSpoolRedrive } from "./spool-redrive.js";

export interface PipelineOptions {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly routing: Routing<Handler<MessageKind>>;
  readonly echoGuard: EchoGuard;
  /** What handlers reach through their context: modules, the guarded MISP client and writer, webhooks. */
  readonly tools: ContextDeps;
  /** Attribute adds already handled, per subscriber (see HandlerRunnerOptions.handled). */
  readonly handled?: PersistentSet;
  /** Holds `spool/` and `dead-letter.jsonl`. */
  readonly stateDir: string;
  readonly settings: Config["pipeline"];
  /** Sees every decoded message before the echo guard (the backfill watermark). Must be cheap. */
  readonly observe?: (message: MispMessage) => void;
}

export interface Pipeline {
  readonly topics: TopicTable;
  /** Kinds some subscriber queries: what the bus subscribes to. */
  readonly wantedKinds: ReadonlySet<MessageKind>;
  /** The sink every bus (and the backfill) feeds. */
  readonly accept: FrameSink;
  readonly spool: Spool;
  /** Runs the bus until `stop()`; resolves once intake stopped. */
  run(bus: Bus): Promise<void>;
  /** Re-runs spooled work once; returns how many entries were cleared. */
  redriveSpool(): Promise<number>;
  /** Resolves when no accepted message is still in flight. */
  idle(): Promise<void>;
  /** Stops intake, drains or spools in-flight work. Idempotent. */
  stop(): Promise<void>;
}

export function createPipeline(options: PipelineOptions): Pipeline {
  const { logger, metrics, routing, settings } = options;
  const log = logger.child({ component: "pipeline" });
  const queue = createKeyedQueue({
    concurrency: settings.concurrency,
    maxPending: settings.maxPending,
    onSize: (size) => metrics.set("misp_enrichd_in_flight", size),
  });
  const spool = createSpool({ dir: join(options.stateDir, "spool") });
  const shutdown = new AbortController();
  // Every retrying handler sleeps on the shutdown signal (running ones are aborted by one listener): allow as many.
  setMaxListeners(settings.concurrency * 3 + 16, shutdown.signal);
  const runner = createHandlerRunner({
    deps: options.tools,
    logger,
    metrics,
    spool,
    deadLetters: createDeadLetterBox({ file: join(options.stateDir, "dead-letter.jsonl") }),
    retryAttempts: settings.retryAttempts,
    retryInitialDelayMs: settings.retryInitialDelayMs,
    retryMaxDelayMs: settings.retryMaxDelayMs,
    handlerTimeoutMs: settings.handlerTimeoutMs,
    shutdown: shutdown.signal,
    ...(options.handled ? { handled: options.handled } : {}),
  });
  const accept = createFrameSink({
    routing,
    echoGuard: options.echoGuard,
    queue,
    run: (handler, message, frame) => runner.run(handler, message, frame),
    metrics,
    log,
    ...(options.observe ? { observe: options.observe } : {}),
  });
  const redriveSpool = createSpoolRedrive({ spool, routing, runner, metrics, log, signal: shutdown.signal });
  const wantedKinds = routing.router.kinds;
  const lifecycle = createLifecycle({
    sink: accept,
    kinds: wantedKinds,
    queue,
    shutdown,
    redriveSpool,
    spoolRetryMs: settings.spoolRetryMs,
    drainTimeoutMs: settings.drainTimeoutMs,
    log,
  });
  return {
    topics: routing.topics,
    wantedKinds,
    accept,
    spool,
    run: lifecycle.run,
    redriveSpool,
    idle: () => queue.idle(),
    stop: lifecycle.stop,
  };
}
