// The bus the config names (`bus.type`): a ZeroMQ SUB socket or a Kafka consumer group, with the
// settings of `bus.zmq` or `bus.kafka`.

import { readFileSync } from "node:fs";
import type { Config } from "../config/schema.js";
import type { TopicTable } from "../decode/topic.js";
import { MESSAGE_KINDS, type MessageKind } from "../decode/types.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics/metrics.js";
import { createKafkaBus } from "./kafka.js";
import type { Bus } from "./types.js";
import { createZmqBus } from "./zmq.js";

export interface CreateBusOptions {
  readonly topics: TopicTable;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** ZeroMQ: called when frames arrive again after a silence (the daemon backfills then). */
  readonly onResume?: (reason: string) => void;
}

export function createBus(config: Config, options: CreateBusOptions): Bus {
  const { topics, logger, metrics } = options;
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
      metrics,
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
    ...(options.onResume ? { onResume: options.onResume } : {}),
  });
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
