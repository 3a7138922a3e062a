// Short-lived reads of attributes and events by id or uuid. Tag messages carry ids only (pubsub.md
// §4.6), so a rule or subscriber acting on one fetches what it needs; several rules on one message,
// or one message's retries, share the read. Entries live `ttlMs` (a few seconds: MISP's data may
// change under us) and are dropped at once when the daemon writes to what they describe.

import type { Attribute } from "../decode/types.js";
import type { EventDetails, MispClient } from "./types.js";

export interface ReadCache {
  attribute(idOrUuid: string | number, signal?: AbortSignal): Promise<{ attribute: Attribute; eventUuid?: string }>;
  event(idOrUuid: string | number, signal?: AbortSignal): Promise<EventDetails>;
  /** Drops what is cached about an attribute or event (after writing to it), named by id, uuid or both. */
  forget(target: { readonly id?: number; readonly uuid?: string }): void;
}

export interface ReadCacheOptions {
  readonly client: Pick<MispClient, "viewAttribute" | "viewEvent">;
  readonly ttlMs?: number;
  readonly maxEntries?: number;
  readonly now?: () => number;
}

export function createReadCache(options: ReadCacheOptions): ReadCache {
  const ttlMs = options.ttlMs ?? 5_000;
  const maxEntries = options.maxEntries ?? 2_000;
  const now = options.now ?? Date.now;
  const entries = new Map<string, { expiry: number; value: Promise<unknown> }>();

  function read<T>(kind: "a" | "e", key: string | number, load: () => Promise<T>, keysOf: (value: T) => string[]): Promise<T> {
    const k = `${kind}:${String(key).toLowerCase()}`;
    const hit = entries.get(k);
    if (hit && hit.expiry > now()) return hit.value as Promise<T>;
    if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
    const value = load();
    const entry = { expiry: now() + ttlMs, value };
    entries.set(k, entry);
    value.then(
      (v) => {
        // Reachable by its other name too (an id read answers a later uuid read).
        for (const other of keysOf(v)) if (entries.get(`${kind}:${other}`) === undefined) entries.set(`${kind}:${other}`, entry);
      },
      () => entries.delete(k),
    );
    return value;
  }

  return {
    attribute: (idOrUuid, signal) =>
      read("a", idOrUuid, () => options.client.viewAttribute(idOrUuid, signal), (v) => [String(v.attribute.id), v.attribute.uuid]),
    event: (idOrUuid, signal) => read("e", idOrUuid, () => options.client.viewEvent(idOrUuid, signal), (v) => [String(v.event.id), v.event.uuid]),
    forget(target) {
      const keys = [target.id === undefined ? undefined : String(target.id), target.uuid?.toLowerCase()];
      const gone = new Set<Promise<unknown>>();
      for (const kind of ["a", "e"]) {
        for (const key of keys) {
          const entry = key === undefined ? undefined : entries.get(`${kind}:${key}`);
          if (entry) gone.add(entry.value);
        }
      }
      // The same read under its other name goes too.
      for (const [k, entry] of entries) if (gone.has(entry.value)) entries.delete(k);
    },
  };
}
