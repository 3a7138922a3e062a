// Runs one handler for one message inside its own error boundary: a timeout, retries with
// backoff for retriable errors only, then the disk spool; permanent failures go to the dead
// letters (failed-work.ts). A peer whose circuit breaker is open is not retried: the work is parked
// in the spool at once. It never throws, so one failing subscriber never stops another or the bus.

import { setTimeout as wait } from "node:timers/promises";
import type { BusFrame, MispMessage } from "../decode/types.js";
import { errorCode, errorMessage, isRetriable } from "../errors.js";
import type { Logger } from "../log.js";
import { createDeadline, type Deadline } from "../deadline.js";
import { createLabelCache } from "../metrics/labels.js";
import type { Metrics } from "../metrics/metrics.js";
import { retryAfterOf, retryDelayMs } from "../retry-delay.js";
import type { DeadLetterBox } from "../state/dead-letter.js";
import type { PersistentSet } from "../state/persistent-set.js";
import type { Spool } from "../state/spool.js";
import type { WriteCause } from "../misp/write-cause.js";
import { createContext, type ContextDeps, type ContextRun } from "./context.js";
import { createFailedWorkKeeper } from "./failed-work.js";
import type { RegisteredHandler } from "./types.js";

/** "lost": neither the spool nor the dead letters could keep failed work (the disk refused both); logged with the payload. */
export type RunOutcome = "done" | "skipped" | "duplicate" | "revoked" | "spooled" | "dead-lettered" | "retry-later" | "lost";

export interface HandlerRunnerOptions {
  readonly deps: ContextDeps;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly spool: Spool;
  readonly deadLetters: DeadLetterBox;
  readonly retryAttempts: number;
  readonly retryInitialDelayMs: number;
  readonly retryMaxDelayMs: number;
  readonly handlerTimeoutMs: number;
  /** Aborted when the daemon stops: handlers end, their work is spooled. */
  readonly shutdown: AbortSignal;
  /**
   * `<subscriber>|<attribute uuid>` of attribute adds whose handler ended for good (done, skipped,
   * or dead-lettered for a reason a retry cannot change): a redelivery (Kafka after a crash or
   * rebalance, a backfill overlap, the next start's backfill) skips the module query, which may cost a
   * rate-limited upstream, instead of relying on MISP's duplicate-uuid refusal alone.
   */
  readonly handled?: PersistentSet;
  /** Waits between attempts; tests pass their own to see the delays without waiting them. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface RunOptions {
  /** false (spool re-drive): answer "retry-later" instead of spooling a second copy. */
  readonly respool?: boolean;
  /** Run even if the handled ledger says this attribute add was handled (an operator re-drives a dead letter). */
  readonly ignoreHandled?: boolean;
  /** How deep in a chain of the daemon's own writes the message is (0: from MISP's users). */
  readonly depth?: number;
}

export interface HandlerRunner {
  run(handler: RegisteredHandler, message: MispMessage, frame: BusFrame, options?: RunOptions): Promise<RunOutcome>;
}

/** The fields that identify what a log line is about. */
export function messageBindings(message: MispMessage): Record<string, unknown> {
  const b: Record<string, unknown> = { topic: message.topic, kind: message.kind, action: message.action };
  if (message.position) b.position = message.position;
  if (message.kind === "attribute") {
    b.attributeUuid = message.attribute.uuid;
    b.attributeType = message.attribute.type;
    b.value = message.attribute.value;
    if (message.event) b.eventUuid = message.event.uuid;
  } else if (message.kind === "tag") {
    b.tag = message.tag.name;
    if (message.tag.attributeId !== undefined) b.attributeId = message.tag.attributeId;
    if (message.tag.eventId !== undefined) b.eventId = message.tag.eventId;
  } else if (message.kind === "object") {
    b.objectUuid = message.object.uuid;
  } else if ((message.kind === "event" || message.kind === "publish") && message.event) {
    b.eventUuid = message.event.uuid;
  } else if (message.kind === "sighting") {
    b.sightingUuid = message.sighting.uuid;
  }
  return b;
}

export function createHandlerRunner(options: HandlerRunnerOptions): HandlerRunner {
  const { metrics } = options;
  const delays = { initialMs: options.retryInitialDelayMs, maxMs: options.retryMaxDelayMs };
  const sleep = options.sleep ?? ((ms: number, signal: AbortSignal) => wait(ms, undefined, { signal }).catch(() => undefined));
  const keeper = createFailedWorkKeeper({ spool: options.spool, deadLetters: options.deadLetters, shutdown: options.shutdown });
  const labels = createLabelCache();
  // Running handlers' deadlines, aborted by one listener on the shutdown signal: a listener each
  // would cost two walks of the signal's listener list per run (EventTarget checks for duplicates).
  const running = new Set<Deadline>();
  options.shutdown.addEventListener(
    "abort",
    () => {
      for (const deadline of running) deadline.abort(options.shutdown.reason);
    },
    { once: true },
  );

  return {
    async run(handler, message, frame, { respool = true, ignoreHandled = false, depth = 0 } = {}) {
      const sub = handler.subscriber;
      // Made on first use: a child logger costs about as much as a log line, and most runs log
      // nothing of their own at info (the writer logs the enrichment).
      let child: Logger | undefined;
      const logOf = (): Logger => (child ??= options.logger.child({ sub, ...messageBindings(message), ...(depth > 0 ? { chainDepth: depth } : {}) }));
      const debug = options.logger.isLevelEnabled("debug");
      const count = (outcome: RunOutcome): RunOutcome => {
        metrics.inc("misp_enrichd_handler_runs_total", labels({ subscriber: sub, outcome }));
        return outcome;
      };
      if (frame.revoked?.aborted) {
        if (debug) logOf().debug("frame revoked by a rebalance before its handler started; its new owner handles it");
        return count("revoked");
      }
      const handledKey = message.kind === "attribute" && message.action === "add" ? `${sub}|${message.attribute.uuid}` : undefined;
      if (handledKey && !ignoreHandled && options.handled?.has(handledKey)) {
        if (debug) logOf().debug("attribute already handled by this subscriber; redelivery ignored");
        return count("duplicate");
      }
      const started = performance.now();
      const finish = (outcome: RunOutcome, remember: boolean): RunOutcome => {
        if (remember && handledKey) options.handled?.add(handledKey);
        const bySubscriber = labels({ subscriber: sub });
        metrics.observe("misp_enrichd_handler_duration_seconds", (performance.now() - started) / 1000, bySubscriber);
        if (outcome === "done") metrics.observe("misp_enrichd_bus_to_written_seconds", Math.max(0, Date.now() - frame.receivedAt) / 1000, bySubscriber);
        return count(outcome);
      };
      // Every write of this handler is blamed on it in the echo guard: its echo reaches the others.
      const cause: WriteCause = { by: sub, depth };
      let lastError: unknown;
      let attempt = 0;
      while (attempt < options.retryAttempts && !options.shutdown.aborted) {
        attempt++;
        // A rebalance hands the frame to another consumer (`revoked`): stop rather than do it twice.
        const deadline = createDeadline(options.handlerTimeoutMs, frame.revoked);
        if (options.shutdown.aborted) deadline.abort(options.shutdown.reason);
        running.add(deadline);
        const run: ContextRun = {
          cause,
          message,
          signal: deadline.signal,
          get log() {
            return logOf();
          },
        };
        try {
          try {
            await handler.handler(createContext(options.deps, run));
          } finally {
            deadline.clear();
            running.delete(deadline);
          }
          if (run.skipped !== undefined) {
            logOf().info({ reason: run.skipped }, "message skipped");
            return finish("skipped", true);
          }
          if (debug) logOf().debug("handler done");
          return finish("done", true);
        } catch (error) {
          if (frame.revoked?.aborted) {
            logOf().info("handler stopped: a rebalance handed its message to another consumer");
            return finish("revoked", false);
          }
          const code = errorCode(error);
          if (code === "ENRICHD_MODULE_NOTHING_FOUND") {
            // An empty lookup is an answer: skipped with the module's words, and remembered.
            logOf().info({ reason: errorMessage(error) }, "message skipped");
            return finish("skipped", true);
          }
          lastError = error;
          // An open breaker will refuse every retry until its cool-down is over: park the work now.
          if (code === "ENRICHD_CIRCUIT_OPEN") break;
          // A timeout of our own making is worth another try; a shutdown is not.
          const retriable = isRetriable(error) || (deadline.timedOut && !options.shutdown.aborted);
          if (!retriable) break;
          if (attempt < options.retryAttempts && !options.shutdown.aborted) {
            // At least what the server asked for (Retry-After), never more than the longest delay.
            const retryAfterMs = retryAfterOf(error);
            const delay = retryDelayMs(attempt, delays, retryAfterMs === undefined ? {} : { retryAfterMs });
            metrics.inc("misp_enrichd_retries_total", labels({ subscriber: sub }));
            logOf().warn({ code, err: errorMessage(error), attempt, retryInMs: delay }, "handler failed, will retry");
            await sleep(delay, options.shutdown);
          }
        }
      }

      const retriable = lastError === undefined || isRetriable(lastError) || options.shutdown.aborted;
      if (retriable && !respool) {
        logOf().warn({ code: errorCode(lastError), err: errorMessage(lastError), attempts: attempt }, "spooled work failed again; it stays in the spool");
        return finish("retry-later", false);
      }
      const kept = await keeper.keep({ subscriber: sub, routeIndex: handler.index, frame, attempts: attempt, error: lastError, retriable, depth }, logOf());
      // A permanent failure is an answer too: the next redelivery or backfill would only repeat it.
      return finish(kept, kept === "dead-lettered" && !retriable);
    },
  };
}
