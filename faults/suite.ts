// The scenarios in the order they run and are printed, each with the sizes it takes.

import type { ScenarioRow } from "./report.js";
import { daemonKill } from "./scenarios/daemon-kill.js";
import { diskFull } from "./scenarios/disk-full.js";
import { fuzz } from "./scenarios/fuzz.js";
import { mispOutage } from "./scenarios/misp-outage.js";
import { moduleRestart } from "./scenarios/module-restart.js";
import { daemonStopped, publisherRestart } from "./scenarios/publisher-gap.js";
import type { ScenarioEnv } from "./scenarios/scenario.js";
import { slowBurst } from "./scenarios/slow-burst.js";
import type { FaultSizes } from "./sizes.js";

export interface SuiteScenario {
  readonly id: string;
  /** The fault and the promise, as the README's table says them. */
  readonly promise: string;
  /** Needs a Kafka broker (ScenarioEnv.kafkaBrokers). */
  readonly kafka: boolean;
  run(sizes: FaultSizes, env: ScenarioEnv): Promise<ScenarioRow>;
}

export const SCENARIOS: readonly SuiteScenario[] = [
  { id: "1", promise: "MISP answers 503 mid-stream: every attribute written once it recovers", kafka: false, run: (s, env) => mispOutage(s.mispOutage, env) },
  { id: "2", promise: "the module server is killed mid-stream and restarted: every attribute enriched once it is back", kafka: false, run: (s, env) => moduleRestart(s.moduleRestart, env) },
  { id: "3a", promise: "the daemon is killed with SIGKILL mid-stream on ZeroMQ: the gap backfill brings back what it missed", kafka: false, run: (s, env) => daemonKill("zmq", s.daemonKill, env) },
  { id: "3b", promise: "the daemon is killed with SIGKILL mid-stream on Kafka: uncommitted offsets bring back what it held", kafka: true, run: (s, env) => daemonKill("kafka", s.daemonKill, env) },
  { id: "4a", promise: "mispzmq.py restarts and flushes what piled up before the daemon reconnects: the backfill brings it back", kafka: false, run: (s, env) => publisherRestart(s.publisherRestart, env) },
  { id: "4b", promise: "the daemon is stopped while MISP publishes: its start-up backfill brings back what it missed", kafka: false, run: (s, env) => daemonStopped(s.daemonStopped, env) },
  { id: "5", promise: "hostile frames among valid ones: each one counted, every valid one enriched", kafka: false, run: (s, env) => fuzz(s.fuzz, env) },
  { id: "6", promise: "a burst while MISP is slow: memory bounded, ZeroMQ's drops backfilled, every attribute written", kafka: false, run: (s, env) => slowBurst(s.slowBurst, env) },
  { id: "7", promise: "the state folder's disk fills up: a clear error, and nothing lost once space is back", kafka: false, run: (s, env) => diskFull(s.diskFull, env) },
];
