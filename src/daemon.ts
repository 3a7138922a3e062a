// The daemon, built from a validated Config: the subscribers, the MISP and module clients behind
// their circuit breakers, the ledgers, the pipeline, the backfill and a bus factory. `run`, `replay`
// and `demo` all start here, so they behave alike; this file only composes.

import { join } from "node:path";
import { createWebhookSender } from "./actions/webhook.js";
import { backfillTypes, createBackfill, type Backfill } from "./bus/backfill.js";
import { createBus } from "./bus/create-bus.js";
import type { Bus } from "./bus/types.js";
import { createCircuitBreaker, type CircuitBreaker } from "./circuit-breaker.js";
import type { Config } from "./config/schema.js";
import { EnrichdError, errorMessage } from "./errors.js";
import { judgeHealth, judgeReadiness, type HealthFacts } from "./health.js";
import type { Logger } from "./log.js";
import { createMetrics, type Metrics } from "./metrics/metrics.js";
import type { Verdict } from "./metrics/server.js";
import { createMispClientFromConfig } from "./misp/client-from-config.js";
import { createEchoGuard } from "./misp/echo-guard.js";
import { guardMispClient } from "./misp/guarded-client.js";
import { createReadCache } from "./misp/read-cache.js";
import { createTagLocality } from "./misp/tag-locality.js";
import type { MispClient, RestCall } from "./misp/types.js";
import { createMispWriter } from "./misp/writer.js";
import { createModulesClientFromConfig } from "./modules/client-from-config.js";
import { judgeModuleConfig } from "./modules/declared-config.js";
import { judgeNeeds, type ModuleUser } from "./modules/needs.js";
import type { ModulesClient } from "./modules/types.js";
import { createPipeline, type Pipeline } from "./pipeline/pipeline.js";
import { createDecoder } from "./decode/decoder.js";
import type { MessageKind } from "./decode/types.js";
import { createRouting, type Routing } from "./route/routing.js";
import { compileRules } from "./rules/compile.js";
import { ruleLoopNodes, subscriberLoopNode, unsafeLoops } from "./rules/loops.js";
import { ruleModuleUsers } from "./rules/modules.js";
import { createOnceMarks } from "./rules/once.js";
import { ruleRoutes } from "./rules/run.js";
import { createRuleScheduler, type RuleScheduler } from "./rules/schedule.js";
import type { CompiledRule } from "./rules/types.js";
import { importLegacyDeadLetters } from "./state/dead-letter.js";
import { openLedgers, type LedgerWriter } from "./state/ledgers.js";
import { loadConfiguredSubscribers, type LoadedSubscriber } from "./subscriber/load.js";
import type { Handler, RegisteredHandler } from "./subscriber/types.js";

export interface Daemon {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly pipeline: Pipeline;
  readonly subscribers: readonly LoadedSubscriber[];
  readonly rules: readonly CompiledRule[];
  /** The routes the pipeline runs: every subscriber's and rule's (those `routeFilter` kept). */
  readonly routes: readonly RegisteredHandler[];
  readonly modules: ModulesClient;
  /** Guarded: the echo guard learns every write, tag locality applies. */
  readonly misp: MispClient;
  /** Calls recorded in dry-run mode, in order. */
  readonly dryRunCalls: readonly RestCall[];
  /** Gap backfill; `run` triggers it at start-up, on bus resume and periodically. */
  readonly backfill: Backfill;
  /** Scheduled rules; `run` ticks it every `scheduler.tickMs` (a first sweep at start-up when one is due). */
  readonly scheduler: RuleScheduler;
  /** One per peer: MISP, the module server. */
  readonly breakers: readonly CircuitBreaker[];
  /** A bus as the config describes it, feeding nothing until `run(bus)` (or `pipeline.run(bus)`). */
  createBus(): Bus;
  /**
   * Runs the service on a bus until `close()`: spooled work is re-driven once at once (and every
   * `pipeline.spoolRetryMs` by the pipeline), the gap backfill runs at start-up, every
   * `backfill.intervalMs` and once the pipeline is idle after it was full, when enabled.
   */
  run(bus: Bus): Promise<void>;
  /** Checks each subscriber's modules and `modules.config`'s keys against `/modules`; logs one line per problem. Returns the problems. */
  checkModules(signal?: AbortSignal): Promise<string[]>;
  /** /healthz: the bus heard from, no breaker open, room in the spool. */
  health(): Verdict;
  /** /readyz: subscribers loaded and the bus connected. */
  readiness(): Verdict;
  /** Stops the pipeline, then closes the clients and the ledgers. Idempotent. */
  close(): Promise<void>;
}

/**
 * What a config compiles to before anything is opened or connected: the subscribers, their routing
 * and the rules. Everything a config can get wrong belongs here, so that a reload (SIGHUP) finds it
 * while the running daemon still runs.
 */
export interface CompiledConfig {
  readonly config: Config;
  readonly subscribers: readonly LoadedSubscriber[];
  /** The subscribers' routes; the daemon adds the rules' (bound to its clients) when there are any. */
  readonly routing: Routing<Handler<MessageKind>>;
  readonly rules: readonly CompiledRule[];
}

/** Throws ENRICHD_SUBSCRIBER_INVALID or ENRICHD_CONFIG_INVALID naming what is wrong. */
export async function compileConfig(config: Config, env: Readonly<Record<string, string | undefined>> = process.env): Promise<CompiledConfig> {
  const subscribers = await loadConfiguredSubscribers(config);
  const routing = createRouting({ config, routes: subscribers.flatMap((s) => s.handlers) });
  return { config, subscribers, routing, rules: compileConfiguredRules(config, subscribers, env) };
}

/** Throws ENRICHD_CONFIG_INVALID listing every problem of every rule, each naming the rule and the key. */
export function compileConfiguredRules(config: Config, subscribers: readonly LoadedSubscriber[], env: Readonly<Record<string, string | undefined>> = process.env): readonly CompiledRule[] {
  const { rules, problems } = compileRules(config, { env, subscriberNames: subscribers.map((s) => s.name) });
  if (problems.length > 0) {
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    throw new EnrichdError("ENRICHD_CONFIG_INVALID", `invalid configuration: ${count} in rules: ${problems.join("; ")}`, { details: { problems } });
  }
  return rules;
}

export interface CreateDaemonOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** `compileConfig(config)`, when the caller already did it (a reload validates first). */
  readonly compiled?: CompiledConfig;
  /** Where rules read `env.X`; defaults to process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Which ledger files it writes: `manual` for `misp-enrichd enrich` beside a running daemon. */
  readonly writer?: LedgerWriter;
  /** Keeps only these routes (`enrich` keeps the attribute:add ones); default: all. */
  readonly routeFilter?: (route: RegisteredHandler) => boolean;
  /** Epoch seconds for the rule scheduler; tests pass their own clock. */
  readonly now?: () => number;
}

export async function createDaemon(options: CreateDaemonOptions): Promise<Daemon> {
  const { config, logger } = options;
  const metrics = options.metrics ?? createMetrics();
  const compiled = options.compiled ?? (await compileConfig(config, options.env));
  const { subscribers, rules } = compiled;
  const globalTags = config.misp.tagLocality !== "local";
  for (const loop of unsafeLoops([...subscribers.map((s) => subscriberLoopNode(s, globalTags)), ...ruleLoopNodes(rules, globalTags)])) {
    logger.warn({ loop }, `rules may loop: ${loop.join(" → ")} (misp-enrichd check fails on it); pipeline.maxChainDepth will cut it`);
  }
  const breaker = (peer: string): CircuitBreaker => createCircuitBreaker({ peer, ...config.breaker, logger, metrics });
  const breakers = [breaker("misp"), breaker("modules")] as const;
  const { client: rawMisp, dryRunCalls } = createMispClientFromConfig(config, { logger, metrics, breaker: breakers[0] });
  const ledgers = openLedgers(config, logger, options.writer);
  const echoGuard = createEchoGuard({ own: ledgers.own, commentPrefix: config.misp.commentPrefix });
  const tagLocality = createTagLocality(config.misp.tagLocality, logger);
  const guarded = guardMispClient(rawMisp, echoGuard);
  const misp = tagLocality.wrap(guarded);
  const modules = createModulesClientFromConfig(config, { logger, metrics, breaker: breakers[1] });
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
  const reads = createReadCache({ client: misp });
  const tools = {
    modules,
    writer,
    misp,
    mispStrict: guarded,
    reads,
    webhook,
    tagLocal: tagLocality.local,
    dryRun: config.dryRun,
    distribution: config.misp.distribution,
  };
  const once = createOnceMarks({ ledger: ledgers.once, commentPrefix: config.misp.commentPrefix, deps: tools });
  const isOwn = (uuid: string): boolean => ledgers.own.has(uuid.toLowerCase());
  const routes = [...subscribers.flatMap((s) => s.handlers), ...ruleRoutes(rules, { reads, once, metrics, isOwn })].filter(options.routeFilter ?? (() => true));
  // The compiled routing holds the subscribers' routes: built again only when rules or a filter change them.
  const routing = rules.length === 0 && options.routeFilter === undefined ? compiled.routing : createRouting({ config, routes });
  /** True while `run` serves a live bus. */
  let serving = false;
  const pipeline = createPipeline({
    logger,
    metrics,
    routing,
    echoGuard,
    tools,
    handled: ledgers.handled,
    stateDir: config.state.dir,
    settings: config.pipeline,
    bounds: config.state,
    breakers,
    observe: (message) => backfill.observe(message),
    // Only while serving a live bus (`run`): a replay that fills the pipeline has nothing to backfill.
    onIdleAfterFull: () => {
      if (serving && config.backfill.enabled) void backfill.run("after-backpressure");
    },
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
  const scheduler = createRuleScheduler({
    rules,
    routes: new Map(routes.filter((r) => rules.some((rule) => rule.name === r.subscriber)).map((r) => [r.subscriber, r])),
    misp,
    // Its own decoder: the pipeline's drops attribute frames no route takes (the prefilter), and a
    // sweep hands each attribute to its rule directly, whatever the other routes want.
    decoder: createDecoder({ table: routing.topics, wanted: new Set(["attribute"]), maxFrameBytes: config.bus.maxFrameBytes }),
    submit: (handler, message, frame) => pipeline.submit(handler, message, frame),
    logger,
    metrics,
    ...(options.now ? { now: options.now } : {}),
    ...(config.dryRun ? {} : { file: join(config.state.dir, "schedule.json") }),
  });
  const onResume = config.backfill.enabled ? (reason: string): void => void backfill.run(reason) : undefined;

  let closing: Promise<void> | undefined;
  const facts = (): HealthFacts => {
    const running = pipeline.bus();
    return {
      now: Date.now(),
      ...(running ? { bus: { transport: running.bus.transport, status: running.bus.status(), startedAt: running.startedAt } } : {}),
      busSilenceMs: config.bus.zmq.silenceWarnMs,
      breakers: breakers.map((b) => b.status()),
      spool: pipeline.spool.usage(),
      stopping: closing !== undefined,
    };
  };
  // Gauges a scrape computes: how long the bus has been quiet, each breaker's state (open → half-open happens on reading).
  const removeCollectHook = metrics.onCollect(() => {
    for (const b of breakers) b.state();
    for (const name of ["own", "references", "handled", "once"] as const) metrics.set("misp_enrichd_ledger_entries", ledgers[name].size, { ledger: name });
    const running = pipeline.bus();
    if (!running) return;
    const { lastFrameAt } = running.bus.status();
    metrics.set("misp_enrichd_bus_last_message_age_seconds", lastFrameAt === 0 ? -1 : (Date.now() - lastFrameAt) / 1000, { transport: running.bus.transport });
  });
  return {
    config,
    logger,
    metrics,
    pipeline,
    subscribers,
    rules,
    routes,
    modules,
    misp,
    dryRunCalls,
    backfill,
    scheduler,
    breakers,
    createBus: () => createBus(config, { topics: routing.topics, logger, metrics, ...(onResume ? { onResume } : {}) }),
    async run(bus) {
      if (!config.dryRun) {
        const imported = await importLegacyDeadLetters(config.state.dir, pipeline.deadLetters).catch((error: unknown) => {
          logger.warn({ err: errorMessage(error) }, "dead-letter.jsonl of an older version could not be imported; it stays as it is");
          return 0;
        });
        if (imported > 0) logger.info({ imported, dir: pipeline.deadLetters.dir }, "dead letters of dead-letter.jsonl moved into the dead-letter folder");
      }
      pipeline.redriveSoon();
      let timer: NodeJS.Timeout | undefined;
      if (config.backfill.enabled) {
        void backfill.run("start-up");
        timer = setInterval(() => void backfill.run("periodic"), config.backfill.intervalMs);
        timer.unref();
      }
      const scheduled = rules.some((r) => r.schedule) ? setInterval(() => void scheduler.tick(), scheduler.tickMs) : undefined;
      scheduled?.unref();
      if (scheduled) void scheduler.tick();
      serving = true;
      try {
        await pipeline.run(bus);
      } finally {
        serving = false;
        clearInterval(timer);
        clearInterval(scheduled);
      }
    },
    checkModules: (signal) => checkModules(config, [...subscribers, ...ruleModuleUsers(rules)], modules, logger, signal),
    health: () => judgeHealth(facts()),
    readiness: () => judgeReadiness(facts()),
    close() {
      closing ??= (async () => {
        await pipeline.stop();
        await Promise.allSettled([modules.close(), rawMisp.close(), backfill.flush(), webhook.close()]);
        ledgers.close();
        for (const b of breakers) b.close();
        removeCollectHook();
      })();
      return closing;
    },
  };
}

/** One `/modules` read, judged for every subscriber's needs and for `modules.config`'s keys; one error line each. */
async function checkModules(config: Config, subscribers: readonly ModuleUser[], modules: ModulesClient, logger: Logger, signal?: AbortSignal): Promise<string[]> {
  const modulesUrl = config.modules.url;
  const problems: string[] = [];
  const report = (fields: Record<string, unknown>, problem: string): void => {
    problems.push(problem);
    logger.error({ modulesUrl, ...fields }, problem);
  };
  let offered;
  try {
    offered = await modules.list(signal);
  } catch (error) {
    report({}, `module server ${modulesUrl} not usable: ${errorMessage(error)}`);
    return problems;
  }
  for (const need of judgeNeeds(subscribers, offered)) {
    if (need.problem !== undefined) report({ subscriber: need.subscriber, module: need.module }, `subscriber ${need.subscriber}: ${need.problem}`);
  }
  for (const problem of judgeModuleConfig(config.modules.config, offered)) {
    report({ module: problem.module, ...(problem.key === undefined ? {} : { configKey: problem.key }) }, problem.message);
  }
  return problems;
}
