// Consumer lag measured against the run's real broker: per partition, from the group's committed
// offsets (or the first offset where nothing is committed) to the end of the partition.

import { Kafka, logLevel } from "kafkajs";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { partitionLag, watchKafkaLag } from "../../src/bus/kafka-lag.js";
import { createMetrics } from "../../src/metrics/metrics.js";
import { captureLogs } from "../support/log-capture.js";
import { createTopic, jsonMessages, kafkaBrokers, testAdmin, testProducer, uniqueName } from "../support/kafka.js";

describe("kafka consumer lag", () => {
  it("is the end offset minus the committed one, or minus the first offset when nothing is committed", () => {
    expect(partitionLag("10", "0", "4")).toBe(6);
    expect(partitionLag("10", "3", undefined)).toBe(7);
    expect(partitionLag("10", "3", "-1")).toBe(7);
    expect(partitionLag("10", "0", "12")).toBe(0);
  });

  it("is measured per partition for the group, labelled by kind, and follows its commits", async () => {
    const admin = await testAdmin();
    const topic = uniqueName("lag");
    const groupId = uniqueName("lag-group");
    await createTopic(admin, topic, 2);
    const producer = await testProducer();
    await producer.send({ topic, messages: jsonMessages(10, 2) });
    const metrics = createMetrics();
    const kafka = new Kafka({ clientId: "lag-test", brokers: [kafkaBrokers()], logLevel: logLevel.NOTHING });
    const logs = captureLogs({ level: "debug" });
    const watch = watchKafkaLag({ kafka, groupId, topics: { attribute: topic }, metrics, log: logs.logger, intervalMs: 3_600_000 });
    onTestFinished(() => watch.stop());

    const lags = (): number[] => [0, 1].map((p) => metrics.get("misp_enrichd_kafka_consumer_lag", { kind: "attribute", partition: String(p) }));
    // A new group's coordinator may still be loading: a round that fails is simply tried again.
    const measured = async (expected: number[]): Promise<void> =>
      vi.waitFor(
        async () => {
          await watch.measure();
          expect(lags()).toEqual(expected);
        },
        { timeout: 20_000, interval: 200 },
      );
    await measured([5, 5]);
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: "3" }] });
    await measured([2, 5]);
    expect(logs.lines().filter((l) => l.level !== "debug")).toEqual([]);
    expect(await metrics.renderPrometheus()).not.toContain(topic);
  });
});
