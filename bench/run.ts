// `npm run bench`: every section in one run, so that the ratios compare like with like. Section 1
// runs in this process; sections 2-4 each run in a fresh process (bench/scenario.ts) beside a peers
// process (bench/peers.ts), so that one section's heap never shows in the next one's figures.
// Every scenario has a time limit and is killed past it: the benchmark always ends by itself.

import type { BackpressureParams, BackpressureResult } from "./backpressure-scenario.js";
import { runDecoderBench, type DecoderBenchResult } from "./decoder-bench.js";
import { environment } from "./environment.js";
import { heading } from "./format.js";
import type { PipelineParams, PipelineResult } from "./pipeline-scenario.js";
import { printBackpressure, printDecoder, printEnvironment, printPipeline, printZmq } from "./report.js";
import { runScenario } from "./scenario-client.js";
import { checks, reading, type Results } from "./verdict.js";
import type { ZmqParams, ZmqResult } from "./zmq-scenario.js";

// The sizes of each section. Larger runs read steadier but must keep the whole run near a minute.
const PIPELINE: PipelineParams = { events: 30, attributesPerEvent: 40, warmup: 100, sequential: 100, modulesDelayMs: 5 };
const ZMQ: ZmqParams = { total: 50_000, wantedEvents: 10, wantedPerEvent: 40, modulesDelayMs: 5, settleLimitMs: 15_000 };
const FRAMES = { events: 200, attributesPerEvent: 100 } as const; // 20,000 distinct ip attributes
const BACKPRESSURE: readonly BackpressureParams[] = [
  { label: "unthrottled", mispDelayMs: 0, modulesDelayMs: 5, maxPending: 256, ...FRAMES, timeBoxMs: 3_000, drain: true },
  { label: "slow MISP", mispDelayMs: 50, modulesDelayMs: 5, maxPending: 256, ...FRAMES, timeBoxMs: 3_000, drain: true },
  { label: "slow, unbounded", mispDelayMs: 50, modulesDelayMs: 5, maxPending: 1_000_000, ...FRAMES, timeBoxMs: 3_000, drain: false, holdMs: 300 },
];

const started = performance.now();
const env = environment();
console.log(printEnvironment(env));
const errors: string[] = [];

async function section<T>(name: string, run: () => Promise<T>, print: (result: T) => string): Promise<T | undefined> {
  const sectionStarted = performance.now();
  try {
    const result = await run();
    console.log(print(result));
    console.log(took(sectionStarted));
    return result;
  } catch (error) {
    const text = `${name} did not complete: ${error instanceof Error ? error.message : String(error)}`;
    errors.push(text);
    console.log(`\n${text}`);
    return undefined;
  }
}

const decoder = await section<DecoderBenchResult>("section 1", () => runDecoderBench({ rounds: 5, roundMs: 120 }), printDecoder);
const pipeline = await section<PipelineResult>(
  "section 2",
  () => runScenario({ name: "pipeline", params: PIPELINE }, 45_000),
  printPipeline,
);
const backpressure: BackpressureResult[] = [];
const backpressureStarted = performance.now();
for (const params of BACKPRESSURE) {
  try {
    backpressure.push(await runScenario<BackpressureResult>({ name: "backpressure", params }, 25_000));
  } catch (error) {
    errors.push(`section 3 (${params.label}) did not complete: ${error instanceof Error ? error.message : String(error)}`);
  }
}
if (backpressure.length > 0) console.log(`${printBackpressure(backpressure)}\n${took(backpressureStarted)}`);
const zmq = await section<ZmqResult>(
  "section 4",
  () => runScenario({ name: "zmq", params: ZMQ }, 30_000),
  printZmq,
);

const results: Results = { ...(decoder ? { decoder } : {}), ...(pipeline ? { pipeline } : {}), backpressure, ...(zmq ? { zmq } : {}), errors };
const verdicts = checks(results);
console.log(heading("Checks"));
for (const c of verdicts) console.log(`${c.ok ? "PASS" : "FAIL"}  ${c.text}`);
console.log(heading("Reading"));
console.log(wrap(reading(results), 110));
console.log(`\nbenchmark wall time ${((performance.now() - started) / 1000).toFixed(1)} s`);
process.exitCode = verdicts.every((c) => c.ok) ? 0 : 1;

function took(since: number): string {
  return `(section wall time ${((performance.now() - since) / 1000).toFixed(1)} s)`;
}

function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line.length + word.length + 1 > width && line.length > 0) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.join("\n");
}
