// A pipeline blocked for longer than the session timeout: the bus must keep its group membership
// (kafkajs heartbeats only between messages). Its own file, as it takes a session's time.

import { describe, it, expect, vi } from "vitest";
import type { FrameSink } from "../../src/bus/types.js";
import type { BusFrame } from "../../src/decode/types.js";
import { committedOffsets, createTopic, jsonMessages, testAdmin, testProducer, uniqueName } from "../support/kafka.js";
import { frameId, runKafkaBus } from "../support/kafka-bus.js";

describe("kafka bus with a blocked pipeline", () => {
  it("keeps its group membership while the sink blocks longer than the session timeout", { timeout: 60_000 }, async () => {
    const [admin, producer] = await Promise.all([testAdmin(), testProducer()]);
    const topic = uniqueName("attr");
    const groupId = uniqueName("group");
    await createTopic(admin, topic, 1);
    await producer.send({ topic, messages: jsonMessages(2, 1) });
    const frames: BusFrame[] = [];
    let unblock: () => void = () => undefined;
    const blocked = new Promise<void>((resolve) => {
      unblock = resolve;
    });
    const sink: FrameSink = async (frame) => {
      frames.push(frame);
      if (frames.length === 1) await blocked;
      return { done: Promise.resolve() };
    };
    const sessionTimeoutMs = 6_000;
    const { log } = runKafkaBus({ groupId, topics: { attribute: topic }, sessionTimeoutMs, heartbeatIntervalMs: 1_000 }, sink);
    await vi.waitFor(() => expect(frames).toHaveLength(1), { timeout: 20_000 });

    // Watch the group for longer than a session: without heartbeats the broker would drop the member.
    const until = Date.now() + sessionTimeoutMs + 2_000;
    const memberCounts: number[] = [];
    await vi.waitFor(
      async () => {
        const { groups } = await admin.describeGroups([groupId]);
        memberCounts.push(groups[0]?.members.length ?? 0);
        if (Date.now() < until) throw new Error("still watching");
      },
      { timeout: sessionTimeoutMs + 10_000, interval: 250 },
    );
    expect(memberCounts.every((count) => count === 1)).toBe(true);

    unblock();
    await vi.waitFor(() => expect(frames).toHaveLength(2), { timeout: 10_000 });
    await vi.waitFor(async () => expect((await committedOffsets(admin, groupId, topic))[0]).toBe(2), { timeout: 10_000 });
    expect(frames.map(frameId)).toEqual([0, 1]);
    expect(log.lines().filter((line) => line.msg === "kafka group joined")).toHaveLength(1);
  });
});
