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
import type { BacklogParams, BacklogResult } from "./backlog-scenario.js";
import type { FeedParams, FeedResult } from "./feed-scenario.js";
import { printBacklog, printFeed, printStartup, targets, type FeedRun } from "./report-feed.js";
import type { StartupParams, StartupResult } from "./startup-scenario.js";
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

// Sections 5-7: the legs. A 50 ms module with no thread cap and a 20 ms MISP, as in the issue;
// pipeline.concurrency is 2 × modules.concurrency and maxPending 4 × that, as README's "Sizing" says.
const PEERS = { modulesLatencyMs: 50, mispDelayMs: 20 } as const;
const sized = (c: number): Record<string, number> => ({ "modules.concurrency": c, "pipeline.concurrency": 2 * c, "pipeline.maxPending": 8 * c });
const FEED: readonly { key: string; params: FeedParams }[] = [
  { key: "one-event", params: { label: "one event, defaults", events: 1, attributesPerEvent: 5_000, ...PEERS } },
  { key: "hundred-events", params: { label: "100 events, defaults", events: 100, attributesPerEvent: 50, ...PEERS } },
  { key: "serial", params: { label: "serial blueprint", events: 1, attributesPerEvent: 5_000, serial: true, timeBoxMs: 10_000, ...PEERS } },
  { key: "c64", params: { label: "concurrency 64", events: 1, attributesPerEvent: 5_000, overrides: sized(64), ...PEERS } },
  { key: "c128", params: { label: "concurrency 128", events: 1, attributesPerEvent: 5_000, overrides: sized(128), ...PEERS } },
  { key: "c128-no-echoes", params: { label: "concurrency 128, no echoes", events: 1, attributesPerEvent: 5_000, overrides: sized(128), echoes: false, ...PEERS } },
  { key: "c256", params: { label: "concurrency 256", events: 1, attributesPerEvent: 5_000, overrides: sized(256), ...PEERS } },
  { key: "repeated", params: { label: "repeated values", events: 1, attributesPerEvent: 2_000, distinctValues: 100, ...PEERS } },
];
const BACKLOG: BacklogParams = { messages: 1_000_000, mispDelayMs: 100, modulesLatencyMs: 50, drainMs: 20_000, sampleMs: 500 };
const STARTUP: StartupParams = { runs: 3, modulesLatencyMs: 50, mispDelayMs: 20, dripMs: 5 };

// BENCH_ONLY=5 runs section 5 alone; BENCH_ONLY=c128,serial runs those legs of section 5 alone (keys
// above). Sections and legs not named are skipped, and the checks and targets read what ran.
const only = process.env.BENCH_ONLY?.split(",").map((s) => s.trim()).filter(Boolean);
const runs = (section: number, leg?: string): boolean => only === undefined || only.includes(String(section)) || (leg !== undefined && only.includes(leg));
const skipped = async (): Promise<undefined> => undefined;

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

const decoder = runs(1) ? await section<DecoderBenchResult>("section 1", () => runDecoderBench({ rounds: 5, roundMs: 120 }), printDecoder) : await skipped();
const pipeline = runs(2)
  ? await section<PipelineResult>("section 2", () => runScenario({ name: "pipeline", params: PIPELINE }, 45_000), printPipeline)
  : await skipped();
const backpressure: BackpressureResult[] = [];
const backpressureStarted = performance.now();
for (const params of runs(3) ? BACKPRESSURE : []) {
  try {
    backpressure.push(await runScenario<BackpressureResult>({ name: "backpressure", params }, 25_000));
  } catch (error) {
    errors.push(`section 3 (${params.label}) did not complete: ${error instanceof Error ? error.message : String(error)}`);
  }
}
if (backpressure.length > 0) console.log(`${printBackpressure(backpressure)}\n${took(backpressureStarted)}`);
const zmq = runs(4) ? await section<ZmqResult>("section 4", () => runScenario({ name: "zmq", params: ZMQ }, 30_000), printZmq) : await skipped();

const feedRuns: FeedRun[] = [];
const feedStarted = performance.now();
for (const { key, params } of FEED.filter((leg) => runs(5, leg.key))) {
  try {
    feedRuns.push({ key, result: await runScenario<FeedResult>({ name: "feed", params }, 240_000) });
  } catch (error) {
    errors.push(`section 5 (${params.label}) did not complete: ${error instanceof Error ? error.message : String(error)}`);
  }
}
if (feedRuns.length > 0) console.log(`${printFeed(feedRuns)}\n${took(feedStarted)}`);
const backlog = runs(6) ? await section<BacklogResult>("section 6", () => runScenario({ name: "backlog", params: BACKLOG }, 120_000), printBacklog) : await skipped();
if (runs(7)) await section<StartupResult>("section 7", () => runScenario({ name: "startup", params: STARTUP }, 120_000), printStartup);

const results: Results = { ...(decoder ? { decoder } : {}), ...(pipeline ? { pipeline } : {}), backpressure, ...(zmq ? { zmq } : {}), feed: feedRuns, ...(backlog ? { backlog } : {}), errors };
const verdicts = checks(results);
console.log(heading("Checks"));
for (const c of verdicts) console.log(`${c.ok ? "PASS" : "FAIL"}  ${c.text}`);
console.log(heading("Targets (figures, not checks: a miss does not fail the run)"));
const goals = [...targets(feedRuns), ...(backlog ? [{ met: backlog.peakRss < 200 * 1_048_576, text: `RSS < 200 MB while the 1,000,000-message backlog drains: peak ${(backlog.peakRss / 1_048_576).toFixed(1)} MiB` }] : [])];
for (const t of goals) console.log(`${t.met ? "MET   " : "MISSED"}  ${t.text}`);
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
