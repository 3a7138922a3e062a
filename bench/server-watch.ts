// Requests open at once as a server sees them (request start → response finish), by listening
// port, through Node's http diagnostics channels: the servers themselves are not touched.

import { subscribe } from "node:diagnostics_channel";
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";

export interface ServerCounter {
  active: number;
  peak: number;
  /** Requests started since the last reset. */
  total: number;
}

export interface ServerWatch {
  /** Counts requests to `url`'s port whose path starts with `pathPrefix` (all when omitted). */
  watch(url: string, pathPrefix?: string): ServerCounter;
  /** Peaks down to what is open now, totals to zero. */
  reset(): void;
}

export function createServerWatch(): ServerWatch {
  const watched = new Map<number, { counter: ServerCounter; pathPrefix: string | undefined }>();
  const open = new WeakMap<IncomingMessage, ServerCounter>();
  subscribe("http.server.request.start", (message) => {
    const { request, socket } = message as { request: IncomingMessage; socket: Socket };
    const entry = watched.get(socket.localPort ?? -1);
    if (entry === undefined || (entry.pathPrefix !== undefined && !(request.url ?? "").startsWith(entry.pathPrefix))) return;
    const { counter } = entry;
    open.set(request, counter);
    counter.total++;
    counter.active++;
    if (counter.active > counter.peak) counter.peak = counter.active;
  });
  subscribe("http.server.response.finish", (message) => {
    const { request } = message as { request: IncomingMessage };
    const counter = open.get(request);
    if (counter === undefined) return;
    open.delete(request);
    counter.active--;
  });
  return {
    watch(url, pathPrefix) {
      const counter: ServerCounter = { active: 0, peak: 0, total: 0 };
      watched.set(Number(new URL(url).port), { counter, pathPrefix });
      return counter;
    },
    reset() {
      for (const { counter } of watched.values()) {
        counter.peak = counter.active;
        counter.total = 0;
      }
    },
  };
}
