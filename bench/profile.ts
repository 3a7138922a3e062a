// BENCH_PROFILE_DIR=<dir> makes every process the benchmark forks write a V8 CPU profile there
// (node --cpu-prof), to read in Chrome DevTools or with any .cpuprofile viewer. BENCH_NODE_ARGS adds
// Node options to every forked process (e.g. "--trace-gc", "--heap-prof --heap-prof-dir=/tmp/heap").

export function profileArgs(): string[] {
  const dir = process.env.BENCH_PROFILE_DIR;
  const extra = process.env.BENCH_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
  return [...(dir ? ["--cpu-prof", `--cpu-prof-dir=${dir}`] : []), ...extra];
}
