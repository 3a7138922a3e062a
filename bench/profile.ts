// BENCH_PROFILE_DIR=<dir> makes every process the benchmark forks write a V8 CPU profile there
// (node --cpu-prof), to read in Chrome DevTools or with any .cpuprofile viewer. BENCH_NODE_ARGS adds
// Node options to every forked process (e.g. "--trace-gc", "--heap-prof --heap-prof-dir=/tmp/heap").
// BENCH_PHASE_PROFILE_DIR=<dir> profiles only the measured phase of each section-5 leg, in the
// daemon's process (start-up, warm-up and the peers left out): <dir>/<leg label>.cpuprofile.
// BENCH_PHASE_HEAP_PROFILE_DIR=<dir> takes a sampling heap profile of the same phase instead, every
// object allocated counted whether or not a GC has collected it by the end (<dir>/<leg label>.heapprofile;
// `node dist/bench/heap-summary.js <file> [enrichments]` sums it by function and by file).
// BENCH_HEAP_SAMPLING_INTERVAL sets the profiler's mean bytes between samples (default 8192);
// BENCH_HEAP_SURVIVORS=1 leaves out what a scavenge collected: what is left is what outlived the
// young generation (copied, often promoted), the part of the garbage that costs the most to collect.

import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";

export function profileArgs(): string[] {
  const dir = process.env.BENCH_PROFILE_DIR;
  const extra = process.env.BENCH_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
  return [...(dir ? ["--cpu-prof", `--cpu-prof-dir=${dir}`] : []), ...extra];
}

/** Starts a CPU or heap profile of this process when BENCH_PHASE_(HEAP_)PROFILE_DIR is set; `stop` writes it. */
export async function startPhaseProfile(name: string): Promise<{ stop(): Promise<void> }> {
  const cpuDir = process.env.BENCH_PHASE_PROFILE_DIR;
  const heapDir = process.env.BENCH_PHASE_HEAP_PROFILE_DIR;
  if (!cpuDir && !heapDir) return { stop: async () => undefined };
  const file = name.replace(/[^\w.-]+/g, "-");
  const session = new Session();
  session.connect();
  if (heapDir) {
    await session.post("HeapProfiler.enable");
    await session.post("HeapProfiler.startSampling", {
      samplingInterval: Number(process.env.BENCH_HEAP_SAMPLING_INTERVAL ?? 8192),
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: process.env.BENCH_HEAP_SURVIVORS !== "1",
    });
  }
  if (cpuDir) {
    await session.post("Profiler.enable");
    await session.post("Profiler.start");
  }
  return {
    async stop() {
      if (cpuDir) {
        const { profile } = await session.post("Profiler.stop");
        writeFileSync(join(cpuDir, `${file}.cpuprofile`), JSON.stringify(profile));
      }
      if (heapDir) {
        const { profile } = await session.post("HeapProfiler.stopSampling");
        writeFileSync(join(heapDir, `${file}.heapprofile`), JSON.stringify(profile));
      }
      session.disconnect();
    },
  };
}
