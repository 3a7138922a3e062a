// Runs one scenario in its own Node process (with --expose-gc and the shipped unit's NODE_OPTIONS) and
// returns its result. A scenario that overruns its time limit is killed: the benchmark always ends by
// itself.

import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { profileArgs } from "./profile.js";
import { shippedNodeOptions } from "./shipped-node-options.js";
import type { ScenarioReply, ScenarioRequest } from "./scenario.js";

const SCENARIO_MAIN = fileURLToPath(new URL("./scenario.js", import.meta.url));

export function runScenario<T>(request: ScenarioRequest, limitMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const child = fork(SCENARIO_MAIN, [JSON.stringify(request)], { execArgv: ["--expose-gc", ...shippedNodeOptions(), ...profileArgs()], stdio: ["ignore", "inherit", "inherit", "ipc"], serialization: "advanced" });
    let settled = false;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      finish(() => reject(new Error(`scenario ${request.name} overran its ${limitMs} ms limit and was stopped`)));
    }, limitMs);
    const finish = (then: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      then();
    };
    child.on("message", (reply: ScenarioReply) => finish(() => (reply.ok ? resolve(reply.result as T) : reject(new Error(`scenario ${request.name}: ${reply.error}`)))));
    child.on("exit", (code) => finish(() => reject(new Error(`scenario ${request.name} exited with code ${code} before answering`))));
  });
}
