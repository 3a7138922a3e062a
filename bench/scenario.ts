// A scenario process: runs one pipeline scenario against its own peers process and sends the
// result to bench/run.ts over IPC. One process per scenario keeps each one's heap and RSS figures
// clean of the scenarios before it.

import { runBacklog, type BacklogParams } from "./backlog-scenario.js";
import { runBackpressure, type BackpressureParams } from "./backpressure-scenario.js";
import { runFeed, type FeedParams } from "./feed-scenario.js";
import { runStartup, type StartupParams } from "./startup-scenario.js";
import { runPipeline, type PipelineParams } from "./pipeline-scenario.js";
import { runZmq, type ZmqParams } from "./zmq-scenario.js";

export type ScenarioRequest =
  | { readonly name: "pipeline"; readonly params: PipelineParams }
  | { readonly name: "backpressure"; readonly params: BackpressureParams }
  | { readonly name: "zmq"; readonly params: ZmqParams }
  | { readonly name: "feed"; readonly params: FeedParams }
  | { readonly name: "backlog"; readonly params: BacklogParams }
  | { readonly name: "startup"; readonly params: StartupParams };

export type ScenarioReply = { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: string };

async function run(request: ScenarioRequest): Promise<unknown> {
  switch (request.name) {
    case "pipeline":
      return runPipeline(request.params);
    case "backpressure":
      return runBackpressure(request.params);
    case "zmq":
      return runZmq(request.params);
    case "feed":
      return runFeed(request.params);
    case "backlog":
      return runBacklog(request.params);
    case "startup":
      return runStartup(request.params);
  }
}

const request = JSON.parse(process.argv[2] ?? "{}") as ScenarioRequest;
let reply: ScenarioReply;
try {
  reply = { ok: true, result: await run(request) };
} catch (error) {
  reply = { ok: false, error: error instanceof Error ? error.stack ?? error.message : String(error) };
}
process.send?.(reply, () => process.exit(0));
