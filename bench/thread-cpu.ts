// CPU time of each of this process's threads, from /proc/self/task (Linux): the main thread, V8's
// platform threads (parallel scavenges, concurrent marking and sweeping, compilation) with libuv's
// pool, and ZeroMQ's own threads. A CPU profile shows the main thread alone; this shows where the rest
// of the process's CPU goes. Elsewhere (no /proc) every figure is 0.

import { readdirSync, readFileSync } from "node:fs";

export interface ThreadCpu {
  /** Milliseconds of user+system time, over the interval. */
  readonly mainMs: number;
  readonly v8AndLibuvMs: number;
  readonly zmqMs: number;
}

type Snapshot = ReadonlyMap<string, { readonly group: keyof ThreadCpu; readonly ms: number }>;

/** Linux's USER_HZ, which /proc reports times in (100 on every mainstream architecture). */
const TICK_MS = 10;

function snapshot(): Snapshot {
  const threads = new Map<string, { group: keyof ThreadCpu; ms: number }>();
  let tids: string[];
  try {
    tids = readdirSync("/proc/self/task");
  } catch {
    return threads;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      // Fields after the name: state is the 3rd of stat(5); utime and stime the 14th and 15th.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const ms = (Number(fields[11]) + Number(fields[12])) * TICK_MS;
      const group: keyof ThreadCpu = tid === String(process.pid) ? "mainMs" : name.startsWith("ZMQbg") ? "zmqMs" : "v8AndLibuvMs";
      threads.set(tid, { group, ms });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return threads;
}

/** Starts counting; `stop` gives each group's CPU since (threads that ended meanwhile are not counted). */
export function startThreadCpu(): { stop(): ThreadCpu } {
  const before = snapshot();
  return {
    stop() {
      const totals = { mainMs: 0, v8AndLibuvMs: 0, zmqMs: 0 };
      for (const [tid, now] of snapshot()) totals[now.group] += now.ms - (before.get(tid)?.ms ?? 0);
      return totals;
    },
  };
}
