// The daemon, built from a validated Config: the subscribers, the MISP and module clients, the
// ledgers, the pipeline, the backfill and a bus factory. `run`, `replay` and `demo` all start here,
// so they behave alike; this file only composes.

import { join } from "node:path";
import { createWebhookSender } from "./actions/webhook.js";
import { backfillTypes, createBackfill, type Backfill } from "./bus/backfill.js";
import { createBus } from "./bus/create-bus.js";
import type { Bus } from "./bus/types.js";
import type { Config } from "./config/schema.js";
import { errorMessage } from "./errors.js";
import type { Logger } from "./log.js";
import { createMetrics, type Metrics } from "./metrics/metrics.js";
import { createMispClientFromConfig } from "./misp/client-from-config.js";
import { createEchoGuard } from "./misp/echo-guard.js";
import { guardMispClient } from "./misp/guarded-client.js";
import { createTagLocality } from "./misp/tag-locality.js";
import type { MispClient, RestCall } from "./misp/types.js";
import { createMispWriter } from "./misp/writer.js";
import { createModulesClient } from "./modules/client.js";
import type { ModulesClient } from "./modules/types.js";
import { createPipeline, type Pipeline } from "./pipeline/pipeline.js";
import { createRouting } from "./route/routing.js";
import { openLedgers } from "./state/ledgers.js";
import { loadConfiguredSubscribers, type LoadedSubscriber } from "./subscriber/load.js";

export interface Daemon {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly pipeline: Pipeline;
  readonly subscribers: readonly LoadedSubscriber[];
  readonly modules: ModulesClient;
  /** Guarded: the echo guard learns every write, tag locality applies. */
  readonly misp: MispClient;
  /** Calls recorded in dry-run mode, in order. */
  readonly dryRunCalls: readonly RestCall[];
  /** Gap backfill; `run` triggers it at start-up, on bus resume and periodically. */
  readonly backfill: Backfill;
  /** A bus as the config describes it, feeding nothing until `pipeline.run(bus)`. */
  createBus(): Bus;
  /** Checks each subscriber's modules against `/modules`; logs one line per problem. Returns the problems. */
  checkModules(signal?: AbortSignal): Promise<string[]>;
  /** Stops the pipeline, then closes the clients and the ledgers. Idempotent. */
  close(): Promise<void>;
}

export interface CreateDaemonOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics?: Metrics;
}

export async function createDaemon(options: CreateDaemonOptions): Promise<Daemon> {
  const { config, logger } = options;
  const metrics = options.metrics ?? createMetrics();
  const subscribers = await loadConfiguredSubscribers(config);
  const routes = subscribers.flatMap((s) => s.handlers);
  const routing = createRouting({ config, routes });
  const { client: rawMisp, dryRunCalls } = createMispClientFromConfig(config, { logger, metrics });
  const ledgers = openLedgers(config);
  const echoGuard = createEchoGuard({ own: ledgers.own, commentPrefix: config.misp.commentPrefix });
  const tagLocality = createTagLocality(config.misp.tagLocality, logger);
  const misp = tagLocality.wrap(guardMispClient(rawMisp, echoGuard));
  const modules = createModulesClient({
    url: config.modules.url,
    timeoutMs: config.modules.timeoutMs,
    concurrency: config.modules.concurrency,
    moduleConfig: config.modules.config,
    logger,
    metrics,
  });
  const writer = createMispWriter({
    client: misp,
    logger,
    metrics,
    commentPrefix: config.misp.commentPrefix,
    tagLocal: tagLocality.local,
    referenceLedger: ledgers.references,
    dryRun: config.dryRun,
  });
  const webhook = createWebhookSender({ logger, dryRun: config.dryRun });
  const tools = { modules, writer, misp, webhook, tagLocal: tagLocality.local, dryRun: config.dryRun, distribution: config.misp.distribution };
  const pipeline = createPipeline({
    logger,
    metrics,
    routing,
    echoGuard,
    tools,
    handled: ledgers.handled,
    stateDir: config.state.dir,
    settings: config.pipeline,
    observe: (message) => backfill.observe(message),
  });
  const types = backfillTypes(routes);
  const backfill = createBackfill({
    misp,
    sink: pipeline.accept,
    logger,
    metrics,
    ...(config.dryRun ? {} : { file: join(config.state.dir, "backfill.json") }),
    ...(types ? { types } : {}),
    overlapSeconds: config.backfill.overlapSeconds,
    maxAgeSeconds: config.backfill.maxAgeSeconds,
  });
  const onResume = config.backfill.enabled ? (reason: string): void => void backfill.run(reason) : undefined;

  let closing: Promise<void> | undefined;
  return {
    config,
    logger,
    metrics,
    pipeline,
    subscribers,
    modules,
    misp,
    dryRunCalls,
    backfill,
    createBus: () => createBus(config, { topics: routing.topics, logger, metrics, ...(onResume ? { onResume } : {}) }),
    checkModules: (signal) => checkModules(subscribers, modules, logger, config.modules.url, signal),
    close() {
      closing ??= (async () => {
        await pipeline.stop();
        await Promise.allSettled([modules.close(), rawMisp.close(), backfill.flush()]);
        ledgers.close();
      })();
      return closing;
    },
  };
}

async function checkModules(subscribers: readonly LoadedSubscriber[], modules: ModulesClient, logger: Logger, modulesUrl: string, signal?: AbortSignal): Promise<string[]> {
  const problems: string[] = [];
  for (const sub of subscribers) {
    for (const need of sub.modules) {
      try {
        const module = await modules.describe(need.module, signal);
        const refused = need.types.filter((t) => !module.inputTypes.includes(t));
        if (refused.length > 0) {
          problems.push(`subscriber ${sub.name}: module ${need.module} does not accept ${refused.join(", ")} (it takes ${module.inputTypes.join(", ")})`);
        }
      } catch (error) {
        problems.push(`subscriber ${sub.name}: module ${need.module}: ${errorMessage(error)}`);
      }
    }
  }
  for (const problem of problems) logger.error({ modulesUrl }, problem);
  return problems;
}
