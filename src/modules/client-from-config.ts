// The modules client as the config describes it (URL, timeout, concurrency, per-module config, the
// result cache), built the same way for the daemon, `check` and `modules`.

import type { CircuitBreaker } from "../circuit-breaker.js";
import type { Config } from "../config/schema.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics/metrics.js";
import { createResultCache } from "./cache.js";
import { createModulesClient } from "./client.js";
import type { ModulesClient } from "./types.js";

export interface ModulesClientSetup {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Overrides `modules.concurrency`: the verbs that only list modules need one connection. */
  readonly concurrency?: number;
  /** The daemon's breaker for the module server; the verbs that only list modules call without one. */
  readonly breaker?: CircuitBreaker;
}

export function createModulesClientFromConfig(config: Config, setup: ModulesClientSetup): ModulesClient {
  return createModulesClient({
    url: config.modules.url,
    timeoutMs: config.modules.timeoutMs,
    concurrency: setup.concurrency ?? config.modules.concurrency,
    moduleConfig: config.modules.config,
    logger: setup.logger,
    metrics: setup.metrics,
    ...(setup.breaker ? { breaker: setup.breaker } : {}),
    cache: createResultCache({ ...config.modules.cache, metrics: setup.metrics }),
  });
}
