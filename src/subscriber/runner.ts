// Runs one handler for one message inside its own error boundary: a timeout, retries with
// backoff for retriable errors only, then the disk spool; permanent failures go to the dead-letter
// file. It never throws, so one failing subscriber never stops another or the bus.

import { setTimeout as wait } from "node:timers/promises";
import type { BusFrame, MispMessage } from "../decode/types.js";
import { errorCode, errorMessage, isEnrichdError, isRetriable } from "../errors.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics/metrics.js";
import { createLabelCache } from "../metrics/labels.js";
import { createDeadline, type Deadline } from "../deadline.js";
import { retryAfterOf, retryDelayMs } from "../retry-delay.js";
import type { DeadLetterBox } from "../state/dead-letter.js";
import type { PersistentSet } from "../state/persistent-set.js";
import type { Spool } from "../state/spool.js";
import { createContext, type ContextDeps, type ContextRun } from "./context.js";
import type { RegisteredHandler } from "./types.js";

export type RunOutcome = "done" | "skipped" | "duplicate" | "revoked" | "spooled" | "dead-lettered" | "retry-later";

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

export interface HandlerRunner {
  /** `respool: false` (spool re-drive) answers "retry-later" instead of spooling a second copy. */
  run(handler: RegisteredHandler, message: MispMessage, frame: BusFrame, options?: { respool?: boolean }): Promise<RunOutcome>;
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
  const labels = createLabelCache();

  const delays = { initialMs: options.retryInitialDelayMs, maxMs: options.retryMaxDelayMs };
  // Running handlers' deadlines, aborted by one listener on the shutdown signal: a listener each
  // would cost two walks of the signal's listener list per run (EventTarget checks for duplicates).
  const running = new Set<Deadline>();
  options.shutdown.addEventListener("abort", () => {
    for (const deadline of running) deadline.abort(options.shutdown.reason);
  }, { once: true });
  const sleep = options.sleep ?? ((ms: number, signal: AbortSignal) => wait(ms, undefined, { signal }).catch(() => undefined));

  return {
    async run(handler, message, frame, { respool = true } = {}) {
      const sub = handler.subscriber;
      // Made on first use: a child logger costs about as much as a log line, and most runs log
      // nothing of their own at info (the writer logs the enrichment).
      let child: Logger | undefined;
      const logOf = (): Logger => (child ??= options.logger.child({ sub, ...messageBindings(message) }));
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
      if (handledKey && options.handled?.has(handledKey)) {
        if (debug) logOf().debug("attribute already handled by this subscriber; redelivery ignored");
        return count("duplicate");
      }
      const remember = (outcome: RunOutcome): RunOutcome => {
        if (handledKey) options.handled?.add(handledKey);
        return count(outcome);
      };
      let lastError: unknown;
      let attempt = 0;
      while (attempt < options.retryAttempts && !options.shutdown.aborted) {
        attempt++;
        // A rebalance hands the frame to another consumer (`revoked`): stop rather than do it twice.
        const deadline = createDeadline(options.handlerTimeoutMs, frame.revoked);
        if (options.shutdown.aborted) deadline.abort(options.shutdown.reason);
        running.add(deadline);
        const run: ContextRun = {
          subscriber: sub,
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
            return remember("skipped");
          }
          if (debug) logOf().debug("handler done");
          return remember("done");
        } catch (error) {
          if (frame.revoked?.aborted) {
            logOf().info("handler stopped: a rebalance handed its message to another consumer");
            return count("revoked");
          }
          if (errorCode(error) === "ENRICHD_MODULE_NOTHING_FOUND") {
            // An empty lookup is an answer: skipped with the module's words, and remembered.
            logOf().info({ reason: errorMessage(error) }, "message skipped");
            return remember("skipped");
          }
          lastError = error;
          // A timeout of our own making is worth another try; a shutdown is not.
          const retriable = isRetriable(error) || (deadline.timedOut && !options.shutdown.aborted);
          if (!retriable) break;
          if (attempt < options.retryAttempts && !options.shutdown.aborted) {
            // At least what the server asked for (Retry-After), never more than the longest delay.
            const retryAfterMs = retryAfterOf(error);
            const delay = retryDelayMs(attempt, delays, retryAfterMs === undefined ? {} : { retryAfterMs });
            metrics.inc("misp_enrichd_retries_total", labels({ subscriber: sub }));
            logOf().warn({ code: errorCode(error), err: errorMessage(error), attempt, retryInMs: delay }, "handler failed, will retry");
            await sleep(delay, options.shutdown);
          }
        }
      }

      const code = errorCode(lastError);
      const message_ = errorMessage(lastError);
      const details = isEnrichdError(lastError) ? lastError.details : undefined;
      const retriable = lastError === undefined || isRetriable(lastError) || options.shutdown.aborted;
      if (retriable) {
        if (!respool) {
          logOf().warn({ code, err: message_, attempts: attempt }, "spooled work failed again; it stays in the spool");
          return count("retry-later");
        }
        try {
          const entry = await options.spool.put({
            subscriber: sub,
            routeIndex: handler.index,
            frame: { topic: frame.topic, transport: frame.transport, payload: frame.payload.toString("base64"), ...(frame.position ? { position: frame.position } : {}) },
            attempts: attempt,
            error: { code, message: message_ },
          });
          logOf().warn({ code, err: message_, attempts: attempt, spoolId: entry.id }, "handler failed; work kept in the spool for a later retry");
          return count("spooled");
        } catch (spoolError) {
          logOf().error({ code, err: message_, spoolErr: errorMessage(spoolError) }, "handler failed and the spool could not keep it");
        }
      } else {
        logOf().error({ code, err: message_, ...(details ? { details } : {}) }, "handler failed permanently");
      }
      try {
        await options.deadLetters.put({
          subscriber: sub,
          topic: frame.topic,
          ...(frame.position ? { position: frame.position } : {}),
          code,
          message: message_,
          payload: frame.payload.toString("base64"),
        });
      } catch (error) {
        logOf().error({ err: errorMessage(error), file: options.deadLetters.file }, "dead-letter file write failed");
      }
      // A permanent failure is an answer too: the next redelivery or backfill would only repeat it.
      return retriable ? count("dead-lettered") : remember("dead-lettered");
    },
  };
}
