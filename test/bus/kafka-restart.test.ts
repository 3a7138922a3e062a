// A broker of the test's own, stopped and restarted under a running bus.

import { describe, it, expect, onTestFinished, vi } from "vitest";
import { startKafkaBroker } from "@misp-enrichd/standins";
import { committedOffsets, createTopic, jsonMessages, testAdmin, testProducer, uniqueName } from "../support/kafka.js";
import { frameId, manualSink, runKafkaBus } from "../support/kafka-bus.js";

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

describe("kafka bus under a broker restart", () => {
  it("reconnects after the broker stops and comes back, and loses nothing", { timeout: 180_000 }, async () => {
    // Its own broker: stopping the shared one would pull it from under other test files.
    const broker = await startKafkaBroker();
    onTestFinished(() => broker.destroy());
    const [admin, producer] = await Promise.all([testAdmin(broker.brokers), testProducer(broker.brokers)]);
    const topic = uniqueName("attr");
    const groupId = uniqueName("group");
    await createTopic(admin, topic, 3);
    await producer.send({ topic, messages: jsonMessages(30, 3) });
    const recorder = manualSink(() => true);
    const { bus, log } = runKafkaBus({ brokers: [broker.brokers], groupId, topics: { attribute: topic } }, recorder.sink);
    await vi.waitFor(() => expect(recorder.frames).toHaveLength(30), { timeout: 30_000 });
    await vi.waitFor(async () => expect(await committedOffsets(admin, groupId, topic)).toEqual({ 0: 10, 1: 10, 2: 10 }), { timeout: 10_000 });

    await broker.stop();
    await broker.start();
    const messages = jsonMessages(60, 3).slice(30);
    await producer.send({ topic, messages });

    await vi.waitFor(() => expect(new Set(recorder.frames.map(frameId)).size).toBe(60), { timeout: 60_000, interval: 200 });
    expect([...new Set(recorder.frames.map(frameId))].sort((a, b) => a - b)).toEqual(range(0, 60));
    await vi.waitFor(async () => expect(await committedOffsets(admin, groupId, topic)).toEqual({ 0: 20, 1: 20, 2: 20 }), { timeout: 30_000 });
    await vi.waitFor(() => expect(bus.status().connected).toBe(true), { timeout: 10_000 });
    // Everything before the stop was committed, so nothing of it may come again.
    const redelivered = recorder.frames.slice(30).filter((frame) => frameId(frame) < 30);
    expect(redelivered).toEqual([]);
    expect(log.lines().filter((line) => line.msg === "kafka group joined").length).toBeGreaterThanOrEqual(1);
  });
});
