// Section 5: feed-sized events at the peers' speed. One daemon per leg (its own process), the light
// MISP holding each write `mispDelayMs` and echoing every object's attributes on a real ZeroMQ socket
// the daemon reads (as MISP does), and the modules stand-in holding each query `modulesLatencyMs` with
// no cap on how many wait at once (a module farm). The input frames go through `pipeline.accept`, as a
// bus hands them over; the echoes come through the daemon's own ZeroMQ bus, so the daemon's CPU figure
// (process CPU over enrichments written) includes decoding and dropping them.

import { startBenchApp } from "./daemon-stack.js";
import { feed } from "./feed.js";
import { startMemorySampler, type MemoryPeaks } from "./memory.js";
import { startThreadCpu, type ThreadCpu } from "./thread-cpu.js";
import { startPeers } from "./peers-client.js";
import { startPhaseProfile } from "./profile.js";
import type { PeersStats } from "./peers-protocol.js";
import { untilSubscribed } from "./zmq-scenario.js";

export interface FeedParams {
  readonly label: string;
  readonly events: number;
  readonly attributesPerEvent: number;
  /** This many distinct values, repeated (the cache leg); default all distinct. */
  readonly distinctValues?: number;
  readonly modulesLatencyMs: number;
  readonly mispDelayMs: number;
  /** Config overrides (modules.concurrency, pipeline.concurrency, pipeline.maxPending, modules.cache.*). */
  readonly overrides?: Readonly<Record<string, unknown>>;
  /** One message at a time, each awaited before the next: the serial blueprint. */
  readonly serial?: boolean;
  /** Stop offering after this long (the serial leg); what was accepted still finishes. */
  readonly timeBoxMs?: number;
  /** false: MISP echoes nothing (to see what the echoes cost); default true. */
  readonly echoes?: boolean;
}

export interface FeedResult {
  readonly label: string;
  readonly serial: boolean;
  /** Distinct values among the attributes, when they repeat. */
  readonly distinct?: number;
  readonly events: number;
  readonly offered: number;
  readonly messages: number;
  readonly modulesLatencyMs: number;
  readonly mispDelayMs: number;
  readonly modulesConcurrency: number;
  readonly pipelineConcurrency: number;
  readonly maxPending: number;
  /** First accept → last done. */
  readonly wallMs: number;
  readonly objects: number;
  readonly enrichmentsPerSecond: number;
  readonly memory: MemoryPeaks;
  /** The measured phase's CPU by thread group (thread-cpu.ts). */
  readonly threads: ThreadCpu;
  readonly peakPending: number;
  readonly echoes: { readonly published: number; readonly received: number; readonly recognised: number };
  readonly cache: { readonly hits: number; readonly misses: number; readonly coalesced: number };
  readonly logLines: number;
  readonly peers: PeersStats;
}

export async function runFeed(params: FeedParams): Promise<FeedResult> {
  const echoes = params.echoes !== false;
  const peers = await startPeers({ misp: "light", mispDelayMs: params.mispDelayMs, modulesDelayMs: 0, modulesLatencyMs: params.modulesLatencyMs, zmq: echoes });
  try {
    // Warm-up: JIT, and a connection to each peer for every request that will be in flight at once.
    // 64 messages per handler slot (at least 100, at most 16,384): V8 optimises a function (TurboFan,
    // on its background threads) once it has run a number of times that grows with its size, and the
    // hot path's largest functions (the runner, the writer, the queue) need thousands of messages.
    // With 8 per slot (2,048 at concurrency 128) the measured phase still ran 125 compilations, 0.5 s
    // of those threads' CPU, about 0.1 ms per enrichment that a daemon running for hours pays once;
    // with 16,384, 26 and 0.1 s (bench/README.md, "Findings", fifth pass).
    const warmCount = Math.max(100, Math.min(16_384, 64 * Number(params.overrides?.["pipeline.concurrency"] ?? 16)));
    let warm: Buffer[] | undefined = (await peers.synthesize({ set: "warm", events: 1, attributesPerEvent: warmCount, firstOctet: 44, seed: 5 })).frames.map((f) => Buffer.from(f));
    const request = { set: "main", events: params.events, attributesPerEvent: params.attributesPerEvent, firstOctet: 83, seed: 6 };
    const frames = (await peers.synthesize(params.distinctValues === undefined ? request : { ...request, distinctValues: params.distinctValues })).frames.map((f) => Buffer.from(f));
    const bench = await startBenchApp({
      mispUrl: peers.mispUrl,
      modulesUrl: peers.modulesUrl,
      overrides: { ...(peers.zmqUrl ? { "bus.type": "zmq", "bus.zmq.url": peers.zmqUrl, "bus.zmq.silenceWarnMs": 600_000 } : {}), ...params.overrides },
    });
    const { daemon } = bench;
    const m = daemon.metrics;
    try {
      if (echoes) {
        const running = daemon.pipeline.run(daemon.createBus());
        running.catch(() => undefined);
        await untilSubscribed(() => peers.heartbeat(), () => m.get("misp_enrichd_messages_total", { kind: "heartbeat" }) > 0);
      }
      await (await feed({ accept: daemon.pipeline.accept, frames: warm })).allDone;
      warm = undefined; // its frames are not the phase's memory
      const echoFrames = (): number => m.get("misp_enrichd_frames_total", { transport: "zmq", kind: "attribute" });
      await settleEchoes(peers, echoFrames, { published: 0, received: 0 }, 5_000);

      const before = {
        objects: m.get("misp_enrichd_objects_written_total", { outcome: "created" }),
        echoFrames: echoFrames(),
        recognised: m.total("misp_enrichd_echoes_total"),
        hits: m.total("misp_enrichd_module_cache_hits_total"),
        misses: m.total("misp_enrichd_module_cache_misses_total"),
        coalesced: m.total("misp_enrichd_module_cache_coalesced_total"),
        logLines: bench.logLines(),
      };
      await peers.reset();
      const echoesBefore = { published: (await peers.stats("main")).echoes, received: before.echoFrames };
      const profile = await startPhaseProfile(params.label);
      const sampler = startMemorySampler(250, { rssOnly: true });
      const threadCpu = startThreadCpu();
      const started = performance.now();
      let accepted = 0;
      let peakPending = 0;
      let finishedAt: number;
      if (params.serial) {
        const deadline = started + (params.timeBoxMs ?? Infinity);
        for (const payload of frames) {
          if (performance.now() >= deadline) break;
          const { done } = await daemon.pipeline.accept({ topic: "misp_json_attribute", payload, transport: "zmq", receivedAt: Date.now() });
          accepted++;
          peakPending = 1;
          await done;
        }
        finishedAt = performance.now();
      } else {
        const run = await feed({ accept: daemon.pipeline.accept, frames, ...(params.timeBoxMs ? { timeBoxMs: params.timeBoxMs } : {}) });
        accepted = run.accepted;
        finishedAt = await run.allDone;
        peakPending = run.peakPending;
      }
      // The echoes of the last writes are still on their way: they are part of the cost. (The
      // input frames are counted on the same transport: they are taken off.)
      const echoesRead = (): number => echoFrames() - accepted;
      const stats = echoes ? await settleEchoes(peers, echoesRead, echoesBefore, 10_000) : await peers.stats("main");
      const memory = sampler.stop();
      const threads = threadCpu.stop();
      await profile.stop();
      const wallMs = finishedAt - started;
      const objects = m.get("misp_enrichd_objects_written_total", { outcome: "created" }) - before.objects;
      const config = daemon.config;
      return {
        label: params.label,
        serial: params.serial === true,
        ...(params.distinctValues === undefined ? {} : { distinct: params.distinctValues }),
        events: params.events,
        offered: frames.length,
        messages: accepted,
        modulesLatencyMs: params.modulesLatencyMs,
        mispDelayMs: params.mispDelayMs,
        modulesConcurrency: config.modules.concurrency,
        pipelineConcurrency: config.pipeline.concurrency,
        maxPending: config.pipeline.maxPending,
        wallMs,
        objects,
        enrichmentsPerSecond: (objects * 1000) / wallMs,
        memory,
        threads,
        peakPending,
        echoes: { published: stats.echoes - echoesBefore.published, received: echoesRead() - before.echoFrames, recognised: m.total("misp_enrichd_echoes_total") - before.recognised },
        cache: {
          hits: m.total("misp_enrichd_module_cache_hits_total") - before.hits,
          misses: m.total("misp_enrichd_module_cache_misses_total") - before.misses,
          coalesced: m.total("misp_enrichd_module_cache_coalesced_total") - before.coalesced,
        },
        logLines: bench.logLines() - before.logLines,
        peers: stats,
      };
    } finally {
      await bench.close();
    }
  } finally {
    await peers.close();
  }
}

/** Waits (at most `limitMs`) until the daemon received every echo the light MISP published since `since`. */
async function settleEchoes(
  peers: Awaited<ReturnType<typeof startPeers>>,
  received: () => number,
  since: { readonly published: number; readonly received: number },
  limitMs: number,
): Promise<PeersStats> {
  const deadline = performance.now() + limitMs;
  let stats = await peers.stats("main");
  while (performance.now() < deadline) {
    stats = await peers.stats("main");
    if (received() - since.received >= stats.echoes - since.published) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return stats;
}
