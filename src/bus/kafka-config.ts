// Options of the Kafka bus, their defaults, and how they become a kafkajs client configuration.
// kafkajs logs go through our pino logger, one level quieter than kafkajs rates them: its
// "errors" during a broker restart or a rebalance are retried by kafkajs itself.

import kafkajs, { logLevel, type KafkaConfig, type LogEntry, type RetryOptions, type SASLOptions } from "kafkajs";
import type { MessageKind } from "../decode/types.js";
import { EnrichdError } from "../errors.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics/metrics.js";

export { DEFAULT_KAFKA_TOPICS } from "../decode/topic.js";

export interface KafkaSaslOptions {
  readonly mechanism: "plain" | "scram-sha-256" | "scram-sha-512";
  readonly username: string;
  readonly password: string;
}

export interface KafkaBusOptions {
  /** `host:port` each; IPv6 literals are not understood by kafkajs. */
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly groupId: string;
  /** Kind → Kafka topic name. Kinds without a topic are not read from Kafka. */
  readonly topics: Readonly<Partial<Record<MessageKind, string>>>;
  /** Where a group without committed offsets starts: the oldest retained message, or new ones only. */
  readonly fromBeginning: boolean;
  /** `true` for TLS with the system CAs; `ca` is PEM text. */
  readonly ssl?: boolean | { readonly ca?: string; readonly rejectUnauthorized?: boolean };
  readonly sasl?: KafkaSaslOptions;
  /** Default 30000. The broker's minimum is 6000. */
  readonly sessionTimeoutMs?: number;
  /** Default 3000; must be below sessionTimeoutMs. */
  readonly heartbeatIntervalMs?: number;
  /** Unfinished messages per partition before the partition is paused. Default 256. */
  readonly maxInFlight?: number;
  /** How long close() waits for in-flight messages before committing what finished. Default 10000. */
  readonly drainTimeoutMs?: number;
  /** First and longest delay between kafkajs retries (connections, commits). Defaults 300 / 30000. */
  readonly retryInitialMs?: number;
  readonly retryMaxMs?: number;
  /** How often topics that do not exist yet are looked for again. Default 30000. */
  readonly topicRetryMs?: number;
  /** Longest a fetch waits on the broker for data; also bounds how late a resumed partition is read. Default 1000. */
  readonly maxWaitTimeMs?: number;
  /** How often the consumer lag is measured (kafka-lag.ts), when `metrics` is given. */
  readonly lagIntervalMs?: number;
  readonly logger: Logger;
  readonly metrics?: Metrics;
}

export type ResolvedKafkaBusOptions = Required<Omit<KafkaBusOptions, "ssl" | "sasl" | "metrics">> & Pick<KafkaBusOptions, "ssl" | "sasl" | "metrics">;

export function resolveKafkaBusOptions(options: KafkaBusOptions): ResolvedKafkaBusOptions {
  const resolved: ResolvedKafkaBusOptions = {
    ...options,
    sessionTimeoutMs: options.sessionTimeoutMs ?? 30_000,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 3_000,
    maxInFlight: options.maxInFlight ?? 256,
    drainTimeoutMs: options.drainTimeoutMs ?? 10_000,
    retryInitialMs: options.retryInitialMs ?? 300,
    retryMaxMs: options.retryMaxMs ?? 30_000,
    topicRetryMs: options.topicRetryMs ?? 30_000,
    maxWaitTimeMs: options.maxWaitTimeMs ?? 1_000,
    lagIntervalMs: options.lagIntervalMs ?? 30_000,
  };
  const problems: string[] = [];
  if (resolved.brokers.length === 0) problems.push("brokers: at least one host:port is required");
  if (resolved.groupId === "") problems.push("groupId: must not be empty");
  if (!Number.isInteger(resolved.maxInFlight) || resolved.maxInFlight < 1) problems.push("maxInFlight: must be an integer ≥ 1");
  if (resolved.heartbeatIntervalMs >= resolved.sessionTimeoutMs) problems.push("heartbeatIntervalMs: must be below sessionTimeoutMs");
  if (problems.length > 0) {
    throw new EnrichdError("ENRICHD_CONFIG_INVALID", `invalid Kafka bus options: ${problems.join("; ")}`, { details: { problems } });
  }
  return resolved;
}

export function kafkaRetry(options: ResolvedKafkaBusOptions): RetryOptions {
  // Explicit, so behaviour does not change under NODE_ENV=test (kafkajs swaps its defaults there).
  return { initialRetryTime: options.retryInitialMs, maxRetryTime: options.retryMaxMs, retries: 5, factor: 0.2, multiplier: 2 };
}

export function toKafkaConfig(options: ResolvedKafkaBusOptions, logger: Logger): KafkaConfig {
  const config: KafkaConfig = {
    clientId: options.clientId,
    brokers: [...options.brokers],
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    retry: kafkaRetry(options),
    logLevel: logger.isLevelEnabled("trace") ? logLevel.DEBUG : logger.isLevelEnabled("debug") ? logLevel.INFO : logLevel.WARN,
    logCreator: () => kafkajsLogEntry(logger.child({ component: "kafkajs" })),
  };
  if (options.ssl === true) config.ssl = true;
  else if (typeof options.ssl === "object") {
    config.ssl = {
      ...(options.ssl.ca === undefined ? {} : { ca: [options.ssl.ca] }),
      ...(options.ssl.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: options.ssl.rejectUnauthorized }),
    };
  }
  if (options.sasl !== undefined) {
    const { mechanism, username, password } = options.sasl;
    config.sasl = { mechanism, username, password } as SASLOptions;
  }
  return config;
}

/** For logs and `Bus.describe`: never the password. */
export function describeKafka(options: ResolvedKafkaBusOptions): string {
  const security = [
    options.ssl === undefined || options.ssl === false ? "" : " tls",
    options.sasl === undefined ? "" : ` sasl/${options.sasl.mechanism} as ${options.sasl.username}`,
  ].join("");
  return `kafka ${options.brokers.join(",")} group ${options.groupId}${security}`;
}

function kafkajsLogEntry(logger: Logger): (entry: LogEntry) => void {
  return ({ namespace, level, log }) => {
    const { message, timestamp: _timestamp, logger: _logger, stack: _stack, ...fields } = log;
    const line = { namespace, ...fields };
    if (level <= logLevel.WARN) logger.warn(line, message);
    else if (level === logLevel.INFO) logger.debug(line, message);
    else logger.trace(line, message);
  };
}

/**
 * Errors that no reconnect can fix: refused credentials or permissions, a protocol the broker does not
 * speak. kafkajs judges every error it raises (`retriable`) and wraps one it gave up on, keeping the
 * original as `cause`; so the original decides, as it does for kafkajs's own consumer restarts. Among
 * the non-retriable ones, kafkajs's own waits that ran out (a lock, a request) and a group coordinator
 * not found belong to a broker that is starting: another consumer will do. (kafkajs itself retries a
 * rebalance, wrapped in a retriable error.)
 */
// kafkajs spreads its error classes into module.exports, which Node's ESM import cannot name.
const { KafkaJSError, KafkaJSGroupCoordinatorNotFound, KafkaJSNumberOfRetriesExceeded, KafkaJSTimeout } = kafkajs;

export function isPermanentKafkaError(error: unknown): boolean {
  let original: unknown = error;
  for (let depth = 0; depth < 8; depth += 1) {
    // Retries ran out on something kafkajs found worth retrying: the broker may come back.
    if (original instanceof KafkaJSNumberOfRetriesExceeded) return false;
    const cause = original instanceof Error ? original.cause : undefined;
    if (cause === undefined || cause === original) break;
    original = cause;
  }
  if (!(original instanceof KafkaJSError) || original.retriable) return false;
  return !(original instanceof KafkaJSTimeout || original instanceof KafkaJSGroupCoordinatorNotFound);
}
