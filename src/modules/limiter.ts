// A FIFO concurrency limiter for /query. The real server runs modules on a pool of about ten
// threads and a timed-out call keeps its thread (modules.md §8), so the client must never have
// more calls open than a limit below that pool; the rest wait here in arrival order.

import { onAbort } from "../deadline.js";

export interface Limiter {
  /** Runs `task` once a slot is free. An abort while waiting removes the task and rejects with the signal's reason. */
  run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Tasks running now. */
  readonly active: number;
  /** Tasks waiting for a slot. */
  readonly queued: number;
  /** Rejects every waiting task with `reason`; running tasks finish normally. */
  clear(reason: unknown): void;
}

interface Waiter {
  start(): void;
  fail(reason: unknown): void;
}

export function createLimiter(concurrency: number): Limiter {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${String(concurrency)}`);
  }
  let active = 0;
  // A Set keeps insertion order, so iteration is FIFO and an aborted waiter is removed in O(1).
  const waiting = new Set<Waiter>();

  function release(): void {
    active -= 1;
    const next = waiting.values().next();
    if (next.done === true) return;
    waiting.delete(next.value);
    next.value.start();
  }

  function execute<T>(task: () => Promise<T>): Promise<T> {
    active += 1;
    let running: Promise<T>;
    try {
      running = task();
    } catch (error) {
      running = Promise.reject(error);
    }
    return running.finally(release);
  }

  return {
    get active() {
      return active;
    },
    get queued() {
      return waiting.size;
    },
    run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
      if (signal?.aborted === true) return Promise.reject(signal.reason);
      if (active < concurrency && waiting.size === 0) return execute(task);
      return new Promise<T>((resolve, reject) => {
        const waiter: Waiter = {
          start() {
            unwatch?.();
            execute(task).then(resolve, reject);
          },
          fail(reason) {
            unwatch?.();
            reject(reason);
          },
        };
        waiting.add(waiter);
        const unwatch =
          signal === undefined
            ? undefined
            : onAbort(signal, (reason) => {
                waiting.delete(waiter);
                reject(reason);
              });
      });
    },
    clear(reason) {
      const all = [...waiting];
      waiting.clear();
      for (const waiter of all) waiter.fail(reason);
    },
  };
}
