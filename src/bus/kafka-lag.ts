// Kafka consumer lag, per partition: how many messages of each topic the group has not committed
// yet (the end offset minus the committed one; minus the first offset where nothing is committed).
// Two cheap admin requests per topic every `intervalMs`, on an admin client of its own; a failed
// round is logged at debug and tried again at the next one. Labelled by kind, never by topic.

import type { Admin, Kafka } from "kafkajs";
import type { MessageKind } from "../decode/types.js";
import { errorMessage } from "../errors.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics/metrics.js";

export const LAG_METRIC = "misp_enrichd_kafka_consumer_lag";

export interface KafkaLagOptions {
  readonly kafka: Kafka;
  readonly groupId: string;
  /** kind → topic, as the bus reads them. */
  readonly topics: Readonly<Partial<Record<MessageKind, string>>>;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly intervalMs: number;
}

export interface KafkaLagWatch {
  /** Measures once now (also what the timer does). */
  measure(): Promise<void>;
  stop(): Promise<void>;
}

/** Lag of one partition: what lies between the committed offset (or the first one) and the end. */
export function partitionLag(high: string, low: string, committed: string | undefined): number {
  const end = Number(high);
  const from = committed !== undefined && Number(committed) >= 0 ? Number(committed) : Number(low);
  return Math.max(0, end - from);
}

export function watchKafkaLag(options: KafkaLagOptions): KafkaLagWatch {
  const { metrics, log, groupId } = options;
  const entries = Object.entries(options.topics) as [MessageKind, string][];
  let admin: Admin | undefined;
  let stopped = false;
  let round: Promise<void> = Promise.resolve();

  async function connected(): Promise<Admin> {
    if (admin) return admin;
    const next = options.kafka.admin();
    await next.connect();
    admin = next;
    return next;
  }

  async function once(): Promise<void> {
    if (stopped || entries.length === 0) return;
    try {
      const a = await connected();
      const committed = await a.fetchOffsets({ groupId, topics: entries.map(([, topic]) => topic) });
      for (const [kind, topic] of entries) {
        const ends = await a.fetchTopicOffsets(topic);
        const mine = new Map((committed.find((c) => c.topic === topic)?.partitions ?? []).map((p) => [p.partition, p.offset]));
        for (const { partition, high, low } of ends) {
          metrics.set(LAG_METRIC, partitionLag(high, low, mine.get(partition)), { kind, partition: String(partition) });
        }
      }
    } catch (error) {
      log.debug({ err: errorMessage(error) }, "kafka lag not measured this round");
      const broken = admin;
      admin = undefined;
      await broken?.disconnect().catch(() => undefined);
    }
  }

  const measure = (): Promise<void> => (round = round.then(once));
  const timer = setInterval(() => void measure(), options.intervalMs);
  timer.unref();

  return {
    measure,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await round;
      await admin?.disconnect().catch(() => undefined);
      admin = undefined;
    },
  };
}
