// The MISP client as the config describes it (URL, key, CA file, TLS, timeout, dry-run), built the
// same way for the daemon and for `check`.

import { readFileSync } from "node:fs";
import type { CircuitBreaker } from "../circuit-breaker.js";
import type { Config } from "../config/schema.js";
import { EnrichdError, errorMessage } from "../errors.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics/metrics.js";
import { createMispClient } from "./client.js";
import type { MispClient, RestCall } from "./types.js";

export interface MispClientSetup {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Names the caller in `X-Request-ID`: `misp-enrichd[-<purpose>]-<pid>-<n>`. */
  readonly purpose?: string;
  /** Overrides `config.dryRun`: `check` must reach MISP even when the daemon is set to dry-run. */
  readonly dryRun?: boolean;
  /** The daemon's MISP breaker; `check` calls without one. */
  readonly breaker?: CircuitBreaker;
}

export interface ConfiguredMispClient {
  readonly client: MispClient;
  /** Writes recorded instead of sent, in order (dry-run only). */
  readonly dryRunCalls: readonly RestCall[];
}

/** Throws ENRICHD_CONFIG_INVALID when `misp.caFile` cannot be read. */
export function createMispClientFromConfig(config: Config, setup: MispClientSetup): ConfiguredMispClient {
  const { caFile } = config.misp;
  let ca: string | undefined;
  try {
    ca = caFile ? readFileSync(caFile, "utf8") : undefined;
  } catch (error) {
    throw new EnrichdError("ENRICHD_CONFIG_INVALID", `misp.caFile cannot be read: ${errorMessage(error)}`, { cause: error, details: { caFile } });
  }
  const dryRunCalls: RestCall[] = [];
  const client = createMispClient({
    url: config.misp.url,
    key: config.misp.key,
    ...(ca ? { ca } : {}),
    ...(caFile ? { caFile } : {}),
    rejectUnauthorized: config.misp.verifyTls,
    timeoutMs: config.misp.timeoutMs,
    logger: setup.logger,
    metrics: setup.metrics,
    requestIdPrefix: `misp-enrichd-${setup.purpose ? `${setup.purpose}-` : ""}${process.pid}`,
    ...((setup.dryRun ?? config.dryRun) ? { dryRun: { record: (call: RestCall) => void dryRunCalls.push(call) } } : {}),
    ...(setup.breaker ? { breaker: setup.breaker } : {}),
  });
  return { client, dryRunCalls };
}
