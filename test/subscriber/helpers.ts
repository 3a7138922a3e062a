// A handler runner with in-memory spool, dead letters and ledger, and a sleep that records its delays
// instead of waiting them: for the runner's unit tests.

import { createDecoder } from "../../src/decode/decoder.js";
import { createTopicTable } from "../../src/decode/topic.js";
import type { BusFrame, MispMessage } from "../../src/decode/types.js";
import { createMetrics, type Metrics } from "../../src/metrics/metrics.js";
import type { DeadLetter } from "../../src/state/dead-letter.js";
import { createPersistentSet, type PersistentSet } from "../../src/state/persistent-set.js";
import type { SpoolEntry } from "../../src/state/spool.js";
import type { ContextDeps } from "../../src/subscriber/context.js";
import { createHandlerRunner, type HandlerRunner, type HandlerRunnerOptions } from "../../src/subscriber/runner.js";
import type { Handler, RegisteredHandler } from "../../src/subscriber/types.js";
import { fixtureText, zmqFrame } from "../decode/helpers.js";
import { captureLogs, type LogCapture } from "../support/log-capture.js";

export interface RunnerKit {
  readonly runner: HandlerRunner;
  readonly metrics: Metrics;
  readonly logs: LogCapture;
  readonly handled: PersistentSet;
  readonly spooled: Omit<SpoolEntry, "id" | "spooledAt">[];
  readonly deadLetters: DeadLetter[];
  /** Every delay the runner waited between attempts, in order. */
  readonly sleeps: number[];
}

export function runnerKit(options: Partial<HandlerRunnerOptions> = {}): RunnerKit {
  const metrics = createMetrics();
  const logs = captureLogs({ level: "debug" });
  const handled = createPersistentSet({ ttlSeconds: 3600 });
  const spooled: Omit<SpoolEntry, "id" | "spooledAt">[] = [];
  const deadLetters: DeadLetter[] = [];
  const sleeps: number[] = [];
  const runner = createHandlerRunner({
    // The handlers of these tests bring their own collaborators.
    deps: { dryRun: false, distribution: 5, tagLocal: () => true } as unknown as ContextDeps,
    logger: logs.logger,
    metrics,
    spool: {
      dir: "spool",
      put: async (entry) => {
        spooled.push(entry);
        return { ...entry, id: String(spooled.length), spooledAt: new Date(0).toISOString() } as SpoolEntry;
      },
      list: async () => [],
      remove: async () => undefined,
      count: async () => spooled.length,
      usage: () => ({ entries: spooled.length, bytes: 0, full: false }),
      refresh: async () => ({ entries: spooled.length, bytes: 0, full: false }),
    },
    deadLetters: {
      dir: "dead-letters",
      put: async (letter) => {
        deadLetters.push(letter);
        return { ...letter, id: String(deadLetters.length), spooledAt: new Date(0).toISOString() };
      },
    },
    retryAttempts: 3,
    retryInitialDelayMs: 5,
    retryMaxDelayMs: 60_000,
    handlerTimeoutMs: 10_000,
    shutdown: new AbortController().signal,
    handled,
    sleep: async (ms) => void sleeps.push(ms),
    ...options,
  });
  return { runner, metrics, logs, handled, spooled, deadLetters, sleeps };
}

export function handlerOf(handler: Handler<"attribute">, subscriber = "sub"): RegisteredHandler {
  return { subscriber, index: 0, queries: ["attribute:add"], where: {}, handler: handler as RegisteredHandler["handler"] };
}

/** The recorded `misp_json_attribute` add, decoded as the pipeline does. */
export function attributeAdd(): { message: MispMessage; frame: BusFrame } {
  const frame = zmqFrame("misp_json_attribute", JSON.stringify(JSON.parse(fixtureText("zmq-misp_json_attribute-add.json"))));
  const outcome = createDecoder({ table: createTopicTable(), wanted: new Set(["attribute"]), maxFrameBytes: 1 << 20 }).decodeFrame(frame);
  if (outcome.status !== "message") throw new Error(`fixture did not decode: ${outcome.status}`);
  return { message: outcome.message, frame };
}
