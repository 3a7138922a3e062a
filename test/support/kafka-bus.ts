// Runs a Kafka bus in a test with options sized for the test broker, and sinks that record
// frames and let the test decide when each frame's `done` settles.

import { onTestFailed, onTestFinished } from "vitest";
import { createKafkaBus, type KafkaBusOptions } from "../../src/bus/kafka.js";
import type { Bus, FrameSink } from "../../src/bus/types.js";
import type { BusFrame, MessageKind } from "../../src/decode/types.js";
import { captureLog, kafkaBrokers, type CapturedLog } from "./kafka.js";

export interface RunningBus {
  readonly bus: Bus;
  /** run()'s promise; rejections are kept for the test to inspect. */
  readonly running: Promise<void>;
  readonly log: CapturedLog;
  readonly abort: AbortController;
}

export function runKafkaBus(
  options: Partial<KafkaBusOptions> & Pick<KafkaBusOptions, "groupId" | "topics">,
  sink: FrameSink,
  kinds: ReadonlySet<MessageKind> = new Set(["attribute"]),
): RunningBus {
  const log = captureLog();
  const bus = createKafkaBus({
    brokers: [kafkaBrokers()],
    clientId: "enrichd-test",
    fromBeginning: true,
    // The broker's minimum session, so a dead member is noticed in 6 s.
    sessionTimeoutMs: 6_000,
    heartbeatIntervalMs: 500,
    retryInitialMs: 100,
    retryMaxMs: 1_000,
    topicRetryMs: 200,
    maxWaitTimeMs: 200,
    drainTimeoutMs: 2_000,
    logger: log.logger,
    ...options,
  });
  const abort = new AbortController();
  const running = bus.run(kinds, sink, abort.signal);
  running.catch(() => undefined);
  onTestFinished(() => bus.close());
  onTestFailed(() => {
    const tail = log.lines().slice(-80).map((line) => JSON.stringify(line));
    process.stderr.write(`--- kafka bus log (${bus.describe}) ---\n${tail.join("\n")}\n`);
  });
  return { bus, running, log, abort };
}

/** Parses the `{ "id": n }` payloads the tests produce. */
export function frameId(frame: BusFrame): number {
  return (JSON.parse(frame.payload.toString("utf8")) as { id: number }).id;
}

export function offsetOf(frame: BusFrame): number {
  return Number(frame.position?.split("@")[1]);
}

export interface ManualSink {
  readonly sink: FrameSink;
  readonly frames: BusFrame[];
  /** Frames handed over whose `done` has not settled. */
  outstanding(): number;
  /** The most frames ever outstanding at once. */
  maxOutstanding(): number;
  /** Settles `done` of the frame at `position`. */
  release(position: string): void;
  /** Settles every outstanding `done`, and from now on settles each at once. */
  releaseAll(): void;
}

/** A sink that accepts at once; `done` settles when the test releases it (or `auto` says so). */
export function manualSink(auto: (frame: BusFrame) => boolean = () => false): ManualSink {
  const frames: BusFrame[] = [];
  const pending = new Map<string, () => void>();
  let all = false;
  let max = 0;
  const sink: FrameSink = async (frame) => {
    frames.push(frame);
    if (all || auto(frame)) return { done: Promise.resolve() };
    const done = new Promise<void>((resolve) => pending.set(String(frame.position), resolve));
    max = Math.max(max, pending.size);
    return { done };
  };
  return {
    sink,
    frames,
    outstanding: () => pending.size,
    maxOutstanding: () => max,
    release(position) {
      const resolve = pending.get(position);
      if (resolve === undefined) throw new Error(`no outstanding frame at ${position}`);
      pending.delete(position);
      resolve();
    },
    releaseAll() {
      all = true;
      for (const resolve of pending.values()) resolve();
      pending.clear();
    },
  };
}
