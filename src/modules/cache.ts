// Module answers kept for a while, and identical queries in flight shared: feeds repeat values all the
// time, and the upstreams behind modules (ip.circl.lu, onion.ail-project.org) are rate-limited.
//
// Key: module, input type, value, and a hash of the config sent with the query (never logged). Kept:
// results and "nothing found" answers (answers too); never errors. Bounded by entries and by bytes
// (lru-cache), each entry living its module's TTL. Two concurrent queries for one key make one module
// call; the call is aborted only once every caller waiting for it has given up.
//
// A result is stored detached from the attribute that fetched it: references to that attribute's uuid
// become INPUT (the empty uuid, which the write plan reads as "the source"), and every caller gets a
// copy bound to its own attribute. The stored result is frozen, so no write can change what another
// attribute's write will read.

import { hash } from "node:crypto";
import { LRUCache } from "lru-cache";
import { createDeadline, onAbort, type Deadline } from "../deadline.js";
import { EnrichdError, errorCode, isEnrichdError } from "../errors.js";
import type { Labels, Metrics } from "../metrics/metrics.js";
import type { ModuleResult, ResultObject } from "./types.js";

export interface ResultCacheOptions {
  /** Entries kept at most. */
  readonly maxEntries: number;
  /** Heap bytes kept at most, as estimated when each answer is stored (freeze() below). */
  readonly maxBytes: number;
  /** Time to live of an answer; 0 disables the cache (and the sharing of calls in flight). */
  readonly ttlSeconds: number;
  /** Per module overrides of `ttlSeconds`. */
  readonly ttlSecondsByModule?: Readonly<Record<string, number>>;
  readonly metrics: Metrics;
  /** Tests pass their own clock (milliseconds). */
  readonly now?: () => number;
}

export interface CacheQuery {
  readonly module: string;
  readonly type: string;
  readonly value: string;
  /** The config sent to the module: part of the key, as a hash. */
  readonly config: Readonly<Record<string, unknown>>;
  /** The asking attribute's uuid: the result comes back bound to it. */
  readonly attributeUuid: string;
}

export interface ResultCache {
  /**
   * The answer for the query: remembered, shared with an identical call in flight, or fetched by
   * `fetch` (which queries the module for the asking attribute). `signal` lets this caller leave.
   */
  query(query: CacheQuery, fetch: (signal?: AbortSignal) => Promise<ModuleResult>, signal?: AbortSignal): Promise<ModuleResult>;
}

/** The uuid the write plan reads as "the source attribute" (write-plan.ts). */
export const INPUT = "";

/** An answer kept, with its approximate size in bytes (counted once, when it is stored). */
type Answer = { readonly result: ModuleResult; readonly size: number } | { readonly nothingFound: EnrichdError; readonly size: number };

interface InFlight {
  readonly answer: Promise<Answer>;
  /** No time limit of its own (each caller has one): aborted once nobody waits. */
  readonly call: Deadline;
  waiters: number;
}

export const CACHE_METRICS = {
  hits: "misp_enrichd_module_cache_hits_total",
  misses: "misp_enrichd_module_cache_misses_total",
  coalesced: "misp_enrichd_module_cache_coalesced_total",
  evictions: "misp_enrichd_module_cache_evictions_total",
} as const;

export function createResultCache(options: ResultCacheOptions): ResultCache {
  const { metrics } = options;
  const ttlOf = (module: string): number => (options.ttlSecondsByModule?.[module] ?? options.ttlSeconds) * 1000;
  const now = options.now;
  const stored = new LRUCache<string, Answer>({
    max: options.maxEntries,
    maxSize: options.maxBytes,
    sizeCalculation: (answer, key) => key.length + answer.size,
    ttlAutopurge: false,
    ...(now ? { perf: { now }, ttlResolution: 0 } : {}),
    dispose: (_answer, key, reason) => {
      if (reason === "evict") metrics.inc(CACHE_METRICS.evictions, labelsOf(moduleOfKey(key)));
    },
  });
  const inFlight = new Map<string, InFlight>();
  const labels = new Map<string, Labels>();
  const labelsOf = (module: string): Labels => {
    let found = labels.get(module);
    if (!found) labels.set(module, (found = Object.freeze({ module })));
    return found;
  };

  function start(key: string, ttlMs: number, fetch: (signal: AbortSignal) => Promise<ModuleResult>, asker: string): InFlight {
    const call = createDeadline(undefined);
    const answer = fetch(call.signal).then(
      (result): Answer => {
        const detached = detach(result, asker);
        return { result: detached, size: freeze(detached) };
      },
      (error: unknown): Answer => {
        if (errorCode(error) === "ENRICHD_MODULE_NOTHING_FOUND" && isEnrichdError(error)) return { nothingFound: error, size: 512 + error.message.length };
        throw error;
      },
    );
    const entry: InFlight = { answer, call, waiters: 0 };
    inFlight.set(key, entry);
    answer.then(
      (settled) => {
        if (inFlight.get(key) === entry) inFlight.delete(key);
        stored.set(key, settled, { ttl: ttlMs });
      },
      () => {
        if (inFlight.get(key) === entry) inFlight.delete(key);
      },
    );
    return entry;
  }

  /** Waits for the shared call, leaving alone (and aborting the call once nobody waits) on abort. */
  function join(key: string, entry: InFlight, signal: AbortSignal | undefined): Promise<Answer> {
    entry.waiters++;
    if (signal === undefined) return entry.answer;
    return new Promise<Answer>((resolve, reject) => {
      const leave = (reason: unknown): void => {
        entry.waiters--;
        if (entry.waiters === 0) {
          // Nobody wants it any more: a later caller starts a fresh call instead of joining a dying one.
          if (inFlight.get(key) === entry) inFlight.delete(key);
          entry.call.abort(reason);
        }
        reject(reason);
      };
      if (signal.aborted) return leave(signal.reason);
      const unwatch = onAbort(signal, leave);
      entry.answer.then(
        (answer) => {
          unwatch();
          resolve(answer);
        },
        (error: unknown) => {
          unwatch();
          reject(error);
        },
      );
    });
  }

  return {
    async query(query, fetch, signal) {
      const ttlMs = ttlOf(query.module);
      if (!(ttlMs > 0)) return fetch(signal);
      const key = cacheKey(query);
      const moduleLabels = labelsOf(query.module);
      let answer = stored.get(key);
      if (answer !== undefined) {
        metrics.inc(CACHE_METRICS.hits, moduleLabels);
      } else {
        let entry = inFlight.get(key);
        if (entry !== undefined) metrics.inc(CACHE_METRICS.coalesced, moduleLabels);
        else {
          metrics.inc(CACHE_METRICS.misses, moduleLabels);
          entry = start(key, ttlMs, fetch, query.attributeUuid);
        }
        answer = await join(key, entry, signal);
      }
      if ("nothingFound" in answer) {
        const { code, message, details } = answer.nothingFound;
        throw new EnrichdError(code, message, { details });
      }
      return bind(answer.result, query.attributeUuid);
    },
  };
}

/** The hash of each config object seen (the client hands the same object for a module's usual config). */
const configHashes = new WeakMap<object, string>();

/** Module, type and value in the clear (they are in every log line anyway); the config as a hash. */
export function cacheKey(query: Pick<CacheQuery, "module" | "type" | "value" | "config">): string {
  let config = configHashes.get(query.config);
  if (config === undefined) configHashes.set(query.config, (config = hash("sha256", stableJson(query.config), "base64url")));
  return `${query.module}\u0000${query.type}\u0000${config}\u0000${query.value}`;
}

function moduleOfKey(key: string): string {
  return key.slice(0, key.indexOf("\u0000"));
}

/** JSON with object keys sorted, so that two equal configs hash alike whatever their key order. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record).sort().map((k) => `${JSON.stringify(k)}:${stableJson(record[k])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** The result with references to the asking attribute made relative (INPUT). */
function detach(result: ModuleResult, asker: string): ModuleResult {
  const uuid = asker.toLowerCase();
  return { ...result, objects: result.objects.map((o) => retarget(o, (target) => (target.toLowerCase() === uuid ? INPUT : target))) };
}

/** A copy of the stored result whose INPUT references name this attribute; untouched parts are shared, frozen. */
function bind(result: ModuleResult, attributeUuid: string): ModuleResult {
  return { ...result, objects: result.objects.map((o) => retarget(o, (target) => (target === INPUT ? attributeUuid : target))) };
}

function retarget(object: ResultObject, map: (target: string) => string): ResultObject {
  if (!object.references.some((r) => map(r.referencedUuid) !== r.referencedUuid)) return object;
  return { ...object, references: object.references.map((r) => ({ ...r, referencedUuid: map(r.referencedUuid) })) };
}

/**
 * Freezes the value throughout and returns about what it takes on V8's heap, in bytes: one walk for
 * both. The weights (an object or array 80, a property or element 32, a string 24 plus its length)
 * put an mmdb_lookup answer of 3 objects at ~11 KB where the heap measured ~12.6 KB per entry.
 */
function freeze(value: unknown): number {
  if (typeof value === "string") return 24 + value.length;
  if (typeof value !== "object" || value === null) return 16;
  Object.freeze(value);
  let size = 80;
  if (Array.isArray(value)) {
    for (const item of value as unknown[]) size += 32 + freeze(item);
    return size;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) size += 32 + freeze(record[key]);
  return size;
}
