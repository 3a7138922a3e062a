// BENCH_PROFILE_DIR=<dir> makes every process the benchmark forks write a V8 CPU profile there
// (node --cpu-prof), to read in Chrome DevTools or with any .cpuprofile viewer.

export function profileArgs(): string[] {
  const dir = process.env.BENCH_PROFILE_DIR;
  return dir ? ["--cpu-prof", `--cpu-prof-dir=${dir}`] : [];
}
