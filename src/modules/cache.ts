// Module answers kept for a while, and identical queries in flight shared: feeds repeat values all the
// time, and the upstreams behind modules (ip.circl.lu, onion.ail-project.org) are rate-limited.
//
// Key: module, input type, value, and a hash of the config sent with the query (never logged). Kept:
// answers and "nothing found" answers; never errors. Bounded by entries and by bytes (lru-cache), each
// entry living its module's TTL. Two concurrent queries for one key make one module call; the call is
// aborted only once every caller waiting for it has given up.
//
// What is kept is the answer's text, with the uuid of the attribute that asked: the caller that made
// the call gets the result it read itself, and every other caller reads the text again into objects of
// its own, whose references to the asking attribute are made to name the caller's attribute. So no
// caller can change what another reads, and a miss (every new value) copies nothing: the text is one
// flat string, cheap to keep and to collect (a frozen object graph per answer cost ~50 µs per
// enrichment at concurrency 128 when no value repeated; bench/README.md).

import { hash } from "node:crypto";
import { LRUCache } from "lru-cache";
import { createDeadline, onAbort, type Deadline } from "../deadline.js";
import { EnrichdError, errorCode, isEnrichdError } from "../errors.js";
import type { Labels, Metrics } from "../metrics/metrics.js";
import type { ModuleResult, ResultObject } from "./types.js";

export interface ResultCacheOptions {
  /** Entries kept at most. */
  readonly maxEntries: number;
  /** Heap bytes kept at most: each answer counts its text's length (misp-modules answers ASCII JSON: a byte a character) and its key's. */
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
   * The result for the query: read again from a remembered answer, read from an identical call in
   * flight, or fetched by `fetch` (which queries the module for the asking attribute and reads the
   * answer for it). `read` turns an answer's text into a result for the asking attribute (it throws
   * what the call would have thrown). `signal` lets this caller leave.
   */
  query(query: CacheQuery, fetch: (signal?: AbortSignal) => Promise<FetchedAnswer>, read: (text: string) => ModuleResult, signal?: AbortSignal): Promise<ModuleResult>;
}

/** One module call's answer: its text (what is kept) and the result read from it for the caller that made it. */
export interface FetchedAnswer {
  readonly text: string;
  readonly result: ModuleResult;
}

/** An answer kept: its text and the attribute it was asked for, or "nothing found"; its approximate heap size in bytes. */
type Answer = { readonly text: string; readonly asker: string; readonly size: number } | { readonly nothingFound: EnrichdError; readonly size: number };

/** What a call in flight settles with: the answer kept, and the result its own caller read. */
interface Settled {
  readonly answer: Answer;
  readonly first?: ModuleResult;
}

interface InFlight {
  readonly settled: Promise<Settled>;
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

  function start(key: string, ttlMs: number, fetch: (signal: AbortSignal) => Promise<FetchedAnswer>, asker: string): InFlight {
    const call = createDeadline(undefined);
    const settled = fetch(call.signal).then(
      ({ text, result }): Settled => ({ answer: { text, asker: asker.toLowerCase(), size: text.length + 128 }, first: result }),
      (error: unknown): Settled => {
        if (errorCode(error) === "ENRICHD_MODULE_NOTHING_FOUND" && isEnrichdError(error)) return { answer: { nothingFound: error, size: 512 + error.message.length } };
        throw error;
      },
    );
    const entry: InFlight = { settled, call, waiters: 0 };
    inFlight.set(key, entry);
    settled.then(
      ({ answer }) => {
        if (inFlight.get(key) === entry) inFlight.delete(key);
        stored.set(key, answer, { ttl: ttlMs });
      },
      () => {
        if (inFlight.get(key) === entry) inFlight.delete(key);
      },
    );
    return entry;
  }

  /** Waits for the shared call, leaving alone (and aborting the call once nobody waits) on abort. */
  function join(key: string, entry: InFlight, signal: AbortSignal | undefined): Promise<Settled> {
    entry.waiters++;
    if (signal === undefined) return entry.settled;
    return new Promise<Settled>((resolve, reject) => {
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
      entry.settled.then(
        (settled) => {
          unwatch();
          resolve(settled);
        },
        (error: unknown) => {
          unwatch();
          reject(error);
        },
      );
    });
  }

  return {
    async query(query, fetch, read, signal) {
      const ttlMs = ttlOf(query.module);
      if (!(ttlMs > 0)) return (await fetch(signal)).result;
      const key = cacheKey(query);
      const moduleLabels = labelsOf(query.module);
      let answer = stored.get(key);
      if (answer !== undefined) {
        metrics.inc(CACHE_METRICS.hits, moduleLabels);
      } else {
        let entry = inFlight.get(key);
        let mine = false;
        if (entry !== undefined) metrics.inc(CACHE_METRICS.coalesced, moduleLabels);
        else {
          metrics.inc(CACHE_METRICS.misses, moduleLabels);
          entry = start(key, ttlMs, fetch, query.attributeUuid);
          mine = true;
        }
        const settled = await join(key, entry, signal);
        // The call's own caller takes the result the call read for it: nobody else ever sees it.
        if (mine && settled.first !== undefined) return settled.first;
        answer = settled.answer;
      }
      if ("nothingFound" in answer) {
        const { code, message, details } = answer.nothingFound;
        throw new EnrichdError(code, message, { details });
      }
      return rebind(read(answer.text), answer.asker, query.attributeUuid);
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

/** The result read from another attribute's answer, its references to that attribute naming `attributeUuid` instead. */
function rebind(result: ModuleResult, asker: string, attributeUuid: string): ModuleResult {
  if (asker === attributeUuid.toLowerCase()) return result;
  const objects = result.objects.map((object): ResultObject => {
    if (!object.references.some((r) => r.referencedUuid.toLowerCase() === asker)) return object;
    return { ...object, references: object.references.map((r) => (r.referencedUuid.toLowerCase() === asker ? { ...r, referencedUuid: attributeUuid } : r)) };
  });
  return { ...result, objects };
}
