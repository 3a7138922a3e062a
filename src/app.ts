// The composition root: from a validated Config to a running daemon and its bus. `run`, `replay`
// and `demo` all start here, so they behave alike.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createWebhookSender } from "./actions/webhook.js";
import { createKafkaBus } from "./bus/kafka.js";
import type { Bus } from "./bus/types.js";
import { createZmqBus } from "./bus/zmq.js";
import type { Config } from "./config/schema.js";
import { createDaemon, type Daemon } from "./daemon.js";
import type { TopicTable } from "./decode/topic.js";
import { MESSAGE_KINDS, type MessageKind } from "./decode/types.js";
import { errorMessage } from "./errors.js";
import type { Logger } from "./log.js";
import { createMetrics, type Metrics } from "./metrics/metrics.js";
import { createMispClient } from "./misp/client.js";
import { createTagLocality } from "./misp/tag-locality.js";
import type { MispClient, RestCall } from "./misp/types.js";
import { createMispWriter } from "./misp/writer.js";
import { createModulesClient } from "./modules/client.js";
import type { ModulesClient } from "./modules/types.js";
import { createBackfill, type Backfill } from "./bus/backfill.js";
import { createEchoGuard } from "./misp/echo-guard.js";
import { guardMispClient } from "./misp/guarded-client.js";
import { createPersistentSet } from "./state/persistent-set.js";
import { BUILTIN_SUBSCRIBERS_DIR, loadSubscribers, type LoadedSubscriber } from "./subscriber/load.js";

export interface App {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly daemon: Daemon;
  readonly subscribers: readonly LoadedSubscriber[];
  readonly modules: ModulesClient;
  readonly misp: MispClient;
  /** Calls recorded in dry-run mode, in order. */
  readonly dryRunCalls: readonly RestCall[];
  createBus(): Bus;
  /** Gap backfill; `run` triggers it at start-up, on bus resume and periodically. */
  readonly backfill: Backfill;
  /** Checks each subscriber's modules against `/modules`; logs one line per problem. Returns the problems. */
  checkModules(signal?: AbortSignal): Promise<string[]>;
  close(): Promise<void>;
}

export interface CreateAppOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** Folders of subscriber files; defaults to the built-ins plus `subscribers.paths`. */
  readonly subscriberDirs?: readonly string[];
}

export function kafkaTopicMap(config: Config): Partial<Record<MessageKind, string>> {
  return (config.bus.kafka?.topics ?? {}) as Partial<Record<MessageKind, string>>;
}

export async function createApp(options: CreateAppOptions): Promise<App> {
  const { config, logger } = options;
  const metrics = options.metrics ?? createMetrics();
  const dryRunCalls: RestCall[] = [];
  const subscribers = await loadSubscribers({
    dirs: options.subscriberDirs ?? [BUILTIN_SUBSCRIBERS_DIR, ...config.subscribers.paths],
    settings: config.subscribers.settings,
  });

  const ca = config.misp.caFile ? readFileSync(config.misp.caFile, "utf8") : undefined;
  const rawMisp = createMispClient({
    url: config.misp.url,
    key: config.misp.key,
    ...(ca ? { ca } : {}),
    ...(config.misp.caFile ? { caFile: config.misp.caFile } : {}),
    rejectUnauthorized: config.misp.verifyTls,
    timeoutMs: config.misp.timeoutMs,
    logger,
    metrics,
    requestIdPrefix: `misp-enrichd-${process.pid}`,
    ...(config.dryRun
      ? {
          dryRun: {
            record(call: RestCall) {
              dryRunCalls.push(call);
            },
          },
        }
      : {}),
  });
  // In dry-run nothing is written, so nothing is remembered as written either.
  const stateDir = config.state.dir;
  const own = createPersistentSet({
    ttlSeconds: config.pipeline.echoTtlSeconds,
    ...(config.dryRun ? {} : { file: join(stateDir, "own-uuids.jsonl") }),
  });
  const references = createPersistentSet({
    ttlSeconds: 30 * 86_400,
    ...(config.dryRun ? {} : { file: join(stateDir, "references.jsonl") }),
  });
  const handled = createPersistentSet({
    ttlSeconds: config.pipeline.echoTtlSeconds,
    ...(config.dryRun ? {} : { file: join(stateDir, "handled.jsonl") }),
  });
  const echoGuard = createEchoGuard({ own, commentPrefix: config.misp.commentPrefix });
  const tagLocality = createTagLocality(config.misp.tagLocality, logger);
  const misp = tagLocality.wrap(guardMispClient(rawMisp, echoGuard));
  const writer = createMispWriter({
    client: misp,
    logger,
    metrics,
    commentPrefix: config.misp.commentPrefix,
    tagLocal: tagLocality.local,
    referenceLedger: references,
    dryRun: config.dryRun,
  });
  const modules = createModulesClient({
    url: config.modules.url,
    timeoutMs: config.modules.timeoutMs,
    concurrency: config.modules.concurrency,
    moduleConfig: config.modules.config,
    logger,
    metrics,
  });
  const webhook = createWebhookSender({ logger, dryRun: config.dryRun });
  const daemon = createDaemon({
    logger,
    metrics,
    subscribers,
    modules,
    misp,
    writer,
    webhook,
    echoGuard,
    handled,
    tagLocal: tagLocality.local,
    stateDir,
    dryRun: config.dryRun,
    distribution: config.misp.distribution,
    kafkaTopics: kafkaTopicMap(config),
    pipeline: config.pipeline,
    maxFrameBytes: config.bus.maxFrameBytes,
    observe: (message) => backfill.observe(message),
  });
  const backfill = createBackfill({
    misp,
    sink: (frame) => daemon.accept(frame),
    logger,
    metrics,
    ...(config.dryRun ? {} : { file: join(stateDir, "backfill.json") }),
    ...(backfillTypes(subscribers) ? { types: backfillTypes(subscribers) } : {}),
    overlapSeconds: config.backfill.overlapSeconds,
    maxAgeSeconds: config.backfill.maxAgeSeconds,
  });

  let closing: Promise<void> | undefined;
  return {
    config,
    logger,
    metrics,
    daemon,
    subscribers,
    modules,
    misp,
    dryRunCalls,
    backfill,
    createBus: () => createBus(config, daemon.topics, logger, metrics, config.backfill.enabled ? (reason) => void backfill.run(reason) : undefined),
    async checkModules(signal) {
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
      for (const problem of problems) logger.error({ modulesUrl: config.modules.url }, problem);
      return problems;
    },
    close() {
      closing ??= (async () => {
        await daemon.stop();
        await Promise.allSettled([modules.close(), rawMisp.close(), backfill.flush()]);
        for (const set of [own, references, handled]) set.close();
      })();
      return closing;
    },
  };
}

/** kind → Kafka topic name, defaults merged with `bus.kafka.topics`. */
function kafkaTopicsByKind(topics: TopicTable): Partial<Record<MessageKind, string>> {
  const out: Partial<Record<MessageKind, string>> = {};
  for (const kind of MESSAGE_KINDS) {
    const [topic] = topics.kafkaTopicsFor(new Set([kind]));
    if (topic) out[kind] = topic;
  }
  return out;
}

/** The attribute types worth backfilling: undefined (all) unless every attribute route names its types. */
export function backfillTypes(subscribers: readonly LoadedSubscriber[]): string[] | undefined {
  const types = new Set<string>();
  for (const handler of subscribers.flatMap((s) => s.handlers)) {
    if (!handler.queries.some((q) => q === "attribute" || q.startsWith("attribute:"))) continue;
    const wanted = handler.where.type;
    if (wanted === undefined) return undefined;
    for (const t of typeof wanted === "string" ? [wanted] : wanted) types.add(t);
  }
  return types.size > 0 ? [...types] : undefined;
}

export function createBus(config: Config, topics: TopicTable, logger: Logger, metrics: Metrics, onResume?: (reason: string) => void): Bus {
  if (config.bus.type === "kafka") {
    const kafka = config.bus.kafka;
    if (!kafka) throw new Error("bus.kafka is required for bus.type kafka (validated at load)");
    return createKafkaBus({
      brokers: kafka.brokers,
      clientId: kafka.clientId,
      groupId: kafka.groupId,
      fromBeginning: kafka.fromBeginning,
      topics: kafkaTopicsByKind(topics),
      ssl:
        typeof kafka.ssl === "boolean"
          ? kafka.ssl
          : { rejectUnauthorized: kafka.ssl.rejectUnauthorized, ...(kafka.ssl.caFile ? { ca: readFileSync(kafka.ssl.caFile, "utf8") } : {}) },
      ...(kafka.sasl ? { sasl: kafka.sasl } : {}),
      sessionTimeoutMs: kafka.sessionTimeoutMs,
      heartbeatIntervalMs: kafka.heartbeatIntervalMs,
      drainTimeoutMs: config.pipeline.drainTimeoutMs,
      logger,
    });
  }
  const zmq = config.bus.zmq;
  return createZmqBus({
    url: zmq.url,
    ...(zmq.username ? { username: zmq.username, password: zmq.password ?? "" } : {}),
    silenceWarnMs: zmq.silenceWarnMs,
    reconnectIntervalMs: zmq.reconnectIntervalMs,
    receiveHighWaterMark: zmq.receiveHighWaterMark,
    subscriptions: (kinds) => topics.zmqSubscriptions(kinds),
    logger,
    metrics,
    ...(onResume ? { onResume } : {}),
  });
}
