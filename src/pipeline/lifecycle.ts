// Runs a bus into the frame sink until stopped, re-driving the spool on a timer meanwhile. Stopping
// closes intake and the bus, lets accepted work finish for `drainTimeoutMs`, then aborts what still
// runs (its handlers keep it in the spool) and closes the queue.

import type { Bus, FrameSink } from "../bus/types.js";
import type { MessageKind } from "../decode/types.js";
import { errorMessage } from "../errors.js";
import type { Logger } from "../log.js";
import type { KeyedQueue } from "../route/keyed-queue.js";

export interface LifecycleOptions {
  readonly sink: FrameSink;
  readonly kinds: ReadonlySet<MessageKind>;
  readonly queue: KeyedQueue;
  /** Aborted when stopping begins: the bus stops reading and the spool re-drive stops feeding the queue. */
  readonly intake: AbortController;
  /** Aborted once the drain time is up: running handlers stop and spool their work. */
  readonly shutdown: AbortController;
  /** Starts a spool re-drive in the background (its failure is logged by the pipeline). */
  readonly redriveSoon: () => void;
  /** Starts what triggers a re-drive besides the timer while the bus runs; returns the function that stops it. */
  readonly watch?: () => () => void;
  readonly spoolRetryMs: number;
  readonly drainTimeoutMs: number;
  readonly log: Logger;
}

export interface Lifecycle {
  /** Runs the bus until `stop()`; resolves once intake stopped. */
  run(bus: Bus): Promise<void>;
  /** The bus `run` was given, and when. */
  current(): { readonly bus: Bus; readonly startedAt: number } | undefined;
  /** Idempotent: every call returns the same promise. */
  stop(): Promise<void>;
}

export function createLifecycle(options: LifecycleOptions): Lifecycle {
  const { queue, intake, log } = options;
  let currentBus: Bus | undefined;
  let startedAt = 0;
  let stopping: Promise<void> | undefined;

  async function run(bus: Bus): Promise<void> {
    currentBus = bus;
    startedAt = Date.now();
    const timer = setInterval(options.redriveSoon, options.spoolRetryMs);
    timer.unref();
    const unwatch = options.watch?.();
    try {
      await bus.run(options.kinds, options.sink, intake.signal);
    } finally {
      clearInterval(timer);
      unwatch?.();
    }
  }

  async function stop(): Promise<void> {
    intake.abort();
    await currentBus?.close().catch((error) => log.warn({ err: errorMessage(error) }, "bus close failed"));
    const drained = await Promise.race([
      queue.idle().then(() => true),
      new Promise<boolean>((resolve) => setTimeout(resolve, options.drainTimeoutMs, false).unref()),
    ]);
    if (!drained) log.warn({ inFlight: queue.size() }, "drain timeout: aborting handlers, their work goes to the spool");
    // The reason is what `spool list` shows for this work: say what happened.
    options.shutdown.abort(new DOMException(`the daemon stopped before the handler finished (pipeline.drainTimeoutMs ${options.drainTimeoutMs} ms)`, "AbortError"));
    // Work still waiting for room is let in (and spooled by its handler) before the queue closes.
    await queue.idle();
    await queue.close();
  }

  return {
    run,
    current: () => (currentBus ? { bus: currentBus, startedAt } : undefined),
    stop() {
      stopping ??= stop();
      return stopping;
    },
  };
}
