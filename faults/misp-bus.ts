// MISP's bus as the suite drives it: mispzmq.py (the ZeroMQ publisher stand-in, which can stop and
// start again) or MISP's Kafka producer on a real broker. Each adapter also says how the daemon is
// pointed at it and when a started daemon reads it.

import { setTimeout as delay } from "node:timers/promises";
import { startKafkaPublisher, startZmqPublisher, type KafkaPublisher, type ZmqPublisher } from "@misp-enrichd/standins";
import type { DaemonProcess } from "./daemon-process.js";
import { metricSum } from "./metrics-text.js";

export type Transport = "zmq" | "kafka";

export interface MispBus {
  readonly transport: Transport;
  /** The `bus:` section of the daemon's config. */
  readonly config: Readonly<Record<string, unknown>>;
  /** Publishes a message as MISP does, named by its ZeroMQ topic. */
  publish(topic: string, payload: object): Promise<void>;
  /** ZeroMQ: one frame exactly as given (its topic included); Kafka: the record value on the topic's Kafka topic. */
  publishRaw(topic: string, frame: Buffer | string): Promise<void>;
  /** Resolves once the daemon reads the bus: ZeroMQ's slow joiner is past, or the Kafka group holds it. */
  ready(daemon: DaemonProcess, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export interface ZmqBus extends MispBus {
  readonly transport: "zmq";
  readonly publisher: ZmqPublisher;
}

export interface KafkaBus extends MispBus {
  readonly transport: "kafka";
  readonly publisher: KafkaPublisher;
  readonly groupId: string;
  /** Records of the daemon's topics its group has not committed yet. */
  lag(): Promise<number>;
}

const HEARTBEAT = { status: "I'm doing science and I'm still alive.", uptime: 1 };

export async function startZmqBus(): Promise<ZmqBus> {
  const publisher = await startZmqPublisher();
  return {
    transport: "zmq",
    publisher,
    config: { type: "zmq", zmq: { url: publisher.url } },
    publish: (topic, payload) => publisher.publish(topic, payload),
    publishRaw: (_topic, frame) => publisher.publishRaw(frame),
    async ready(daemon, timeoutMs) {
      // Heartbeats until the daemon has counted one: its subscription has reached the publisher.
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        await publisher.publish("misp_json_self", HEARTBEAT);
        const samples = await daemon.metrics().catch(() => []);
        if (metricSum(samples, "misp_enrichd_messages_total", { kind: "heartbeat" }) > 0) return;
        if (!daemon.running) throw new Error(`${daemon.name} exited before it read the bus (log: ${daemon.logFile})`);
        if (Date.now() > deadline) throw new Error(`${daemon.name} did not read the ZeroMQ bus within ${timeoutMs} ms (log: ${daemon.logFile})`);
        await delay(100);
      }
    },
    close: () => publisher.close(),
  };
}

export interface KafkaBusOptions {
  readonly brokers: string;
  /** A name no earlier run used on this broker. */
  readonly prefix: string;
  readonly partitions?: number;
  /** The daemon's bus.kafka.sessionTimeoutMs: how long a killed member holds its partitions. */
  readonly sessionTimeoutMs?: number;
}

export async function startKafkaBus(options: KafkaBusOptions): Promise<KafkaBus> {
  const publisher = await startKafkaPublisher({ brokers: options.brokers, prefix: options.prefix, partitions: options.partitions ?? 3 });
  const groupId = `${options.prefix}-group`;
  const attributeTopic = publisher.kafkaTopicOf("misp_json_attribute");
  const sessionTimeoutMs = options.sessionTimeoutMs ?? 30_000;
  return {
    transport: "kafka",
    publisher,
    groupId,
    config: {
      type: "kafka",
      kafka: {
        brokers: [options.brokers],
        groupId,
        fromBeginning: true,
        topics: publisher.topics,
        sessionTimeoutMs,
        heartbeatIntervalMs: Math.max(500, Math.floor(sessionTimeoutMs / 10)),
      },
    },
    publish: (topic, payload) => publisher.publish(topic, payload),
    publishRaw: (topic, frame) => publisher.publishRaw(topic, frame),
    async ready(daemon, timeoutMs) {
      // The group starts from the beginning of topics that exist: nothing published before is missed.
      await daemon.waitForLog("kafka consumer started", timeoutMs);
    },
    lag: () => publisher.lag(groupId, [attributeTopic]),
    close: () => publisher.close(groupId),
  };
}
