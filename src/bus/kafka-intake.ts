// Turns kafkajs messages into frames for the pipeline. One `await sink()` at a time (the
// pipeline's backpressure), but `done` is not awaited here: messages of a partition are processed
// concurrently and committed through the offset tracker. A partition with maxInFlight unfinished
// messages is paused, and resumed once half of them finished.

import { setMaxListeners } from "node:events";
import type { Consumer, EachMessagePayload } from "kafkajs";
import type { BusFrame } from "../decode/types.js";
import { EnrichdError } from "../errors.js";
import type { Logger } from "../log.js";
import type { FrameSink } from "./types.js";
import type { KafkaCommitter } from "./kafka-commit.js";
import type { OffsetTracker } from "./kafka-offsets.js";

const EMPTY = Buffer.alloc(0);

export interface KafkaIntakeOptions {
  readonly maxInFlight: number;
  readonly heartbeatIntervalMs: number;
  readonly tracker: OffsetTracker;
  readonly committer: KafkaCommitter;
  readonly log: Logger;
  /** The consumer to resume partitions on, if one runs. */
  readonly consumer: () => Consumer | undefined;
  /** Settles when intake stops for good: a message waiting on the sink stops waiting. */
  readonly stopped: Promise<void>;
  /** The pipeline refused a frame: nothing can be committed past it any more. */
  readonly onFatal: (error: EnrichdError) => void;
}

export interface KafkaIntake {
  /** kafkajs `eachMessage`. */
  handle(sink: FrameSink, payload: EachMessagePayload): Promise<void>;
  /** After a group join: keep saturated partitions paused, resume or forget the others. */
  rejoined(consumer: Consumer, assignment: Readonly<Record<string, readonly number[]>>): void;
  /** Stops taking messages and resuming partitions (before a drain); `open()` undoes it. */
  hold(): void;
  open(): void;
  lastFrameAt(): number;
}

export function createKafkaIntake(options: KafkaIntakeOptions): KafkaIntake {
  const { tracker, log, maxInFlight } = options;
  const resumeAt = Math.floor(maxInFlight / 2);
  /** Partitions paused for being full, as `partition/topic`. */
  const paused = new Set<string>();
  let held = false;
  let lastFrameAt = 0;
  // One per generation: a group join makes Kafka redeliver every uncommitted message (to us or to
  // another member), so frames of the previous generation that have not started are revoked.
  let generation = newGeneration();

  const pausedKey = (topic: string, partition: number): string => `${partition}/${topic}`;

  const settled = (topic: string, partition: number, finish: () => void): void => {
    finish();
    options.committer.commitSoon();
    const k = pausedKey(topic, partition);
    if (held || !paused.has(k) || tracker.inFlight(topic, partition) > resumeAt) return;
    paused.delete(k);
    try {
      options.consumer()?.resume([{ topic, partitions: [partition] }]);
      log.debug({ topic, partition }, "kafka partition resumed");
    } catch {
      // No running consumer: the next group join starts the partition unpaused.
    }
  };

  const handle = async (sink: FrameSink, payload: EachMessagePayload): Promise<void> => {
    const { topic, partition, message, heartbeat, pause } = payload;
    if (held) {
      pause(); // untracked, so never committed: it is read again later
      return;
    }
    const position = `${topic}/${partition}@${message.offset}`;
    if (message.value === null) log.warn({ position }, "kafka record has no value; passing it on as malformed");
    const frame: BusFrame = {
      topic,
      payload: message.value ?? EMPTY,
      transport: "kafka",
      receivedAt: Date.now(),
      position,
      revoked: generation.signal,
    };
    lastFrameAt = frame.receivedAt;
    const finish = tracker.track(topic, partition, message.offset);
    if (tracker.inFlight(topic, partition) >= maxInFlight) {
      pause();
      paused.add(pausedKey(topic, partition));
      log.debug({ topic, partition, maxInFlight }, "kafka partition paused");
    }
    let accepted: Promise<{ readonly done: Promise<void> }>;
    try {
      accepted = sink(frame);
    } catch (error) {
      accepted = Promise.reject(error);
    }
    void accepted.then(
      ({ done }) =>
        done
          .catch((error: unknown) => log.error({ err: error, position }, "a frame's done rejected; counting it as finished"))
          .then(() => settled(topic, partition, finish)),
      (error: unknown) =>
        options.onFatal(new EnrichdError("ENRICHD_BUS_FAILED", `the pipeline refused the Kafka frame at ${position}`, { cause: error, retriable: false })),
    );
    // kafkajs heartbeats only between messages: keep the membership while the pipeline is full.
    const keepAlive = setInterval(() => void heartbeat().catch(() => undefined), options.heartbeatIntervalMs);
    try {
      await Promise.race([accepted.then(() => undefined, () => undefined), options.stopped]);
    } finally {
      clearInterval(keepAlive);
    }
  };

  const rejoined = (consumer: Consumer, assignment: Readonly<Record<string, readonly number[]>>): void => {
    generation.abort();
    generation = newGeneration();
    for (const k of paused) {
      const slash = k.indexOf("/");
      const partition = Number(k.slice(0, slash));
      const topic = k.slice(slash + 1);
      if (!(assignment[topic] ?? []).includes(partition)) {
        paused.delete(k);
      } else if (tracker.inFlight(topic, partition) >= maxInFlight) {
        consumer.pause([{ topic, partitions: [partition] }]); // a restarted consumer forgot it
      } else {
        paused.delete(k);
        consumer.resume([{ topic, partitions: [partition] }]);
      }
    }
  };

  return {
    handle,
    rejoined,
    hold() {
      held = true;
    },
    open() {
      held = false;
      paused.clear(); // a new consumer starts with nothing paused
    },
    lastFrameAt: () => lastFrameAt,
  };
}

/**
 * A generation's signal is watched by every handler attempt in flight (one listener each, removed when
 * it ends): hundreds at once on a busy partition, which is not the leak Node's warning at 11 suspects.
 */
function newGeneration(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}
