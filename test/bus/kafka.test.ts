import { setTimeout as delay } from "node:timers/promises";
import { describe, it, expect, vi } from "vitest";
import { createKafkaBus } from "../../src/bus/kafka.js";
import type { FrameSink } from "../../src/bus/types.js";
import type { BusFrame } from "../../src/decode/types.js";
import { captureLog, committedOffsets, createTopic, endOffsets, jsonMessages, testAdmin, testProducer, uniqueName } from "../support/kafka.js";
import { frameId, manualSink, offsetOf, runKafkaBus } from "../support/kafka-bus.js";

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe("kafka bus on a real broker", () => {
  it("delivers every message of a 3-partition topic and commits the end offsets", async () => {
    const [admin, producer] = await Promise.all([testAdmin(), testProducer()]);
    const topic = uniqueName("attr");
    const groupId = uniqueName("group");
    await createTopic(admin, topic, 3);
    await producer.send({ topic, messages: jsonMessages(90, 3) });

    const frames: BusFrame[] = [];
    // done settles after a random small delay, so messages of a partition finish out of order.
    const sink: FrameSink = async (frame) => {
      frames.push(frame);
      return { done: delay(Math.floor(Math.random() * 15)).then(() => undefined) };
    };
    const { bus } = runKafkaBus({ groupId, topics: { attribute: topic } }, sink);

    await vi.waitFor(() => expect(frames).toHaveLength(90), { timeout: 20_000 });
    const end = await endOffsets(admin, topic);
    expect(end).toEqual({ 0: 30, 1: 30, 2: 30 });
    await vi.waitFor(async () => expect(await committedOffsets(admin, groupId, topic)).toEqual(end), { timeout: 10_000 });
    expect(frames.map(frameId).sort((a, b) => a - b)).toEqual(range(90));
    expect(frames[0]).toMatchObject({ topic, transport: "kafka" });
    expect(frames[0]?.position).toMatch(new RegExp(`^${topic}/[012]@\\d+$`));
    expect(bus.status().connected).toBe(true);
    expect(bus.status().lastFrameAt).toBeGreaterThan(0);
    expect(bus.transport).toBe("kafka");
  });

  it("never commits past a message whose done is withheld, and commits once it settles", async () => {
    const [admin, producer] = await Promise.all([testAdmin(), testProducer()]);
    const topic = uniqueName("attr");
    const groupId = uniqueName("group");
    await createTopic(admin, topic, 2);
    await producer.send({ topic, messages: range(10).map((id) => ({ value: JSON.stringify({ id }), partition: 0 })) });
    const withheld = `${topic}/0@3`;
    const recorder = manualSink((frame) => frame.position !== withheld);
    runKafkaBus({ groupId, topics: { attribute: topic } }, recorder.sink);

    await vi.waitFor(() => expect(recorder.frames).toHaveLength(10), { timeout: 20_000 });
    expect(recorder.outstanding()).toBe(1);
    // A marker on the other partition: once its commit shows, every commit due before it was sent.
    await producer.send({ topic, messages: [{ value: JSON.stringify({ id: 10 }), partition: 1 }] });
    await vi.waitFor(async () => expect((await committedOffsets(admin, groupId, topic))[1]).toBe(1), { timeout: 10_000 });
    expect((await committedOffsets(admin, groupId, topic))[0]).toBe(3);

    recorder.release(withheld);
    await vi.waitFor(async () => expect(await committedOffsets(admin, groupId, topic)).toEqual({ 0: 10, 1: 1 }), { timeout: 10_000 });
  });

  it("on close waits for in-flight messages, commits them, and a new bus in the group reads only the rest", async () => {
    const [admin, producer] = await Promise.all([testAdmin(), testProducer()]);
    const topic = uniqueName("attr");
    const groupId = uniqueName("group");
    await createTopic(admin, topic, 1);
    await producer.send({ topic, messages: jsonMessages(10, 1) });
    const first = manualSink((frame) => offsetOf(frame) < 6);
    const a = runKafkaBus({ groupId, topics: { attribute: topic }, drainTimeoutMs: 500 }, first.sink);
    await vi.waitFor(() => expect(first.frames).toHaveLength(10), { timeout: 20_000 });
    await vi.waitFor(async () => expect((await committedOffsets(admin, groupId, topic))[0]).toBe(6), { timeout: 10_000 });

    const closing = a.bus.close();
    expect(a.bus.close()).toBe(closing);
    // Settled after close() began: still committed. 8 and 9 never settle: redelivered.
    first.release(`${topic}/0@6`);
    first.release(`${topic}/0@7`);
    await closing;
    await a.running;
    expect((await committedOffsets(admin, groupId, topic))[0]).toBe(8);

    const second = manualSink(() => true);
    runKafkaBus({ groupId, topics: { attribute: topic } }, second.sink);
    await vi.waitFor(() => expect(second.frames).toHaveLength(2), { timeout: 20_000 });
    expect(second.frames.map(offsetOf)).toEqual([8, 9]);
    await vi.waitFor(async () => expect((await committedOffsets(admin, groupId, topic))[0]).toBe(10), { timeout: 10_000 });
  });

  it("splits the partitions between two buses of one group, which together see every message once", async () => {
    const [admin, producer] = await Promise.all([testAdmin(), testProducer()]);
    const topic = uniqueName("attr");
    const groupId = uniqueName("group");
    await createTopic(admin, topic, 3);
    const a = manualSink(() => true);
    const b = manualSink(() => true);
    const busA = runKafkaBus({ groupId, topics: { attribute: topic } }, a.sink);
    await vi.waitFor(() => expect(busA.bus.status().connected).toBe(true), { timeout: 20_000 });
    runKafkaBus({ groupId, topics: { attribute: topic } }, b.sink);
    await vi.waitFor(
      async () => {
        const { groups } = await admin.describeGroups([groupId]);
        expect(groups[0]).toMatchObject({ state: "Stable" });
        expect(groups[0]?.members).toHaveLength(2);
      },
      { timeout: 20_000, interval: 200 },
    );

    await producer.send({ topic, messages: jsonMessages(60, 3) });
    await vi.waitFor(() => expect(a.frames.length + b.frames.length).toBe(60), { timeout: 20_000 });
    expect([...a.frames, ...b.frames].map(frameId).sort((x, y) => x - y)).toEqual(range(60));
    const partitionsOf = (frames: BusFrame[]): Set<string> => new Set(frames.map((f) => String(f.position?.split("@")[0])));
    const [pa, pb] = [partitionsOf(a.frames), partitionsOf(b.frames)];
    expect(pa.size).toBeGreaterThan(0);
    expect(pb.size).toBeGreaterThan(0);
    expect(pa.size + pb.size).toBe(3);
    expect([...pa].filter((p) => pb.has(p))).toEqual([]);
    await vi.waitFor(async () => expect(await committedOffsets(admin, groupId, topic)).toEqual({ 0: 20, 1: 20, 2: 20 }), { timeout: 10_000 });
  });

  it("pauses a partition at maxInFlight unfinished messages and resumes it when half have finished", async () => {
    const [admin, producer] = await Promise.all([testAdmin(), testProducer()]);
    const topic = uniqueName("attr");
    const groupId = uniqueName("group");
    await createTopic(admin, topic, 1);
    await producer.send({ topic, messages: jsonMessages(30, 1) });
    const recorder = manualSink();
    runKafkaBus({ groupId, topics: { attribute: topic }, maxInFlight: 4 }, recorder.sink);

    await vi.waitFor(() => expect(recorder.frames).toHaveLength(4), { timeout: 20_000 });
    recorder.release(`${topic}/0@0`);
    recorder.release(`${topic}/0@1`);
    // Two in flight now: resumed, it reads until four are in flight again.
    await vi.waitFor(() => expect(recorder.frames).toHaveLength(6), { timeout: 10_000 });
    recorder.releaseAll();
    await vi.waitFor(() => expect(recorder.frames).toHaveLength(30), { timeout: 20_000 });
    // All 30 were fetchable at once: without the pause, far more than 4 would have been in flight.
    expect(recorder.maxOutstanding()).toBe(4);
    expect(recorder.frames.map(offsetOf)).toEqual(range(30));
    await vi.waitFor(async () => expect((await committedOffsets(admin, groupId, topic))[0]).toBe(30), { timeout: 10_000 });
  });

  it("waits for the sink to accept a frame before handing over the next", async () => {
    const [admin, producer] = await Promise.all([testAdmin(), testProducer()]);
    const topic = uniqueName("attr");
    const groupId = uniqueName("group");
    await createTopic(admin, topic, 1);
    await producer.send({ topic, messages: jsonMessages(5, 1) });
    const gates: Array<() => void> = [];
    let entered = 0;
    let maxWaiting = 0;
    const sink: FrameSink = async () => {
      entered += 1;
      maxWaiting = Math.max(maxWaiting, gates.length + 1);
      await new Promise<void>((resolve) => gates.push(resolve)); // the pipeline is full
      return { done: Promise.resolve() };
    };
    runKafkaBus({ groupId, topics: { attribute: topic } }, sink);
    for (let i = 1; i <= 5; i += 1) {
      await vi.waitFor(() => expect(entered).toBe(i), { timeout: 20_000 });
      gates.shift()?.();
    }
    expect(maxWaiting).toBe(1);
    await vi.waitFor(async () => expect((await committedOffsets(admin, groupId, topic))[0]).toBe(5), { timeout: 10_000 });
  });

  it("passes a record without a value on as an empty payload, and commits past it", async () => {
    const [admin, producer] = await Promise.all([testAdmin(), testProducer()]);
    const topic = uniqueName("attr");
    const groupId = uniqueName("group");
    await createTopic(admin, topic, 1);
    await producer.send({ topic, messages: [{ value: null }, { value: JSON.stringify({ id: 1 }) }] });
    const recorder = manualSink(() => true);
    const { log } = runKafkaBus({ groupId, topics: { attribute: topic } }, recorder.sink);
    await vi.waitFor(() => expect(recorder.frames).toHaveLength(2), { timeout: 20_000 });
    expect(recorder.frames[0]?.payload.length).toBe(0);
    expect(frameId(recorder.frames[1] as BusFrame)).toBe(1);
    expect(log.lines()).toContainEqual(expect.objectContaining({ msg: "kafka record has no value; passing it on as malformed", position: `${topic}/0@0` }));
    await vi.waitFor(async () => expect((await committedOffsets(admin, groupId, topic))[0]).toBe(2), { timeout: 10_000 });
  });

  it("waits for a topic that does not exist yet, saying which, and reads it once it is created", async () => {
    const [admin, producer] = await Promise.all([testAdmin(), testProducer()]);
    const present = uniqueName("attr");
    const missing = uniqueName("tag");
    const groupId = uniqueName("group");
    await createTopic(admin, present, 1);
    const recorder = manualSink(() => true);
    const { log, bus } = runKafkaBus({ groupId, topics: { attribute: present, tag: missing } }, recorder.sink, new Set(["attribute", "tag", "heartbeat"]));
    await vi.waitFor(() => expect(log.lines()).toContainEqual(expect.objectContaining({ msg: "kafka topics missing; looking again later", missing: [missing] })), {
      timeout: 20_000,
    });
    await producer.send({ topic: present, messages: [{ value: JSON.stringify({ id: 0 }) }] });
    await vi.waitFor(() => expect(recorder.frames).toHaveLength(1), { timeout: 20_000 });
    expect(log.lines()).toContainEqual(expect.objectContaining({ msg: "no kafka topic configured for these kinds", kinds: ["heartbeat"] }));

    await createTopic(admin, missing, 1);
    await producer.send({ topic: missing, messages: [{ value: JSON.stringify({ id: 1 }) }] });
    await vi.waitFor(() => expect(recorder.frames.map((f) => f.topic)).toContain(missing), { timeout: 20_000 });
    expect(recorder.frames.map(frameId)).toEqual([0, 1]);
    expect(bus.status().connected).toBe(true);
  });

  it("stops when the run signal aborts, and run() resolves", async () => {
    const admin = await testAdmin();
    const topic = uniqueName("attr");
    await createTopic(admin, topic, 1);
    const { bus, running, abort } = runKafkaBus({ groupId: uniqueName("group"), topics: { attribute: topic } }, manualSink(() => true).sink);
    await vi.waitFor(() => expect(bus.status().connected).toBe(true), { timeout: 20_000 });
    abort.abort();
    await expect(running).resolves.toBeUndefined();
    expect(bus.status().connected).toBe(false);
  });
});

describe("kafka bus lifecycle", () => {
  it("stays idle without a topic for the wanted kinds, refuses a second run(), and stops on close()", async () => {
    const { bus, running, log } = runKafkaBus({ groupId: uniqueName("group"), topics: { attribute: uniqueName("attr") } }, manualSink().sink, new Set(["heartbeat"]));
    await expect(bus.run(new Set(["attribute"]), manualSink().sink, new AbortController().signal)).rejects.toMatchObject({ code: "ENRICHD_BUS_FAILED" });
    expect(log.lines()).toContainEqual(expect.objectContaining({ msg: "no kafka topic to read; the bus stays idle" }));
    await bus.close();
    await expect(running).resolves.toBeUndefined();
    expect(bus.status()).toEqual({ connected: false, lastFrameAt: 0 });
  });
});

describe("kafka bus options", () => {
  it("describes where it reads without the SASL password", () => {
    const bus = createKafkaBus({
      brokers: ["kafka.example:9093"],
      clientId: "c",
      groupId: "g",
      topics: {},
      fromBeginning: false,
      ssl: true,
      sasl: { mechanism: "scram-sha-512", username: "enrichd", password: "s3cret-passw0rd" },
      logger: captureLog().logger,
    });
    expect(bus.describe).toBe("kafka kafka.example:9093 group g tls sasl/scram-sha-512 as enrichd");
    expect(bus.describe).not.toContain("s3cret");
  });

  it("rejects a heartbeat interval that is not below the session timeout", () => {
    expect(() =>
      createKafkaBus({ brokers: ["b:9092"], clientId: "c", groupId: "g", topics: {}, fromBeginning: false, sessionTimeoutMs: 6000, heartbeatIntervalMs: 6000, logger: captureLog().logger }),
    ).toThrow(expect.objectContaining({ code: "ENRICHD_CONFIG_INVALID" }));
  });
});
