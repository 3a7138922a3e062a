// Requests in flight from the daemon, per origin, seen through undici's diagnostics channels
// (request created → trailers or error). Read-only: nothing in src/ is touched. The channels make
// undici publish one message per step of each request, a cost of microseconds per request.

import { subscribe, unsubscribe } from "node:diagnostics_channel";

export interface OutgoingWatch {
  /** Highest number of requests in flight at once to `url`'s origin since the last reset. */
  peak(url: string): number;
  reset(): void;
  stop(): void;
}

interface Counter {
  active: number;
  peak: number;
}

export function watchOutgoing(): OutgoingWatch {
  const counters = new Map<string, Counter>();
  const open = new WeakMap<object, Counter>();
  const onCreate = (message: unknown): void => {
    const request = (message as { request: { origin?: unknown } }).request;
    const origin = String(request.origin ?? "");
    let counter = counters.get(origin);
    if (!counter) counters.set(origin, (counter = { active: 0, peak: 0 }));
    counter.active++;
    if (counter.active > counter.peak) counter.peak = counter.active;
    open.set(request, counter);
  };
  const onEnd = (message: unknown): void => {
    const request = (message as { request: object }).request;
    const counter = open.get(request);
    if (!counter) return;
    open.delete(request);
    counter.active--;
  };
  subscribe("undici:request:create", onCreate);
  subscribe("undici:request:trailers", onEnd);
  subscribe("undici:request:error", onEnd);
  return {
    peak: (url) => counters.get(new URL(url).origin)?.peak ?? 0,
    reset() {
      for (const counter of counters.values()) counter.peak = counter.active;
    },
    stop() {
      unsubscribe("undici:request:create", onCreate);
      unsubscribe("undici:request:trailers", onEnd);
      unsubscribe("undici:request:error", onEnd);
    },
  };
}
