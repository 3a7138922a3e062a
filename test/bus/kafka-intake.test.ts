import type { Consumer, EachMessagePayload } from "kafkajs";
import { describe, expect, it } from "vitest";
import type { KafkaCommitter } from "../../src/bus/kafka-commit.js";
import { createKafkaIntake } from "../../src/bus/kafka-intake.js";
import { createOffsetTracker } from "../../src/bus/kafka-offsets.js";
import type { BusFrame } from "../../src/decode/types.js";
import { captureLogs } from "../support/log-capture.js";

const committer: KafkaCommitter = { commitSoon: () => undefined, flush: async () => undefined, stopRetrying: () => undefined };

function payload(offset: string): EachMessagePayload {
  return {
    topic: "misp_json_attribute",
    partition: 0,
    message: { offset, value: Buffer.from("{}"), key: null, timestamp: "0", attributes: 0, headers: {} },
    heartbeat: async () => undefined,
    pause: () => () => undefined,
  } as EachMessagePayload;
}

/** Node's warnings while 200 listeners watch the signal (a busy partition's handler attempts): it warns past 10 by default. */
async function warningsWhileWatched(signal: AbortSignal): Promise<string[]> {
  const warnings: string[] = [];
  const collect = (warning: Error): void => void warnings.push(warning.name);
  process.on("warning", collect);
  const listeners = Array.from({ length: 200 }, () => (): void => undefined);
  for (const listener of listeners) signal.addEventListener("abort", listener);
  await new Promise((resolve) => setImmediate(resolve));
  for (const listener of listeners) signal.removeEventListener("abort", listener);
  process.off("warning", collect);
  return warnings;
}

describe("kafka intake", () => {
  it("gives frames a revocation signal every handler in flight may watch, without Node's leak warning, new at each group join", async () => {
    const intake = createKafkaIntake({
      maxInFlight: 100,
      heartbeatIntervalMs: 1_000,
      tracker: createOffsetTracker(),
      committer,
      log: captureLogs().logger,
      consumer: () => undefined,
      stopped: new Promise(() => undefined),
      onFatal: () => undefined,
    });
    const frames: BusFrame[] = [];
    const sink = async (frame: BusFrame) => {
      frames.push(frame);
      return { done: new Promise<void>(() => undefined) };
    };
    await intake.handle(sink, payload("0"));
    const first = frames[0]?.revoked;
    expect(first).toBeDefined();
    expect(await warningsWhileWatched(first as AbortSignal)).toEqual([]);
    intake.rejoined({ pause: () => undefined, resume: () => undefined } as unknown as Consumer, {});
    expect(first?.aborted).toBe(true);
    await intake.handle(sink, payload("1"));
    const second = frames[1]?.revoked as AbortSignal;
    expect(second.aborted).toBe(false);
    expect(await warningsWhileWatched(second)).toEqual([]);
  });
});
