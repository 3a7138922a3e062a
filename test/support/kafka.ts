// Helpers for tests against the run's Kafka broker (test/setup/kafka-broker.ts): unique names,
// an admin and a producer that close themselves when the test ends, offsets to compare.

import { randomBytes } from "node:crypto";
import { Kafka, Partitioners, logLevel, type Admin, type Message, type Producer } from "kafkajs";
import { inject, onTestFinished } from "vitest";
import { createLogger, type Logger } from "../../src/log.js";

process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

/** The run's broker, `127.0.0.1:PORT`. */
export function kafkaBrokers(): string {
  const brokers = inject("kafkaBrokers");
  if (typeof brokers !== "string" || brokers === "") {
    throw new Error("no Kafka broker in this run: test/setup/kafka-broker.ts must be a globalSetup");
  }
  return brokers;
}

let counter = 0;
/** A topic or group name no other test (or earlier run on a kept broker) uses. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}-${randomBytes(3).toString("hex")}`;
}

function client(brokers: string): Kafka {
  return new Kafka({
    clientId: "enrichd-test",
    brokers: [brokers],
    connectionTimeout: 2_000,
    retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 10 },
    logLevel: logLevel.NOTHING,
  });
}

/** A connected admin, disconnected when the test finishes. */
export async function testAdmin(brokers: string = kafkaBrokers()): Promise<Admin> {
  const admin = client(brokers).admin();
  await admin.connect();
  onTestFinished(() => admin.disconnect());
  return admin;
}

/** A connected producer, disconnected when the test finishes. */
export async function testProducer(brokers: string = kafkaBrokers()): Promise<Producer> {
  const producer = client(brokers).producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  onTestFinished(() => producer.disconnect());
  return producer;
}

/** Creates a topic (auto-creation is off on the test broker) and waits until it has leaders. */
export async function createTopic(admin: Admin, topic: string, numPartitions: number): Promise<void> {
  const created = await admin.createTopics({ topics: [{ topic, numPartitions, replicationFactor: 1 }], waitForLeaders: true });
  if (!created) throw new Error(`topic ${topic} already exists`);
}

/** `n` JSON messages `{ "id": i }` spread over `partitions` partitions (round robin, as MISP sends no key). */
export function jsonMessages(n: number, partitions: number): Message[] {
  return Array.from({ length: n }, (_, i) => ({ value: JSON.stringify({ id: i }), partition: i % partitions }));
}

/** Committed offset per partition of the group on the topic; -1 where nothing is committed. */
export async function committedOffsets(admin: Admin, groupId: string, topic: string): Promise<Record<number, number>> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return Object.fromEntries((entry?.partitions ?? []).map(({ partition, offset }) => [partition, Number(offset)]));
}

/** The end (high-water) offset per partition. */
export async function endOffsets(admin: Admin, topic: string): Promise<Record<number, number>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return Object.fromEntries(offsets.map(({ partition, high }) => [partition, Number(high)]));
}

export interface CapturedLog {
  readonly logger: Logger;
  /** Every line logged so far, parsed. */
  lines(): Array<Record<string, unknown>>;
}

/** A debug-level logger whose JSON lines the test can read back. */
export function captureLog(): CapturedLog {
  const lines: Array<Record<string, unknown>> = [];
  const destination = {
    write(line: string): void {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    },
  };
  return { logger: createLogger({ level: "debug", destination }), lines: () => lines };
}
