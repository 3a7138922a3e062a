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
 * The deadline a signal belongs to, kept on the signal itself: `onAbort` adds its watcher there. (A
 * WeakMap keyed by signals kept an entry per deadline until the next full GC: its table grew and was
 * copied with the young objects, about 1 KB per enrichment.)
 */
const OWNER = Symbol("deadline");
type Owned = AbortSignal & { [OWNER]?: SignalDeadline };

/**
 * Calls `watcher` with the reason when `signal` aborts (a deadline's signal without an EventTarget
 * listener); returns the function that stops watching. Check `signal.aborted` first: an aborted
 * signal never calls it.
 */
export function onAbort(signal: AbortSignal, watcher: Watcher): () => void {
  const owner = (signal as Owned)[OWNER];
  if (owner !== undefined) return owner.watch(watcher);
  const listener = (): void => watcher(signal.reason);
  signal.addEventListener("abort", listener, { once: true });
  return () => signal.removeEventListener("abort", listener);
}

/**
 * The signal aborts with a TimeoutError DOMException after `timeoutMs` (none when undefined), or with
 * a parent's reason.
 */
export function createDeadline(timeoutMs: number | undefined, ...parents: readonly (AbortSignal | undefined)[]): Deadline {
  return new SignalDeadline(timeoutMs, parents);
}

/**
 * One object per deadline (a handler attempt, a shared module call: two per enrichment, alive as long
 * as it): its watchers, timer and parents' stops are made only when there are some.
 */
class SignalDeadline implements Deadline {
  readonly signal: Owned;
  timedOut = false;
  private readonly controller = new AbortController();
  private watchers: Set<Watcher> | undefined;
  private readonly timer: ReturnType<typeof setTimeout> | undefined;
  private stops: (() => void)[] | undefined;

  constructor(timeoutMs: number | undefined, parents: readonly (AbortSignal | undefined)[]) {
    this.signal = this.controller.signal;
    this.signal[OWNER] = this;
    if (timeoutMs !== undefined) {
      this.timer = setTimeout(() => {
        this.timedOut = true;
        this.abort(new DOMException(`the operation timed out after ${timeoutMs} ms`, "TimeoutError"));
      }, timeoutMs);
      // Like AbortSignal.timeout: a pending deadline never keeps the process alive.
      this.timer.unref();
    }
    for (const parent of parents) {
      if (parent === undefined) continue;
      if (parent.aborted) {
        this.abort(parent.reason);
        break;
      }
      (this.stops ??= []).push(onAbort(parent, (reason) => this.abort(reason)));
    }
  }

  watch(watcher: Watcher): () => void {
    const watchers = (this.watchers ??= new Set());
    watchers.add(watcher);
    return () => void watchers.delete(watcher);
  }

  clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    const stops = this.stops;
    this.stops = undefined;
    if (stops !== undefined) for (const stop of stops) stop();
  }

  abort(reason: unknown): void {
    this.clear();
    if (this.signal.aborted) return;
    this.controller.abort(reason);
    const watchers = this.watchers;
    this.watchers = undefined;
    if (watchers !== undefined) for (const watcher of [...watchers]) watcher(reason);
  }
}
