// The misp-modules client: discovery (`GET /modules`, cached) and `POST /query` in each module's own
// format, behind a FIFO limit below the server's worker pool (modules.md §1, §8).

import { Pool, type Dispatcher } from "undici";
import type { CircuitBreaker } from "../circuit-breaker.js";
import type { Attribute } from "../decode/types.js";
import { EnrichdError, errorCode, type ErrorCode } from "../errors.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics/metrics.js";
import { createLabelCache } from "../metrics/labels.js";
import { checkQueryStatus, readQueryBody, retryAfter } from "./answer.js";
import { parseModuleList } from "./descriptor.js";
import { guardExchange } from "./guarded-exchange.js";
import type { FetchedAnswer, ResultCache } from "./cache.js";
import { createLimiter } from "./limiter.js";
import { buildModuleConfig, buildQueryBody, serverTimeoutSeconds } from "./request.js";
import { normaliseResult } from "./result.js";
import { abortedError, exchange, type HttpAnswer } from "./transport.js";
import type { ModuleDescriptor, ModuleResult, ModulesClient, QueryOptions } from "./types.js";

export interface ModulesClientOptions {
  /** Base URL of the server, e.g. `http://127.0.0.1:6666`; a path prefix is kept. */
  readonly url: string;
  /** Client-side limit per HTTP call. The server is told to give up 2 s sooner. */
  readonly timeoutMs?: number;
  /** Concurrent `/query` calls; the rest wait in arrival order. Keep it below the server's pool (10). */
  readonly concurrency?: number;
  /** Per-module config, merged over the declared keys (sent as null when unset). Never logged. */
  readonly moduleConfig?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly discoveryTtlMs?: number;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Tests pass their own; the client then leaves it open on close(). */
  readonly dispatcher?: Dispatcher;
  /** Answers kept and identical queries in flight shared (cache.ts); absent: every query calls the server. */
  readonly cache?: ResultCache;
  /** Guards every call to the server (guarded-exchange.ts); none in `check` and `modules`. */
  readonly breaker?: CircuitBreaker;
}

export const MODULE_QUERIES_METRIC = "misp_enrichd_module_queries_total";

const OUTCOMES: Partial<Record<ErrorCode, string>> = {
  ENRICHD_MODULE_TIMEOUT: "timeout",
  ENRICHD_MODULE_UNAVAILABLE: "unavailable",
  ENRICHD_MODULE_ERROR: "error",
  ENRICHD_MODULE_NOTHING_FOUND: "nothing_found",
  ENRICHD_MODULE_MISSING: "missing",
  ENRICHD_MODULE_RESPONSE_INVALID: "invalid",
  ENRICHD_CIRCUIT_OPEN: "circuit_open",
};

const DURATION_METRIC = "misp_enrichd_module_query_duration_seconds";

export function createModulesClient(options: ModulesClientOptions): ModulesClient {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const concurrency = options.concurrency ?? 8;
  const discoveryTtlMs = options.discoveryTtlMs ?? 60_000;
  const moduleConfig = options.moduleConfig ?? {};
  const { logger, metrics } = options;
  const labels = createLabelCache();
  const base = parseBaseUrl(options.url);
  const ownsDispatcher = options.dispatcher === undefined;
  const dispatcher =
    options.dispatcher ?? new Pool(base.origin, { connections: concurrency + 2, keepAliveTimeout: 30_000 });
  const limiter = createLimiter(concurrency);
  const timeoutSeconds = serverTimeoutSeconds(timeoutMs);
  const send = options.breaker ? guardExchange(exchange, options.breaker) : exchange;
  // A module's config without a query's own layer, built once per descriptor: the same (frozen) object
  // each time also lets the cache hash it once.
  const usualConfigs = new WeakMap<ModuleDescriptor, Readonly<Record<string, unknown>>>();
  const configFor = (descriptor: ModuleDescriptor, module: string, extra: Readonly<Record<string, unknown>> | undefined): Readonly<Record<string, unknown>> => {
    if (extra !== undefined) return buildModuleConfig(descriptor.configKeys, moduleConfig[module], extra);
    let usual = usualConfigs.get(descriptor);
    if (usual === undefined) usualConfigs.set(descriptor, (usual = Object.freeze(buildModuleConfig(descriptor.configKeys, moduleConfig[module]))));
    return usual;
  };

  let cache: { readonly at: number; readonly modules: readonly ModuleDescriptor[]; readonly byName: ReadonlyMap<string, ModuleDescriptor>; readonly server?: string } | undefined;
  let discovery: Promise<readonly ModuleDescriptor[]> | undefined;
  let closing: Promise<void> | undefined;

  async function discover(): Promise<readonly ModuleDescriptor[]> {
    const path = `${base.path}/modules`;
    const answer = await send({ dispatcher, origin: base.origin, path, method: "GET", timeoutMs, details: {} });
    if (answer.status !== 200) {
      const unavailable = answer.status >= 500 || answer.status === 429;
      const code = unavailable ? "ENRICHD_MODULE_UNAVAILABLE" : "ENRICHD_MODULE_RESPONSE_INVALID";
      throw new EnrichdError(code, `GET ${path} answered HTTP ${answer.status}`, { details: { status: answer.status, ...retryAfter(answer) } });
    }
    let body: unknown;
    try {
      body = JSON.parse(answer.text);
    } catch (error) {
      throw new EnrichdError("ENRICHD_MODULE_RESPONSE_INVALID", `GET ${path} answered something that is not JSON`, { cause: error });
    }
    const modules = Object.freeze(parseModuleList(body, logger));
    const byName = new Map(modules.map((m) => [m.name, m]));
    cache = { at: Date.now(), modules, byName, ...(answer.server === undefined ? {} : { server: answer.server }) };
    logger.debug({ modules: modules.length }, "discovered misp-modules");
    return modules;
  }

  async function list(signal?: AbortSignal): Promise<readonly ModuleDescriptor[]> {
    assertOpen();
    if (cache !== undefined && Date.now() - cache.at < discoveryTtlMs) return cache.modules;
    // Concurrent callers share one request; each still leaves when its own signal aborts.
    discovery ??= discover().finally(() => {
      discovery = undefined;
    });
    return raceAbort(discovery, signal, "GET /modules");
  }

  async function describe(module: string, signal?: AbortSignal): Promise<ModuleDescriptor> {
    const found = (await list(signal)).find((m) => m.name === module);
    if (found === undefined) {
      throw new EnrichdError("ENRICHD_MODULE_MISSING", `misp-modules does not offer module ${module}`, { details: { module } });
    }
    return found;
  }

  /** The module's descriptor from a fresh discovery, without awaiting the list (every query asks). */
  function known(module: string): ModuleDescriptor | undefined {
    return closing === undefined && cache !== undefined && Date.now() - cache.at < discoveryTtlMs ? cache.byName.get(module) : undefined;
  }

  async function query(module: string, attribute: Attribute, queryOptions: QueryOptions = {}): Promise<ModuleResult> {
    const started = performance.now();
    const details = { module, attributeType: attribute.type, value: attribute.value };
    const { signal } = queryOptions;
    // Errors before the server is asked are counted here; a call counts its own outcome.
    let asked = false;
    let called = false;
    try {
      const descriptor = known(module) ?? (await describe(module, signal));
      if (descriptor.inputTypes.length > 0 && !descriptor.inputTypes.includes(attribute.type)) {
        throw new EnrichdError("ENRICHD_MODULE_MISSING", `module ${module} does not accept attribute type ${attribute.type}`, {
          details: { ...details, inputTypes: descriptor.inputTypes },
        });
      }
      const config = configFor(descriptor, module, queryOptions.config);
      const body = buildQueryBody({
        module,
        format: descriptor.format,
        attribute,
        config,
        timeoutSeconds,
        eventId: queryOptions.eventId ?? (attribute.eventId > 0 ? attribute.eventId : undefined),
      });
      const path = `${base.path}/query`;
      // A 200 answer's text as this attribute's result: for the call's own answer, and for one the cache kept.
      const read = (text: string): ModuleResult => normaliseResult(module, descriptor.format, attribute, readQueryBody(text, details));
      // One call to the server; the cache may share it between identical queries or skip it.
      const call = async (callSignal?: AbortSignal): Promise<FetchedAnswer> => {
        called = true;
        assertOpen(); // close() may have run while the descriptor was fetched
        const callStarted = performance.now();
        try {
          const post = (): Promise<HttpAnswer> =>
            send({ dispatcher, origin: base.origin, path, method: "POST", body: JSON.stringify(body), timeoutMs, signal: callSignal, details });
          const answer = await limiter.run(post, callSignal).catch((error: unknown) => {
            if (error instanceof EnrichdError) throw error;
            throw abortedError(`POST ${path}`, details, error); // aborted while waiting for a slot
          });
          checkQueryStatus(answer, details);
          const result = read(answer.text);
          metrics.inc(MODULE_QUERIES_METRIC, labels({ module, outcome: "ok" }));
          return { text: answer.text, result };
        } catch (error) {
          metrics.inc(MODULE_QUERIES_METRIC, labels({ module, outcome: OUTCOMES[errorCode(error)] ?? "failed" }));
          throw error;
        } finally {
          metrics.observe(DURATION_METRIC, (performance.now() - callStarted) / 1000, labels({ module }));
        }
      };
      asked = true;
      const result = options.cache
        ? await options.cache.query({ module, type: attribute.type, value: attribute.value, config, attributeUuid: attribute.uuid }, call, read, signal)
        : (await call(signal)).result;
      if (logger.isLevelEnabled("debug")) {
        logger.debug(
          { module, attributeUuid: attribute.uuid, durationMs: Math.round(performance.now() - started), objects: result.objects.length, called },
          "module answered",
        );
      }
      return result;
    } catch (error) {
      const code = errorCode(error);
      if (!asked) metrics.inc(MODULE_QUERIES_METRIC, { module, outcome: OUTCOMES[code] ?? "failed" });
      logger.debug(
        { module, attributeUuid: attribute.uuid, durationMs: Math.round(performance.now() - started), code },
        "module query failed",
      );
      throw error;
    }
  }

  function assertOpen(): void {
    if (closing !== undefined) {
      // Retriable: the work never ran, so a spool can hand it to the next process.
      throw new EnrichdError("ENRICHD_MODULE_UNAVAILABLE", "the modules client is closed");
    }
  }

  return {
    list,
    describe,
    query,
    serverHeader: () => cache?.server,
    close() {
      closing ??= (async () => {
        limiter.clear(new EnrichdError("ENRICHD_MODULE_UNAVAILABLE", "the modules client closed before the query was sent"));
        // Pool.close() lets calls in flight finish; each is bounded by timeoutMs.
        if (ownsDispatcher) await dispatcher.close();
      })();
      return closing;
    },
  };
}

function parseBaseUrl(url: string): { origin: string; path: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    // The value is not echoed: a URL may carry credentials.
    throw new EnrichdError("ENRICHD_CONFIG_INVALID", "modules.url is not an absolute URL", { cause: error });
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new EnrichdError("ENRICHD_CONFIG_INVALID", `modules.url must be http or https, got ${parsed.protocol}`);
  }
  return { origin: parsed.origin, path: parsed.pathname.replace(/\/+$/, "") };
}

/** Waits for a shared promise but gives up alone when this caller's signal aborts. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(abortedError(what, {}, signal.reason));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortedError(what, {}, signal.reason));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
