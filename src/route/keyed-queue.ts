// The pipeline's executor: bounded, ordered per key, concurrent across keys. Tasks of one key (one
// attribute, or one event: ordering-key.ts) run one at a time in arrival order; different keys overlap
// up to `concurrency`; and at most `maxPending` tasks are accepted-but-unfinished, so a bus awaiting
// `push` slows to our pace.

import { EnrichdError } from "../errors.js";

export type KeyedTask<T> = (signal: AbortSignal) => Promise<T>;

export interface KeyedQueueOptions {
  /** Tasks of different keys running at once. */
  readonly concurrency: number;
  /** Accepted-but-unfinished tasks (running or queued) before `push` waits. */
  readonly maxPending: number;
  /** Aborting drops queued tasks (their `done` rejects) and is passed to running ones. */
  readonly signal?: AbortSignal;
  /** Called with `size()` each time it changes (the in-flight gauge). Must be cheap. */
  readonly onSize?: (size: number) => void;
}

export interface KeyedQueue {
  /**
   * Resolves once the task is accepted (waits while `maxPending` tasks are unfinished); `done`
   * settles with the task's result or error. Rejects once the queue is closed or aborted.
   */
  push<T>(key: string, task: KeyedTask<T>): Promise<{ readonly done: Promise<T> }>;
  /** Accepted tasks not yet finished. */
  size(): number;
  /** Whether a task of `key` is accepted and not finished. */
  busy(key: string): boolean;
  /** Resolves when every accepted and waiting task has finished. */
  idle(): Promise<void>;
  /** Stops intake (waiting and later pushes reject) and resolves once accepted tasks finish. Idempotent. */
  close(): Promise<void>;
}

interface Job {
  readonly key: string;
  readonly run: (signal: AbortSignal) => void;
  /** Rejects `done` for a task that was accepted but will never run. */
  readonly cancel: (reason: unknown) => void;
}

interface Waiter {
  readonly job: Job;
  readonly accept: () => void;
  readonly refuse: (reason: unknown) => void;
}

export function createKeyedQueue(options: KeyedQueueOptions): KeyedQueue {
  const { concurrency, maxPending } = options;
  checkPositiveInteger("concurrency", concurrency);
  checkPositiveInteger("maxPending", maxPending);
  const signal = options.signal ?? new AbortController().signal;
  const onSize = options.onSize ?? ((): void => undefined);

  const queued = new Map<string, Job[]>(); // per key: accepted, not started; key present while busy
  const ready: string[] = []; // keys whose next job may start, in the order they became ready
  const waiting: Waiter[] = [];
  let idleWaiters: (() => void)[] = [];
  let pending = 0;
  let running = 0;
  let closing: Promise<void> | undefined;
  let closedReason: unknown;

  signal.addEventListener("abort", () => abortAll(signal.reason), { once: true });

  function accept(job: Job): void {
    onSize(++pending);
    const jobs = queued.get(job.key);
    if (jobs === undefined) {
      queued.set(job.key, [job]);
      ready.push(job.key);
    } else {
      jobs.push(job);
    }
  }

  function pump(): void {
    while (running < concurrency && ready.length > 0) {
      const key = ready.shift() as string;
      const job = queued.get(key)?.shift();
      if (job === undefined) continue;
      running++;
      job.run(signal);
    }
  }

  function finished(key: string): void {
    running--;
    onSize(--pending);
    const jobs = queued.get(key);
    if (jobs !== undefined && jobs.length > 0) ready.push(key);
    else queued.delete(key);
    // Hand freed capacity to the oldest waiting push, in push order, before anyone new.
    while (pending < maxPending && waiting.length > 0) {
      const waiter = waiting.shift() as Waiter;
      accept(waiter.job);
      waiter.accept();
    }
    pump();
    settleIdle();
  }

  function settleIdle(): void {
    if (pending > 0 || waiting.length > 0) return;
    const resolvers = idleWaiters;
    idleWaiters = [];
    for (const resolve of resolvers) resolve();
  }

  function abortAll(reason: unknown): void {
    closedReason ??= reason;
    for (const waiter of waiting.splice(0)) waiter.refuse(reason);
    for (const [key, jobs] of queued) {
      for (const job of jobs.splice(0)) {
        onSize(--pending);
        job.cancel(reason);
      }
      if (!ready.includes(key)) continue;
      ready.splice(ready.indexOf(key), 1);
      queued.delete(key);
    }
    settleIdle();
  }

  function push<T>(key: string, task: KeyedTask<T>): Promise<{ readonly done: Promise<T> }> {
    if (closedReason !== undefined) return Promise.reject(closedReason);
    let settle!: { resolve: (value: T) => void; reject: (reason: unknown) => void };
    const done = new Promise<T>((resolve, reject) => {
      settle = { resolve, reject };
    });
    const job: Job = {
      key,
      cancel: settle.reject,
      run(taskSignal) {
        // Started on a microtask so a task that pushes synchronously cannot re-enter the scheduler.
        void Promise.resolve()
          .then(() => task(taskSignal))
          .then(settle.resolve, settle.reject)
          .finally(() => finished(key));
      },
    };
    if (pending < maxPending && waiting.length === 0) {
      accept(job);
      pump();
      return Promise.resolve({ done });
    }
    return new Promise((resolve, reject) => {
      waiting.push({ job, accept: () => resolve({ done }), refuse: reject });
    });
  }

  function idle(): Promise<void> {
    if (pending === 0 && waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => idleWaiters.push(resolve));
  }

  return {
    push,
    size: () => pending,
    busy: (key) => queued.has(key),
    idle,
    close() {
      closing ??= (() => {
        closedReason ??= new DOMException("the keyed queue is closed", "AbortError");
        for (const waiter of waiting.splice(0)) waiter.refuse(closedReason);
        settleIdle();
        return idle();
      })();
      return closing;
    },
  };
}

function checkPositiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new EnrichdError("ENRICHD_CONFIG_INVALID", `${name} must be a positive integer, got ${String(value)}`, {
      details: { [name]: value },
    });
  }
}
