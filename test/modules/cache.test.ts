import { describe, expect, it, onTestFinished } from "vitest";
import { startModulesStandin } from "@misp-enrichd/standins";
import { EnrichdError } from "../../src/errors.js";
import { createMetrics, type Metrics } from "../../src/metrics/metrics.js";
import { CACHE_METRICS, createResultCache, type CacheQuery, type FetchedAnswer, type ResultCacheOptions } from "../../src/modules/cache.js";
import { createModulesClient } from "../../src/modules/client.js";
import type { ModuleResult } from "../../src/modules/types.js";
import { planObjects } from "../../src/misp/write-plan.js";
import { makeAttribute, silentLogger } from "./helpers.js";

const A = "aaaaaaaa-0000-4000-8000-000000000001";
const B = "bbbbbbbb-0000-4000-8000-000000000002";

/** What mmdb_lookup answers, normalised: one object referencing the asking attribute. */
function resultFor(attributeUuid: string, country = "Belgium"): ModuleResult {
  return {
    module: "mmdb_lookup",
    format: "misp_standard",
    objects: [
      {
        name: "geolocation",
        metaCategory: "misc",
        description: "",
        templateUuid: "cd6f2238-ba55-4888-82c4-104e6e1acf21",
        templateVersion: "8",
        moduleUuid: "ec5c7b87-0d50-4b96-ac41-0c7b15c152e1",
        attributes: [{ type: "text", value: country, objectRelation: "country", tags: [] }],
        references: [{ referencedUuid: attributeUuid, relationshipType: "related-to" }],
      },
    ],
    attributes: [],
    sourceTags: [],
  };
}

/** A call's answer: its text, and the result read from it for the attribute that asked. */
function answerFor(attributeUuid: string, country = "Belgium"): FetchedAnswer {
  const result = resultFor(attributeUuid, country);
  return { text: JSON.stringify(result), result };
}

/** Reads a kept text again (what the client does with normaliseResult): here the result serialised above. */
const read = (text: string): ModuleResult => JSON.parse(text) as ModuleResult;

function query(overrides: Partial<CacheQuery> = {}): CacheQuery {
  return { module: "mmdb_lookup", type: "ip-dst", value: "188.65.220.25", config: { custom_API: "https://ip.example/" }, attributeUuid: A, ...overrides };
}

interface Setup {
  readonly cache: ReturnType<typeof createResultCache>;
  readonly metrics: Metrics;
  readonly clock: { now: number };
  /** Module calls made, with the attribute uuid each was made for. */
  readonly calls: string[];
  /** A fetch that answers at once for the asking attribute. */
  fetchFor(uuid: string): (signal?: AbortSignal) => Promise<FetchedAnswer>;
  count(metric: keyof typeof CACHE_METRICS): number;
}

function setup(options: Partial<ResultCacheOptions> = {}): Setup {
  const metrics = createMetrics();
  const clock = { now: 1_000_000 };
  const calls: string[] = [];
  const cache = createResultCache({ maxEntries: 100, maxBytes: 1_000_000, ttlSeconds: 3600, metrics, now: () => clock.now, ...options });
  return {
    cache,
    metrics,
    clock,
    calls,
    fetchFor: (uuid) => async () => {
      calls.push(uuid);
      return answerFor(uuid);
    },
    count: (metric) => metrics.total(CACHE_METRICS[metric]),
  };
}

function deferred<T>(): { promise: Promise<T>; resolve(value: T): void; reject(reason: unknown): void } {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("module result cache", () => {
  it("answers a repeated value from the cache, bound to the asking attribute", async () => {
    const s = setup();
    const first = await s.cache.query(query({ attributeUuid: A }), s.fetchFor(A), read);
    const second = await s.cache.query(query({ attributeUuid: B }), s.fetchFor(B), read);
    expect(s.calls).toEqual([A]);
    expect(first.objects[0]?.references).toEqual([{ referencedUuid: A, relationshipType: "related-to" }]);
    expect(second.objects[0]?.references).toEqual([{ referencedUuid: B, relationshipType: "related-to" }]);
    expect([s.count("misses"), s.count("hits")]).toEqual([1, 1]);
  });

  it("never lets one attribute's write see another's uuids: each plan references its own source", async () => {
    const s = setup();
    const plans = [];
    for (const uuid of [A, B]) {
      const result = await s.cache.query(query({ attributeUuid: uuid }), s.fetchFor(uuid), read);
      plans.push(planObjects({ subscriber: "geolocation", module: "mmdb_lookup", eventUuid: "e", source: { uuid, type: "ip-dst", value: "188.65.220.25" }, result }, { commentPrefix: "misp-enrichd", tagLocal: true }));
    }
    const [forA, forB] = plans.map((p) => p[0]);
    expect(forA?.references).toEqual([{ target: A, relationship: "related-to" }]);
    expect(forB?.references).toEqual([{ target: B, relationship: "related-to" }]);
    expect(forA?.object.uuid).not.toBe(forB?.object.uuid);
    expect(forA?.unresolved).toEqual([]);
    expect(forB?.unresolved).toEqual([]);
  });

  it("gives every caller objects of its own: a caller changing its answer changes no other's", async () => {
    const s = setup();
    const first = await s.cache.query(query(), s.fetchFor(A), read);
    (first.objects[0]?.attributes as unknown[]).push({});
    (first.objects[0]?.references as unknown as { referencedUuid: string }[])[0]!.referencedUuid = "changed";
    const hit = await s.cache.query(query({ attributeUuid: B }), s.fetchFor(B), read);
    expect(hit.objects[0]?.attributes).toHaveLength(1);
    expect(hit.objects[0]?.references).toEqual([{ referencedUuid: B, relationshipType: "related-to" }]);
    (hit.objects[0]?.attributes as unknown[]).push({});
    const again = await s.cache.query(query(), s.fetchFor(A), read);
    expect(again.objects[0]?.attributes).toHaveLength(1);
    expect(again.objects[0]?.references).toEqual([{ referencedUuid: A, relationshipType: "related-to" }]);
    expect(s.calls).toEqual([A]);
  });

  it("asks the module again once the module's TTL has passed, and never for a TTL of 0", async () => {
    const s = setup({ ttlSeconds: 60, ttlSecondsByModule: { dns: 0 } });
    await s.cache.query(query(), s.fetchFor(A), read);
    s.clock.now += 59_999;
    await s.cache.query(query(), s.fetchFor(A), read);
    expect(s.calls).toHaveLength(1);
    s.clock.now += 2;
    await s.cache.query(query(), s.fetchFor(A), read);
    expect(s.calls).toHaveLength(2);

    await s.cache.query(query({ module: "dns" }), s.fetchFor(A), read);
    await s.cache.query(query({ module: "dns" }), s.fetchFor(A), read);
    expect(s.calls).toHaveLength(4);
  });

  it("stays within maxEntries, evicting the least recently used and counting it", async () => {
    const s = setup({ maxEntries: 2 });
    for (const value of ["192.0.2.1", "192.0.2.2", "192.0.2.1", "192.0.2.3"]) await s.cache.query(query({ value }), s.fetchFor(A), read);
    expect(s.calls).toHaveLength(3);
    expect(s.count("evictions")).toBe(1);
    await s.cache.query(query({ value: "192.0.2.1" }), s.fetchFor(A), read); // kept: recently used
    expect(s.calls).toHaveLength(3);
    await s.cache.query(query({ value: "192.0.2.2" }), s.fetchFor(A), read); // evicted
    expect(s.calls).toHaveLength(4);
  });

  it("stays within maxBytes", async () => {
    // Each answer's text is ~500 bytes: 3,000 bytes hold a handful of the 50, never all of them.
    const s = setup({ maxBytes: 3_000 });
    for (let i = 1; i <= 50; i++) await s.cache.query(query({ value: `192.0.2.${i}` }), s.fetchFor(A), read);
    expect(s.count("evictions")).toBeGreaterThan(40);
    await s.cache.query(query({ value: "192.0.2.50" }), s.fetchFor(A), read); // the latest is kept
    expect(s.calls).toHaveLength(50);
    await s.cache.query(query({ value: "192.0.2.1" }), s.fetchFor(A), read); // the first is long gone
    expect(s.calls).toHaveLength(51);
  });

  it("makes one module call for concurrent queries of one key", async () => {
    const s = setup();
    const answer = deferred<FetchedAnswer>();
    let calls = 0;
    const fetch = async (): Promise<FetchedAnswer> => {
      calls++;
      return answer.promise;
    };
    const waiting = [A, B].map((uuid) => s.cache.query(query({ attributeUuid: uuid }), fetch, read));
    answer.resolve(answerFor(A));
    const [forA, forB] = await Promise.all(waiting);
    expect(calls).toBe(1);
    expect(s.count("coalesced")).toBe(1);
    expect(forA?.objects[0]?.references[0]?.referencedUuid).toBe(A);
    expect(forB?.objects[0]?.references[0]?.referencedUuid).toBe(B);
    expect(forB?.objects[0]?.attributes).not.toBe(forA?.objects[0]?.attributes);
  });

  it("lets one waiter leave without cancelling the call the others wait for; the last one to leave cancels it", async () => {
    const s = setup();
    const answer = deferred<FetchedAnswer>();
    let callSignal: AbortSignal | undefined;
    const fetch = async (signal?: AbortSignal): Promise<FetchedAnswer> => {
      callSignal = signal;
      return answer.promise;
    };
    const leaving = new AbortController();
    const staying = s.cache.query(query(), fetch, read);
    const left = s.cache.query(query({ attributeUuid: B }), fetch, read, leaving.signal);
    leaving.abort(new Error("handler timed out"));
    await expect(left).rejects.toThrow("handler timed out");
    expect(callSignal?.aborted).toBe(false);
    answer.resolve(answerFor(A));
    await expect(staying).resolves.toMatchObject({ module: "mmdb_lookup" });

    const only = new AbortController();
    const alone = s.cache.query(query({ value: "192.0.2.9" }), fetch, read, only.signal);
    only.abort(new Error("shutdown"));
    await expect(alone).rejects.toThrow("shutdown");
    expect(callSignal?.aborted).toBe(true);
  });

  it("does not keep errors: the next query asks again", async () => {
    const s = setup();
    let calls = 0;
    const failing = async (): Promise<FetchedAnswer> => {
      calls++;
      throw new EnrichdError("ENRICHD_MODULE_UNAVAILABLE", "misp-modules answered HTTP 503");
    };
    await expect(s.cache.query(query(), failing, read)).rejects.toMatchObject({ code: "ENRICHD_MODULE_UNAVAILABLE" });
    await expect(s.cache.query(query(), failing, read)).rejects.toMatchObject({ code: "ENRICHD_MODULE_UNAVAILABLE" });
    expect(calls).toBe(2);
    await s.cache.query(query(), s.fetchFor(A), read);
    expect(s.calls).toEqual([A]);
  });

  it("keeps a 'nothing found' answer: it is an answer", async () => {
    const s = setup();
    let calls = 0;
    const empty = async (): Promise<FetchedAnswer> => {
      calls++;
      throw new EnrichdError("ENRICHD_MODULE_NOTHING_FOUND", "module mmdb_lookup found nothing for 10.0.0.1: Empty result returned by server", { details: { module: "mmdb_lookup" } });
    };
    for (let i = 0; i < 2; i++) {
      await expect(s.cache.query(query({ value: "10.0.0.1" }), empty, read)).rejects.toMatchObject({ code: "ENRICHD_MODULE_NOTHING_FOUND", message: expect.stringContaining("10.0.0.1") });
    }
    expect(calls).toBe(1);
    expect(s.count("hits")).toBe(1);
  });

  it("keys on the module's config: another config is another answer", async () => {
    const s = setup();
    await s.cache.query(query({ config: { custom_API: "https://one.example/" } }), s.fetchFor(A), read);
    await s.cache.query(query({ config: { custom_API: "https://two.example/" } }), s.fetchFor(A), read);
    await s.cache.query(query({ config: { custom_API: "https://one.example/" } }), s.fetchFor(A), read);
    expect(s.calls).toHaveLength(2);
    await s.cache.query(query({ type: "ip-src" }), s.fetchFor(A), read);
    await s.cache.query(query({ module: "geoip_city" }), s.fetchFor(A), read);
    expect(s.calls).toHaveLength(4);
  });
});

describe("modules client with the cache", () => {
  it("queries the server once for a repeated value; each answer references its own attribute", async () => {
    const server = await startModulesStandin();
    onTestFinished(() => server.close());
    const metrics = createMetrics();
    const client = createModulesClient({
      url: server.url,
      logger: silentLogger(),
      metrics,
      moduleConfig: { mmdb_lookup: { custom_API: "http://127.0.0.1:9/" } },
      cache: createResultCache({ maxEntries: 10, maxBytes: 1_000_000, ttlSeconds: 3600, metrics }),
    });
    onTestFinished(() => client.close());
    const first = await client.query("onion_lookup", makeAttribute({ uuid: A, type: "onion-address", value: "vugqd7hwj3rgope5bi7cj2vvsahm5l3agevcgnfxv2rbjlb42ueqaaid.onion" }));
    const second = await client.query("onion_lookup", makeAttribute({ uuid: B, type: "onion-address", value: "vugqd7hwj3rgope5bi7cj2vvsahm5l3agevcgnfxv2rbjlb42ueqaaid.onion" }));
    expect(server.queryCount("onion_lookup")).toBe(1);
    expect(metrics.total("misp_enrichd_module_queries_total")).toBe(1);
    expect(first.objects.flatMap((o) => o.references.map((r) => r.referencedUuid))).toContain(A);
    expect(second.objects.flatMap((o) => o.references.map((r) => r.referencedUuid))).toContain(B);
    expect(second.objects.flatMap((o) => o.references.map((r) => r.referencedUuid))).not.toContain(A);
    expect(second.sourceTags).toEqual(first.sourceTags);
  });
});
