// The pipeline: bus → decode → echo guard → route → subscribers → modules + MISP. This file only
// wires the parts: the frame sink (frame-sink.ts) feeds the keyed queue, whose tasks run handlers
// (subscriber/runner.ts); failed work goes to the spool (re-driven by spool-redrive.ts, in turns
// with the queue: redrive-turns.ts) or the dead-letter folder; lifecycle.ts runs a bus and stops it.

import { setMaxListeners } from "node:events";
import { join } from "node:path";
import type { Bus, FrameSink } from "../bus/types.js";
import type { CircuitBreaker } from "../circuit-breaker.js";
import type { Config } from "../config/schema.js";
import type { TopicTable } from "../decode/topic.js";
import type { BusFrame, MessageKind, MispMessage } from "../decode/types.js";
import { errorMessage } from "../errors.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics/metrics.js";
import type { EchoGuard } from "../misp/echo-guard.js";
import { createKeyedQueue } from "../route/keyed-queue.js";
import type { Routing } from "../route/routing.js";
import { createDeadLetterBox, type DeadLetterBox } from "../state/dead-letter.js";
import type { PersistentSet } from "../state/persistent-set.js";
import { watchRetryRequests } from "../state/retry-requests.js";
import { createSpool, type Spool } from "../state/spool.js";
import type { ContextDeps } from "../subscriber/context.js";
import { createHandlerRunner } from "../subscriber/runner.js";
import type { Handler, RegisteredHandler } from "../subscriber/types.js";
import { queueKey } from "../route/ordering-key.js";
import { createFrameSink } from "./frame-sink.js";
import { createLifecycle } from "./lifecycle.js";
import { createRedriveTurns } from "./redrive-turns.js";
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
  /** Holds `spool/` and `dead-letters/`. */
  readonly stateDir: string;
  readonly settings: Config["pipeline"];
  /** Bounds of `spool/` and `dead-letters/` (unbounded when absent). */
  readonly bounds?: Pick<Config["state"], "spool" | "deadLetters">;
  /** The peers' circuit breakers: the re-drive waits for them, and runs when one lets calls through again. */
  readonly breakers?: readonly CircuitBreaker[];
  /** Sees every decoded message before the echo guard (the backfill watermark). Must be cheap. */
  readonly observe?: (message: MispMessage) => void;
  /**
   * Called once the pipeline is idle again after it was full (`maxPending` unfinished, intake held
   * back): meanwhile ZeroMQ's high-water marks may have dropped frames, and a gap backfill finds them.
   */
  readonly onIdleAfterFull?: () => void;
}

export interface Pipeline {
  readonly topics: TopicTable;
  /** Kinds some subscriber queries: what the bus subscribes to. */
  readonly wantedKinds: ReadonlySet<MessageKind>;
  /** The sink every bus (and the backfill) feeds. */
  readonly accept: FrameSink;
  readonly spool: Spool;
  readonly deadLetters: DeadLetterBox;
  /** Runs the bus until `stop()`; resolves once intake stopped. */
  run(bus: Bus): Promise<void>;
  /** The bus `run` was given, and when; undefined before. */
  bus(): { readonly bus: Bus; readonly startedAt: number } | undefined;
  /** Re-runs spooled work once; returns how many entries were cleared. */
  redriveSpool(): Promise<number>;
  /** Starts a re-drive in the background; a failure is logged. */
  redriveSoon(): void;
  /** Runs one handler on one message through the queue (a scheduled rule's sweep); resolves when done. */
  submit(handler: RegisteredHandler, message: MispMessage, frame: BusFrame): Promise<unknown>;
  /** Resolves when no accepted message is still in flight. */
  idle(): Promise<void>;
  /** Stops intake, drains or spools in-flight work. Idempotent. */
  stop(): Promise<void>;
}

export function createPipeline(options: PipelineOptions): Pipeline {
  const { logger, metrics, routing, settings } = options;
  const log = logger.child({ component: "pipeline" });
  let wasFull = false;
  const queue = createKeyedQueue({
    concurrency: settings.concurrency,
    maxPending: settings.maxPending,
    onSize: (size) => {
      metrics.set("misp_enrichd_in_flight", size);
      if (size >= settings.maxPending) wasFull = true;
      else if (size === 0 && wasFull) {
        wasFull = false;
        log.info({ maxPending: settings.maxPending }, "pipeline idle again after it was full; the bus may have dropped frames meanwhile");
        options.onIdleAfterFull?.();
      }
    },
  });
  // Work a full spool held is parked once there is room again: re-driven at once, not a period later.
  const spool = createSpool({ dir: join(options.stateDir, "spool"), ...options.bounds?.spool, logger: log, metrics, onHeldWorkParked: () => redriveSoon() });
  const deadLetters = createDeadLetterBox({ dir: join(options.stateDir, "dead-letters"), ...options.bounds?.deadLetters, logger: log, metrics });
  const intake = new AbortController();
  const shutdown = new AbortController();
  // Every retrying handler sleeps on the shutdown signal (running ones are aborted by one listener): allow as many.
  setMaxListeners(settings.concurrency * 3 + 16, shutdown.signal);
  const runner = createHandlerRunner({
    deps: options.tools,
    logger,
    metrics,
    spool,
    deadLetters,
    retryAttempts: settings.retryAttempts,
    retryInitialDelayMs: settings.retryInitialDelayMs,
    retryMaxDelayMs: settings.retryMaxDelayMs,
    handlerTimeoutMs: settings.handlerTimeoutMs,
    shutdown: shutdown.signal,
    ...(options.handled ? { handled: options.handled } : {}),
  });
  const turns = createRedriveTurns(queue, runner);
  const accept = createFrameSink({
    routing,
    echoGuard: options.echoGuard,
    queue,
    run: (handler, message, frame, depth) => turns.runQueued(handler, message, frame, { depth }),
    maxChainDepth: settings.maxChainDepth,
    metrics,
    log,
    ...(options.observe ? { observe: options.observe } : {}),
  });
  const breakers = options.breakers ?? [];
  const redriveSpool = createSpoolRedrive({ spool, routing, run: turns.runRedriven, log, signal: intake.signal, breakers });
  const redriveSoon = (): void => void redriveSpool().catch((error: unknown) => log.error({ err: errorMessage(error) }, "spool re-drive failed"));
  const wantedKinds = routing.router.kinds;
  const lifecycle = createLifecycle({
    sink: accept,
    kinds: wantedKinds,
    queue,
    intake,
    shutdown,
    redriveSoon,
    // Parked work goes as soon as a breaker lets calls through, and an operator's retry at once.
    watch: () => {
      const stops = breakers.map((b) => b.subscribe((state) => state !== "open" && redriveSoon()));
      stops.push(watchRetryRequests(spool.dir, redriveSoon));
      return () => stops.forEach((stop) => stop());
    },
    spoolRetryMs: settings.spoolRetryMs,
    drainTimeoutMs: settings.drainTimeoutMs,
    log,
  });
  return {
    topics: routing.topics,
    wantedKinds,
    accept,
    spool,
    deadLetters,
    run: lifecycle.run,
    bus: lifecycle.current,
    redriveSpool,
    redriveSoon,
    async submit(handler, message, frame) {
      const { done } = await queue.push(queueKey(handler, message), () => turns.runQueued(handler, message, frame));
      return done;
    },
    idle: () => queue.idle(),
    stop: lifecycle.stop,
  };
}
