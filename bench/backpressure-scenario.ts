// Section 3: a slow MISP (a proxy holds every request) and a producer that offers frames as fast
// as `accept` takes them, with a small pipeline.maxPending. Bounded: the producer must be held back
// (time spent inside accept) while pending work and memory stay flat. With `maxPending` set huge,
// the same producer shows what the bound prevents: everything is accepted at once and held in memory.

import { startBenchApp } from "./daemon-stack.js";
import { feed } from "./feed.js";
import { watchOutgoing } from "./http-watch.js";
import { fullGc, startMemorySampler, type MemoryPeaks } from "./memory.js";
import { startPeers } from "./peers-client.js";
import type { PeersStats } from "./peers-protocol.js";

export interface BackpressureParams {
  readonly label: string;
  readonly mispDelayMs: number;
  readonly modulesDelayMs: number;
  readonly maxPending: number;
  readonly events: number;
  readonly attributesPerEvent: number;
  /** Stop offering after this long; what was accepted still finishes (unless `drain` is false). */
  readonly timeBoxMs: number;
  /** false: report once everything is offered and exit without waiting for the slow MISP. */
  readonly drain: boolean;
  /** Without draining: keep sampling this long after the last frame was accepted. */
  readonly holdMs?: number;
}

export interface BackpressureResult {
  readonly label: string;
  readonly mispDelayMs: number;
  readonly maxPending: number;
  readonly concurrency: number;
  readonly offered: number;
  readonly accepted: number;
  readonly timedOut: boolean;
  readonly offerMs: number;
  readonly acceptWaitMs: number;
  readonly maxAcceptWaitMs: number;
  /** Accepted and not yet done, counted by the producer. */
  readonly peakPending: number;
  /** The daemon's misp_enrichd_in_flight gauge: the keyed queue's accepted, unfinished tasks. */
  readonly peakInFlight: number;
  /** Frames finished by the end (all accepted ones when drained). */
  readonly finished: number;
  readonly finishMs: number;
  /** False for the unbounded run: measured once everything was accepted, not drained. */
  readonly drained: boolean;
  readonly memory: MemoryPeaks;
  /** heapUsed after a full GC taken the moment the producer stopped (pending at its highest). */
  readonly retainedHeap: number;
  readonly peers: PeersStats;
  /** Requests in flight at once from the daemon (undici), to MISP and to the module server. */
  readonly outgoing: { readonly misp: number; readonly modules: number };
}

export async function runBackpressure(params: BackpressureParams): Promise<BackpressureResult> {
  const peers = await startPeers({ misp: "light", mispDelayMs: params.mispDelayMs, modulesDelayMs: params.modulesDelayMs, zmq: false });
  try {
    // Buffers only: the strings become garbage before the baseline is taken.
    const frames = (await peers.synthesize({ set: "main", events: params.events, attributesPerEvent: params.attributesPerEvent, firstOctet: 81, seed: 4 })).frames.map((f) => Buffer.from(f));
    const bench = await startBenchApp({ mispUrl: peers.mispUrl, modulesUrl: peers.modulesUrl, overrides: { "pipeline.maxPending": params.maxPending } });
    const { daemon } = bench;
    try {
      await peers.reset();
      const outgoing = watchOutgoing();
      const sampler = startMemorySampler();
      const started = performance.now();
      const run = await feed({
        accept: daemon.pipeline.accept,
        frames,
        timeBoxMs: params.timeBoxMs,
        probe: () => daemon.metrics.get("misp_enrichd_in_flight"),
      });
      // The producer just stopped: pending work is at its highest. What does it keep alive?
      fullGc();
      const retainedHeap = process.memoryUsage().heapUsed;
      let finishedAt: number;
      if (params.drain) {
        finishedAt = await run.allDone;
      } else {
        await new Promise((resolve) => setTimeout(resolve, params.holdMs ?? 500));
        finishedAt = performance.now();
      }
      const memory = sampler.stop();
      const stats = await peers.stats("main");
      return {
        label: params.label,
        mispDelayMs: params.mispDelayMs,
        maxPending: daemon.config.pipeline.maxPending,
        concurrency: daemon.config.pipeline.concurrency,
        offered: frames.length,
        accepted: run.accepted,
        timedOut: run.timedOut,
        offerMs: run.offerMs,
        acceptWaitMs: run.acceptWaitMs,
        maxAcceptWaitMs: run.maxAcceptWaitMs,
        peakPending: run.peakPending,
        peakInFlight: run.peakProbe,
        finished: run.latencies.length,
        finishMs: finishedAt - started,
        drained: params.drain,
        memory,
        retainedHeap,
        peers: stats,
        outgoing: { misp: outgoing.peak(peers.mispUrl), modules: outgoing.peak(peers.modulesUrl) },
      };
    } finally {
      // Undrained: nothing waits for the slow MISP; the process exits right after answering.
      if (params.drain) await bench.close();
      else bench.discard();
    }
  } finally {
    // Undrained, closing MISP under 16 running handlers would only make them retry: the peers
    // process exits by itself when this process does.
    if (params.drain) await peers.close();
  }
}
