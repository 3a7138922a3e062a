// Memory and CPU of the current process while a phase runs: a 50 ms sampler records the peaks, so
// a short spike between two samples may be missed but a growing queue cannot be.

import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

export interface MemoryPeaks {
  /** After a full GC, before the phase. */
  readonly baseHeap: number;
  readonly baseRss: number;
  readonly peakHeap: number;
  readonly peakRss: number;
  /** User + system CPU of this process during the phase, in ms. */
  readonly cpuMs: number;
  readonly wallMs: number;
}

export interface MemorySampler {
  /** Stops sampling and returns the peaks. */
  stop(): MemoryPeaks;
}

let collect: (() => void) | undefined;

/** A full garbage collection, so that baselines compare; `--expose-gc` if given, else enabled here. */
export function fullGc(): void {
  if (collect === undefined) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (exposed) collect = exposed;
    else {
      setFlagsFromString("--expose-gc");
      collect = runInNewContext("gc") as () => void;
    }
  }
  collect();
  collect();
}

/**
 * `rssOnly` samples the resident set alone (`process.memoryUsage.rss()`): the full
 * `process.memoryUsage()` costs over a millisecond of CPU per call on this VM, which a CPU-per-message
 * figure would count as the daemon's.
 */
export function startMemorySampler(intervalMs = 50, options: { rssOnly?: boolean } = {}): MemorySampler {
  // A heap baseline needs a full GC first; an RSS-only sampler (section 5, whose CPU per enrichment is
  // a target) must not force one: V8 then deoptimises the optimised code whose embedded objects it
  // frees, and the measured phase recompiled it (250 TurboFan jobs in the concurrency 128 leg, tens of
  // µs per enrichment on V8's threads), which a running daemon never does.
  if (!options.rssOnly) fullGc();
  const base = process.memoryUsage();
  let peakHeap = base.heapUsed;
  let peakRss = base.rss;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const timer = setInterval(() => {
    if (options.rssOnly) {
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
      return;
    }
    const now = process.memoryUsage();
    if (now.heapUsed > peakHeap) peakHeap = now.heapUsed;
    if (now.rss > peakRss) peakRss = now.rss;
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      const now = process.memoryUsage();
      const used = process.cpuUsage(cpu);
      return {
        baseHeap: base.heapUsed,
        baseRss: base.rss,
        peakHeap: Math.max(peakHeap, now.heapUsed),
        peakRss: Math.max(peakRss, now.rss),
        cpuMs: (used.user + used.system) / 1000,
        wallMs: performance.now() - started,
      };
    },
  };
}
