// Section 2: attribute messages through pipeline.accept against the MISP and modules stand-ins (in
// the peers process), geolocation on, defaults for every pipeline setting. A warm-up, then a
// sequential pass (one message in flight: the unloaded latency), then the measured burst.

import { startBenchApp } from "./daemon-stack.js";
import { feed } from "./feed.js";
import { watchOutgoing } from "./http-watch.js";
import { percentile } from "./format.js";
import { growth, handlerRuns } from "./metric-read.js";
import { fullGc, startMemorySampler, type MemoryPeaks } from "./memory.js";
import { startPeers } from "./peers-client.js";
import type { PeersStats } from "./peers-protocol.js";

export interface PipelineParams {
  readonly events: number;
  readonly attributesPerEvent: number;
  readonly sequential: number;
  readonly warmup: number;
  /** Held at a proxy in front of the modules stand-in, as a real module server takes. */
  readonly modulesDelayMs: number;
}

export interface PipelineResult {
  readonly modulesDelayMs: number;
  readonly messages: number;
  readonly events: number;
  readonly concurrency: number;
  readonly maxPending: number;
  readonly modulesConcurrency: number;
  readonly wallMs: number;
  readonly messagesPerSecond: number;
  readonly latency: { readonly p50: number; readonly p95: number; readonly p99: number; readonly max: number };
  readonly queueWait: { readonly p50: number; readonly p95: number; readonly total: number };
  readonly sequential: { readonly messages: number; readonly p50: number; readonly p95: number };
  readonly peakPending: number;
  readonly memory: MemoryPeaks;
  /** heapUsed after a full GC taken the moment the producer stopped (pending at its highest). */
  readonly retainedHeap: number;
  readonly objectsCreated: number;
  readonly handlerRuns: Readonly<Record<string, number>>;
  /** Log lines over every message the daemon saw (warm-up and sequential pass included). */
  readonly logLinesPerMessage: number;
  readonly peers: PeersStats;
  /** Requests in flight at once from the daemon (undici), to MISP and to the module server. */
  readonly outgoing: { readonly misp: number; readonly modules: number };
}

export async function runPipeline(params: PipelineParams): Promise<PipelineResult> {
  const peers = await startPeers({ misp: "standin", mispDelayMs: 0, modulesDelayMs: params.modulesDelayMs, zmq: false });
  try {
    const warm = await peers.seed({ set: "warm", events: Math.max(1, Math.ceil(params.warmup / 100)), attributesPerEvent: Math.min(100, params.warmup), firstOctet: 45, seed: 1 });
    const seq = await peers.seed({ set: "seq", events: 2, attributesPerEvent: Math.ceil(params.sequential / 2), firstOctet: 46, seed: 2 });
    // Buffers only: the strings become garbage before the baseline is taken.
    const frames = (await peers.seed({ set: "main", events: params.events, attributesPerEvent: params.attributesPerEvent, firstOctet: 62, seed: 3 })).frames.map((f) => Buffer.from(f));
    const bench = await startBenchApp({ mispUrl: peers.mispUrl, modulesUrl: peers.modulesUrl });
    const { daemon } = bench;
    try {
      const warmRun = await feed({ accept: daemon.pipeline.accept, frames: warm.frames.map((f) => Buffer.from(f)) });
      await warmRun.allDone;

      const sequential: number[] = [];
      for (const line of seq.frames) {
        const started = performance.now();
        const { done } = await daemon.pipeline.accept({ topic: "misp_json_attribute", payload: Buffer.from(line), transport: "zmq", receivedAt: Date.now() });
        await done;
        sequential.push(performance.now() - started);
      }

      const objectsBefore = daemon.metrics.get("misp_enrichd_objects_written_total", { outcome: "created" });
      const runsBefore = handlerRuns(daemon.metrics.snapshot());
      await peers.reset();
      const outgoing = watchOutgoing();
      const sampler = startMemorySampler();
      const started = performance.now();
      const run = await feed({ accept: daemon.pipeline.accept, frames });
      // The producer just stopped: pending work is at its highest. What does it keep alive?
      fullGc();
      const retainedHeap = process.memoryUsage().heapUsed;
      const finishedAt = await run.allDone;
      const memory = sampler.stop();
      const wallMs = finishedAt - started;
      const stats = await peers.stats("main");
      const config = daemon.config;
      return {
        modulesDelayMs: params.modulesDelayMs,
        messages: run.accepted,
        events: params.events,
        concurrency: config.pipeline.concurrency,
        maxPending: config.pipeline.maxPending,
        modulesConcurrency: config.modules.concurrency,
        wallMs,
        messagesPerSecond: (run.accepted * 1000) / wallMs,
        latency: { p50: percentile(run.latencies, 50), p95: percentile(run.latencies, 95), p99: percentile(run.latencies, 99), max: percentile(run.latencies, 100) },
        queueWait: { p50: percentile(run.waits, 50), p95: percentile(run.waits, 95), total: run.acceptWaitMs },
        sequential: { messages: sequential.length, p50: percentile(sequential, 50), p95: percentile(sequential, 95) },
        peakPending: run.peakPending,
        memory,
        retainedHeap,
        objectsCreated: daemon.metrics.get("misp_enrichd_objects_written_total", { outcome: "created" }) - objectsBefore,
        handlerRuns: growth(runsBefore, handlerRuns(daemon.metrics.snapshot())),
        logLinesPerMessage: bench.logLines() / (warm.frames.length + seq.frames.length + run.accepted),
        peers: stats,
        outgoing: { misp: outgoing.peak(peers.mispUrl), modules: outgoing.peak(peers.modulesUrl) },
      };
    } finally {
      await bench.close();
    }
  } finally {
    await peers.close();
  }
}
