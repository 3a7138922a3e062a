// BENCH_PROFILE_DIR=<dir> makes every process the benchmark forks write a V8 CPU profile there
// (node --cpu-prof), to read in Chrome DevTools or with any .cpuprofile viewer. BENCH_NODE_ARGS adds
// Node options to every forked process (e.g. "--trace-gc", "--heap-prof --heap-prof-dir=/tmp/heap").
// BENCH_PHASE_PROFILE_DIR=<dir> profiles only the measured phase of each section-5 leg, in the
// daemon's process (start-up, warm-up and the peers left out): <dir>/<leg label>.cpuprofile.

import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";

export function profileArgs(): string[] {
  const dir = process.env.BENCH_PROFILE_DIR;
  const extra = process.env.BENCH_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
  return [...(dir ? ["--cpu-prof", `--cpu-prof-dir=${dir}`] : []), ...extra];
}

/** Starts a CPU profile of this process when BENCH_PHASE_PROFILE_DIR is set; `stop` writes it. */
export async function startPhaseProfile(name: string): Promise<{ stop(): Promise<void> }> {
  const dir = process.env.BENCH_PHASE_PROFILE_DIR;
  if (!dir) return { stop: async () => undefined };
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
  return {
    async stop() {
      const { profile } = await session.post("Profiler.stop");
      writeFileSync(join(dir, `${name.replace(/[^\w.-]+/g, "-")}.cpuprofile`), JSON.stringify(profile));
      session.disconnect();
    },
  };
}
