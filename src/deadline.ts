// A signal that aborts when a time limit passes or when any of its parents aborts, for calls on the
// hot path (every handler attempt, every shared module call), and `onAbort` to watch one. On Node 20:
// - `AbortSignal.any([parent, AbortSignal.timeout(ms)])` costs a timer, weak references and a
//   FinalizationRegistry entry, about 45 µs of CPU per call with its garbage under load; a deadline is
//   one controller, at most one timer and one listener per parent, all released by `clear()`;
// - an `abort` listener added to a signal and removed again costs the daemon far more in place than
//   in a loop (about 1 µs): when the HTTP exchanges, the result cache's waiters and the module limiter
//   stopped adding one, the daemon's CPU per enrichment fell by about 55 µs (bench/README.md). A
//   deadline's own signal is watched through a Set it keeps instead.

export interface Deadline {
  readonly signal: AbortSignal;
  /** Whether the time limit (not a parent) aborted the signal. */
  readonly timedOut: boolean;
  /** Stops the timer and detaches from the parents; call it once the guarded work has ended. */
  clear(): void;
  /** Aborts now with `reason` (a parent the caller watches itself, e.g. one shared by hundreds). */
  abort(reason: unknown): void;
}

type Watcher = (reason: unknown) => void;

/**
 * The watchers of a deadline's signal, told after the signal's own listeners: kept on the signal
 * itself. (A WeakMap keyed by signals kept an entry per deadline until the next full GC: its table
 * grew and was copied with the young objects, about 1 KB per enrichment.)
 */
const WATCHERS = Symbol("deadline watchers");
type Watched = AbortSignal & { [WATCHERS]?: Set<Watcher> };

/**
 * Calls `watcher` with the reason when `signal` aborts (a deadline's signal without an EventTarget
 * listener); returns the function that stops watching. Check `signal.aborted` first: an aborted
 * signal never calls it.
 */
export function onAbort(signal: AbortSignal, watcher: Watcher): () => void {
  const own = (signal as Watched)[WATCHERS];
  if (own !== undefined) {
    own.add(watcher);
    return () => void own.delete(watcher);
  }
  const listener = (): void => watcher(signal.reason);
  signal.addEventListener("abort", listener, { once: true });
  return () => signal.removeEventListener("abort", listener);
}

/**
 * The signal aborts with a TimeoutError DOMException after `timeoutMs` (none when undefined), or with
 * a parent's reason.
 */
export function createDeadline(timeoutMs: number | undefined, ...parents: readonly (AbortSignal | undefined)[]): Deadline {
  const controller = new AbortController();
  const signal: Watched = controller.signal;
  const watching = new Set<Watcher>();
  signal[WATCHERS] = watching;
  let timedOut = false;
  const stops: (() => void)[] = [];
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          abort(new DOMException(`the operation timed out after ${timeoutMs} ms`, "TimeoutError"));
        }, timeoutMs);
  // Like AbortSignal.timeout: a pending deadline never keeps the process alive.
  timer?.unref();
  function release(): void {
    if (timer !== undefined) clearTimeout(timer);
    for (const stop of stops.splice(0)) stop();
  }
  function abort(reason: unknown): void {
    release();
    if (signal.aborted) return;
    controller.abort(reason);
    for (const watcher of [...watching]) watcher(reason);
    watching.clear();
  }
  for (const parent of parents) {
    if (parent === undefined) continue;
    if (parent.aborted) {
      abort(parent.reason);
      break;
    }
    stops.push(onAbort(parent, abort));
  }
  return {
    signal,
    get timedOut() {
      return timedOut;
    },
    clear: release,
    abort,
  };
}
