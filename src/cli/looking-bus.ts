// The bus for verbs that only look (`tail`, `check`): the daemon's own transport and settings, but
// on Kafka a throwaway consumer group of its own, so the daemon's committed offsets and partition
// assignment are never touched (a shared group would steal partitions and commit past its work).

import { randomUUID } from "node:crypto";
import { createBus } from "../bus/create-bus.js";
import type { Bus } from "../bus/types.js";
import type { Config } from "../config/schema.js";
import type { TopicTable } from "../decode/topic.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics/metrics.js";
import { topicTableFor } from "../route/routing.js";

export interface LookingBus {
  readonly bus: Bus;
  readonly topics: TopicTable;
}

export interface LookingBusOptions {
  /** Kafka: read the topics from their oldest retained message instead of new ones only. */
  readonly fromBeginning?: boolean;
}

export function createLookingBus(config: Config, verb: "tail" | "check", logger: Logger, metrics: Metrics, options: LookingBusOptions = {}): LookingBus {
  const topics = topicTableFor(config);
  const kafka = config.bus.kafka;
  // A new group has no committed offsets: like `tail -f`, it starts at the newest message unless asked.
  const groupId = `${kafka?.groupId ?? "misp-enrichd"}-${verb}-${randomUUID()}`;
  const looking: Config = kafka ? { ...config, bus: { ...config.bus, kafka: { ...kafka, groupId, fromBeginning: options.fromBeginning ?? false } } } : config;
  return { bus: createBus(looking, { topics, logger, metrics }), topics };
}
