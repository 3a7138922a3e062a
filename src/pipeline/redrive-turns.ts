// The spool re-drive runs beside the keyed queue, not in it: a full spool holds queue tasks until the
// re-drive makes room, so the re-drive must never wait for a slot. It still takes turns with the
// queue on each key: an entry whose key the queue is busy with waits for the next pass, and a queue
// task on a key the re-drive is running waits for it. One of the two then finds the other's handled
// mark instead of both enriching the attribute.

import type { BusFrame, MispMessage } from "../decode/types.js";
import type { KeyedQueue } from "../route/keyed-queue.js";
import { queueKey } from "../route/ordering-key.js";
import type { HandlerRunner, RunOptions, RunOutcome } from "../subscriber/runner.js";
import type { RegisteredHandler } from "../subscriber/types.js";

export interface RedriveTurns {
  /** The re-drive's run of one entry: "retry-later" while the queue is busy with its key. */
  runRedriven(handler: RegisteredHandler, message: MispMessage, frame: BusFrame, options: RunOptions): Promise<RunOutcome>;
  /** A queue task's run: after the re-drive's run of the same key, if there is one. */
  runQueued(handler: RegisteredHandler, message: MispMessage, frame: BusFrame, options?: RunOptions): Promise<RunOutcome>;
}

export function createRedriveTurns(queue: Pick<KeyedQueue, "busy">, runner: HandlerRunner): RedriveTurns {
  const redriving = new Map<string, Promise<unknown>>();
  return {
    async runRedriven(handler, message, frame, options) {
      const key = queueKey(handler, message);
      if (queue.busy(key)) return "retry-later";
      const run = runner.run(handler, message, frame, options);
      redriving.set(key, run);
      try {
        return await run;
      } finally {
        redriving.delete(key);
      }
    },
    runQueued(handler, message, frame, options) {
      // Looked up only while a re-drive runs: the key is not built for every message otherwise.
      const redriven = redriving.size === 0 ? undefined : redriving.get(queueKey(handler, message));
      return redriven ? redriven.then(() => runner.run(handler, message, frame, options)) : runner.run(handler, message, frame, options);
    },
  };
}
