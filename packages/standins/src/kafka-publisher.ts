// A stand-in for MISP's KafkaPubTool on a real broker: the topics MISP writes to (under names of this
// publisher's own, so that runs never share one), and a producer that sends what MISP sends there
// (pubsub.md §8): PHP json_encode with its default flags, no key, no headers, an `action` always
// present. Used by the tests' Kafka driver and by the fault suite.

import { setTimeout as delay } from "node:timers/promises";
import { Kafka, Partitioners, logLevel, type Admin, type Message, type Producer } from "kafkajs";
import { DEFAULT_KAFKA_TOPICS, HEARTBEAT_TOPIC, createTopicTable, type MessageKind } from "misp-enrichd/internal";

export interface KafkaPublisherOptions {
  /** `host:port` of the broker. */
  readonly brokers: string;
  /** Partitions of every topic. Default 3. */
  readonly partitions?: number;
  /** Prefix of the topic names (`<prefix>_misp_attribute`…); must be new on the broker. */
  readonly prefix: string;
}

export interface PublishOptions {
  /** Produce to this partition instead of letting the partitioner pick one (MISP sets no key). */
  readonly partition?: number;
}

export interface KafkaPublisher {
  readonly brokers: string;
  readonly partitions: number;
  /** This publisher's Kafka topic for each kind Kafka carries. */
  readonly topics: Readonly<Partial<Record<MessageKind, string>>>;
  readonly admin: Admin;
  /** Queues the record and resolves, as php-rdkafka's produce() does; `flush()` waits for delivery. */
  publish(zmqTopic: string, payload: object, options?: PublishOptions): Promise<void>;
  /** Bytes as they are; `null` is a record without a value (a tombstone). */
  publishRaw(zmqTopic: string, payload: string | Buffer | null, options?: PublishOptions): Promise<void>;
  /** Resolves once every record published so far is on the broker; rejects if one could not be. */
  flush(): Promise<void>;
  /** The Kafka topic MISP would use for a ZeroMQ topic; throws for topics Kafka does not carry. */
  kafkaTopicOf(zmqTopic: string): string;
  /** Records of `topics` the group has not committed yet (after a flush): end offset minus committed, summed. */
  lag(groupId: string, topics: readonly string[]): Promise<number>;
  /** Flushes, then deletes the topics (and the group, when given). Idempotent. */
  close(groupId?: string): Promise<void>;
}

const zmqTable = createTopicTable();

/**
 * PHP's `json_encode($data)` with default flags: `/` as `\/`, every non-ASCII UTF-16 unit as a
 * lower-case `\uXXXX` (astral characters become a surrogate pair). Control characters are escaped
 * as JSON.stringify does, which is also what PHP does.
 */
export function phpJsonEncode(value: unknown): string {
  return JSON.stringify(value)
    .replace(/\//g, "\\/")
    .replace(/[\u0080-\uffff]/g, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** ZeroMQ omits `action` where Kafka always has one (pubsub.md §8). */
const IMPLIED_ACTIONS: Readonly<Partial<Record<MessageKind, string>>> = { publish: "publish", organisation: "add" };

function withAction(kind: MessageKind, payload: object): object {
  const implied = IMPLIED_ACTIONS[kind];
  if (implied === undefined || "action" in payload) return payload;
  return { ...payload, action: implied };
}

/** Creates the topics and waits until every partition answers through its leader. */
async function createTopics(admin: Admin, topics: readonly string[], partitions: number): Promise<void> {
  const created = await admin.createTopics({
    topics: topics.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
    // kafkajs's own wait gives up on UNKNOWN_TOPIC_OR_PARTITION, which a KRaft broker answers until
    // its metadata cache has caught up with the controller (seen while other tests delete topics).
    waitForLeaders: false,
  });
  if (!created) throw new Error(`kafka publisher: topics ${topics.join(", ")} already exist`);
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const { topics: described } = await admin.fetchTopicMetadata({ topics: [...topics] });
      const led = described.every((t) => t.partitions.length === partitions && t.partitions.every((p) => p.leader >= 0));
      if (!led) throw new Error("no leaders yet");
      // A leader in the metadata may still answer NOT_LEADER_OR_FOLLOWER for a moment; a consumer
      // meeting that rejoins its group (a storm of joins at start-up), a producer retries. Ask it.
      await Promise.all(topics.map((topic) => admin.fetchTopicOffsets(topic)));
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`kafka publisher: topics not ready after 15 s: ${(error as Error).message}`, { cause: error });
      await delay(50);
    }
  }
}

export async function startKafkaPublisher(options: KafkaPublisherOptions): Promise<KafkaPublisher> {
  const { brokers } = options;
  const partitions = options.partitions ?? 3;
  const topics: Partial<Record<MessageKind, string>> = {};
  for (const [kind, name] of Object.entries(DEFAULT_KAFKA_TOPICS)) topics[kind as MessageKind] = `${options.prefix}_${name}`;

  const kafka = new Kafka({
    clientId: "enrichd-standin-misp",
    brokers: [brokers],
    connectionTimeout: 2_000,
    // librdkafka keeps a message up to message.timeout.ms (5 min) through a broker restart: retry long.
    retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 60 },
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  const producer: Producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await Promise.all([admin.connect(), producer.connect()]);
  await createTopics(admin, Object.values(topics), partitions);

  // Like php-rdkafka's produce(): a publish only queues the record; one sender drains the queue in
  // order, a burst of MISP echoes in one round trip. Each request holds ONE partition: kafkajs retries
  // a failed request whole, so a request spanning partitions would write twice the records of the
  // partitions that succeeded (seen on new topics: NOT_LEADER_OR_FOLLOWER on one partition).
  interface Queued {
    readonly topic: string;
    readonly message: Message & { partition: number };
    readonly delivered: () => void;
    readonly failed: (error: unknown) => void;
  }
  const queue: Queued[] = [];
  const deliveries = new Set<Promise<void>>();
  const failures: unknown[] = [];
  /** No key: round robin from a random partition, per topic, as kafkajs and librdkafka do. */
  const nextPartition = new Map<string, number>();
  let sending = false;
  let closed: Promise<void> | undefined;

  const send = async (): Promise<void> => {
    sending = true;
    try {
      while (queue.length > 0) {
        const byPartition = new Map<string, Queued[]>();
        for (const record of queue.splice(0, 500)) {
          const key = `${record.message.partition}/${record.topic}`;
          const batch = byPartition.get(key);
          if (batch === undefined) byPartition.set(key, [record]);
          else batch.push(record);
        }
        await Promise.all(
          [...byPartition.values()].map(async (records) => {
            try {
              await producer.send({ topic: (records[0] as Queued).topic, messages: records.map((r) => r.message) });
              for (const record of records) record.delivered();
            } catch (error) {
              for (const record of records) record.failed(error);
            }
          }),
        );
      }
    } finally {
      sending = false; // in the same turn as the last emptiness check: no record is left behind
    }
  };

  const kafkaTopicOf = (zmqTopic: string): string => {
    const kind = zmqTable.kindOf(zmqTopic);
    const topic = kind === undefined ? undefined : topics[kind];
    if (topic === undefined) throw new Error(`kafka publisher: MISP publishes nothing on Kafka for ZeroMQ topic "${zmqTopic}"`);
    return topic;
  };

  const produce = (topic: string, value: string | Buffer | null, publish: PublishOptions = {}): void => {
    if (closed !== undefined) throw new Error("kafka publisher: closed");
    let partition = publish.partition;
    if (partition === undefined) {
      partition = nextPartition.get(topic) ?? Math.floor(Math.random() * partitions);
      nextPartition.set(topic, (partition + 1) % partitions);
    }
    const message = { value, partition };
    const delivery = new Promise<void>((delivered, failed) => queue.push({ topic, message, delivered, failed }));
    deliveries.add(delivery);
    delivery.then(
      () => deliveries.delete(delivery),
      (error: unknown) => {
        deliveries.delete(delivery);
        failures.push(error);
        process.emitWarning(`kafka publisher: a record for ${topic} was not delivered: ${error instanceof Error ? error.message : String(error)}`);
      },
    );
    if (!sending) void send();
  };

  const flush = async (): Promise<void> => {
    while (deliveries.size > 0) await Promise.allSettled([...deliveries]);
    if (failures.length > 0) throw new AggregateError(failures, `kafka publisher: ${failures.length} records were not delivered`);
  };

  return {
    brokers,
    partitions,
    topics,
    admin,
    kafkaTopicOf,
    async publish(zmqTopic, payload, publish) {
      if (zmqTopic === HEARTBEAT_TOPIC) return; // MISP has no Kafka heartbeat
      const kind = zmqTable.kindOf(zmqTopic) as MessageKind;
      produce(kafkaTopicOf(zmqTopic), phpJsonEncode(withAction(kind, payload)), publish);
    },
    async publishRaw(zmqTopic, payload, publish) {
      produce(kafkaTopicOf(zmqTopic), payload, publish);
    },
    flush,
    async lag(groupId, wanted) {
      await flush();
      let behind = 0;
      const committed = await admin.fetchOffsets({ groupId, topics: [...wanted] });
      for (const topic of wanted) {
        const done = new Map((committed.find((c) => c.topic === topic)?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
        for (const { partition, high } of await admin.fetchTopicOffsets(topic)) behind += Number(high) - Math.max(done.get(partition) ?? 0, 0);
      }
      return behind;
    },
    close(groupId) {
      closed ??= (async () => {
        await flush().catch(() => undefined);
        await producer.disconnect().catch(() => undefined);
        // The daemons have left the group by now; a group with a member left (a killed child) stays.
        if (groupId !== undefined) await admin.deleteGroups([groupId]).catch(() => undefined);
        await admin.deleteTopics({ topics: Object.values(topics), timeout: 5_000 }).catch(() => undefined);
        await admin.disconnect().catch(() => undefined);
      })();
      return closed;
    },
  };
}
