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
  /** Needs a Kafka broker (ScenarioEnv.kafkaBrokers). */
  readonly kafka: boolean;
  run(sizes: FaultSizes, env: ScenarioEnv): Promise<ScenarioRow>;
}

export const SCENARIOS: readonly SuiteScenario[] = [
  { id: "1", kafka: false, run: (s, env) => mispOutage(s.mispOutage, env) },
  { id: "2", kafka: false, run: (s, env) => moduleRestart(s.moduleRestart, env) },
  { id: "3a", kafka: false, run: (s, env) => daemonKill("zmq", s.daemonKill, env) },
  { id: "3b", kafka: true, run: (s, env) => daemonKill("kafka", s.daemonKill, env) },
  { id: "4a", kafka: false, run: (s, env) => publisherRestart(s.publisherRestart, env) },
  { id: "4b", kafka: false, run: (s, env) => daemonStopped(s.daemonStopped, env) },
  { id: "5", kafka: false, run: (s, env) => fuzz(s.fuzz, env) },
  { id: "6", kafka: false, run: (s, env) => slowBurst(s.slowBurst, env) },
  { id: "7", kafka: false, run: (s, env) => diskFull(s.diskFull, env) },
];
