// Commits the Kafka bus's offsets: one commit request at a time, and every `done` that settles
// while one is on the wire is folded into the next, so a busy partition commits often but never
// floods the coordinator. A failed commit is retried later; nothing is lost meanwhile, since an
// uncommitted offset only means redelivery.

import type { Consumer } from "kafkajs";
import type { Logger } from "../log.js";
import type { OffsetTracker } from "./kafka-offsets.js";
import { withTimeout } from "./kafka-time.js";

const COMMIT_TIMEOUT_MS = 15_000;

export interface KafkaCommitterOptions {
  readonly tracker: OffsetTracker;
  readonly log: Logger;
  /** Delay before a failed commit is tried again. */
  readonly retryMs: number;
  /** The consumer to commit through now; undefined while none runs. */
  readonly consumer: () => Consumer | undefined;
}

export interface KafkaCommitter {
  /** Commits what is due as soon as no other commit is on the wire. */
  commitSoon(): void;
  /** Resolves once everything due now was committed or failed to. */
  flush(): Promise<void>;
  /** For close(): no retry timer is left behind. */
  stopRetrying(): void;
}

export function createKafkaCommitter(options: KafkaCommitterOptions): KafkaCommitter {
  const { tracker, log } = options;
  let inFlight: Promise<void> | undefined;
  let again = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let stopped = false;

  /** Returns false when the commit failed, to stop the loop until the retry timer. */
  const commitOnce = async (): Promise<boolean> => {
    const due = tracker.pendingCommits();
    const consumer = options.consumer();
    if (due.length === 0 || consumer === undefined) return true;
    try {
      const offsets = due.map(({ topic, partition, offset }) => ({ topic, partition, offset }));
      await withTimeout(consumer.commitOffsets(offsets), COMMIT_TIMEOUT_MS, "Kafka offset commit");
      tracker.markCommitted(due);
      log.trace({ offsets }, "kafka offsets committed");
      return true;
    } catch (error) {
      log.warn({ err: error, partitions: due.length }, "kafka offset commit failed; will retry");
      if (!stopped && retryTimer === undefined) {
        retryTimer = setTimeout(() => {
          retryTimer = undefined;
          commitSoon();
        }, options.retryMs);
      }
      return false;
    }
  };

  const commitSoon = (): void => {
    if (inFlight !== undefined) {
      again = true;
      return;
    }
    inFlight = (async () => {
      do {
        again = false;
        if (!(await commitOnce())) break;
      } while (again);
    })().finally(() => {
      inFlight = undefined;
    });
  };

  return {
    commitSoon,
    async flush() {
      commitSoon();
      while (inFlight !== undefined) await inFlight;
    },
    stopRetrying() {
      stopped = true;
      clearTimeout(retryTimer);
      retryTimer = undefined;
    },
  };
}
