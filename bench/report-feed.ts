// Sections 5-7: feed-sized events, the 1,000,000-message backlog, start-up; and the issue's targets,
// each with the figure that meets or misses it. Figures only: targets never fail the run.

import type { BacklogResult } from "./backlog-scenario.js";
import type { FeedResult } from "./feed-scenario.js";
import { heading, median, mib, ms, num, percent, ratio, table, type Cell } from "./format.js";
import type { StartupResult } from "./startup-scenario.js";

export interface FeedRun {
  readonly key: string;
  readonly result: FeedResult;
}

const find = (runs: readonly FeedRun[], key: string): FeedResult | undefined => runs.find((r) => r.key === key)?.result;

/** The module-bound ideal: modules.concurrency queries of `latency` ms each, back to back. */
export const idealRate = (r: FeedResult): number => (r.modulesConcurrency * 1000) / r.modulesLatencyMs;
export const cpuPerEnrichment = (r: FeedResult): number => r.memory.cpuMs / Math.max(1, r.objects);
const restPerEnrichment = (r: FeedResult): number => r.peers.mispRequests / Math.max(1, r.objects);

export function printFeed(runs: readonly FeedRun[]): string {
  const serial = find(runs, "serial");
  const rows: Cell[][] = [["leg", "attributes", "modules / pipeline / maxPending", "enrichments/s", "ideal C/latency", "of ideal", "× serial", "CPU ms/enrichment", "REST/enrichment", "echoes published / read", "RSS peak"]];
  for (const { result: r } of runs) {
    rows.push([
      r.label,
      `${r.messages} in ${r.events} event${r.events === 1 ? "" : "s"}`,
      `${r.modulesConcurrency} / ${r.serial ? 1 : r.pipelineConcurrency} / ${r.serial ? 1 : r.maxPending}`,
      r.enrichmentsPerSecond,
      r.serial ? "-" : num(idealRate(r)),
      r.serial ? "-" : percent(r.enrichmentsPerSecond, idealRate(r)),
      serial && !r.serial ? ratio(r.enrichmentsPerSecond, serial.enrichmentsPerSecond) : "-",
      cpuPerEnrichment(r),
      restPerEnrichment(r),
      `${r.echoes.published} / ${r.echoes.received}`,
      mib(r.memory.peakRss),
    ]);
  }
  const lines = [
    heading("5. Feed-sized events (one event of many attributes, a module farm, the cache)"),
    "Each leg is a fresh daemon process (createDaemon, logs at info written to /dev/null) fed through pipeline.accept; the modules stand-in holds every",
    `query ${runs[0]?.result.modulesLatencyMs ?? "?"} ms with no cap on how many wait (a module farm), the light MISP holds every write ${runs[0]?.result.mispDelayMs ?? "?"} ms and echoes each`,
    "written object's attributes on a real ZeroMQ socket the daemon reads (they count in its CPU). Module answers differ per attribute",
    "(distinct addresses) except in the repeated-values leg. CPU = the daemon process's user+system time over enrichments written.",
    table(rows),
    "",
    "CPU per enrichment by thread (µs; /proc/self/task, 10 ms ticks): the main thread, V8's platform threads with libuv's pool",
    "(garbage collection, compilation), ZeroMQ's threads.",
    table([
      ["leg", "main thread", "V8 and libuv threads", "ZeroMQ threads"],
      ...runs.map(({ result: r }) => {
        const per = (cpuMs: number): number => Math.round((cpuMs * 1000) / Math.max(1, r.objects));
        return [r.label, per(r.threads.mainMs), per(r.threads.v8AndLibuvMs), per(r.threads.zmqMs)] as Cell[];
      }),
    ]),
  ];
  const one = find(runs, "one-event");
  const spread = find(runs, "hundred-events");
  const c128 = find(runs, "c128");
  const quiet = find(runs, "c128-no-echoes");
  const repeated = find(runs, "repeated");
  lines.push("");
  if (one && spread) lines.push(`one event of ${one.messages} vs the same over ${spread.events} events: ${ratio(one.enrichmentsPerSecond, spread.enrichmentsPerSecond)} the rate`);
  if (one && serial) lines.push(`one event at the defaults vs the serial blueprint (one message at a time): ${ratio(one.enrichmentsPerSecond, serial.enrichmentsPerSecond)}`);
  for (const key of ["c64", "c128", "c256"]) {
    const r = find(runs, key);
    if (r) lines.push(`modules.concurrency ${r.modulesConcurrency}: ${percent(r.enrichmentsPerSecond, idealRate(r))} of the ideal ${num(idealRate(r))}/s${serial ? `, ${ratio(r.enrichmentsPerSecond, serial.enrichmentsPerSecond)} the serial blueprint` : ""}`);
  }
  if (c128 && quiet) {
    lines.push(
      `CPU per enrichment at concurrency 128 with MISP's echoes minus without: ${ms(cpuPerEnrichment(c128) - cpuPerEnrichment(quiet))} (${c128.echoes.published} echo frames, ${num(c128.echoes.published / Math.max(1, c128.objects))} per enrichment; two legs apart in time, so within the machine's noise)`,
    );
  }
  if (repeated) {
    const asked = repeated.cache.hits + repeated.cache.misses + repeated.cache.coalesced;
    lines.push(
      `repeated values: ${repeated.messages} attributes over ${repeated.distinct ?? "?"} distinct values → ${repeated.peers.moduleQueries} module calls; ${percent(repeated.cache.hits + repeated.cache.coalesced, asked)} answered without a call (${repeated.cache.hits} hits, ${repeated.cache.coalesced} joined a call in flight, ${repeated.cache.misses} misses)`,
    );
  }
  return lines.join("\n");
}

export function printBacklog(r: BacklogResult): string {
  const series = r.rssSeries;
  const at = (f: number): string => `${Math.round(series[Math.min(series.length - 1, Math.floor(f * (series.length - 1)))] ?? 0)}`;
  const rows: Cell[][] = [
    ["measure", "value"],
    ["backlog (replay bus reading a stream made as it is read)", `${num(r.messages)} messages`],
    [`drained for`, ms(r.drainMs)],
    ["read by the bus / enrichments written", `${num(r.read)} / ${num(r.enrichments)}`],
    [`peak accepted-unfinished (maxPending ${r.maxPending})`, r.peakInFlight],
    ["RSS before → peak → end", `${mib(r.baseRss)} → ${mib(r.peakRss)} → ${mib(r.endRss)}`],
    ["RSS at 0 / 25 / 50 / 75 / 100 % of the time (MiB)", [0, 0.25, 0.5, 0.75, 1].map(at).join(" / ")],
    ["heap after a full GC, before → end", `${mib(r.baseHeap)} → ${mib(r.heapAfterGc)}`],
  ];
  return [
    heading("6. A backlog of 1,000,000 messages against a slow MISP"),
    `The light MISP holds every write ${r.mispDelayMs} ms, the module ${r.modulesLatencyMs} ms; defaults otherwise. The bus reads a line only once accept() took`,
    "the previous one, so the backlog stays in the stream (a file, a Kafka partition) and the daemon's memory stays flat.",
    "ZeroMQ cannot do this: a PUB socket drops what does not fit in SNDHWM + RCVHWM (section 4 counts those drops), and the gap backfill recovers them.",
    table(rows),
  ].join("\n");
}

export function printStartup(r: StartupResult): string {
  const rows: Cell[][] = [
    ["measure", "median", "runs"],
    ['spawn → "misp-enrichd starting" logged', ms(median(r.startingMs)), r.startingMs.map((v) => Math.round(v)).join(", ")],
    ["spawn → first enrichment stored by MISP", ms(median(r.firstEnrichmentMs)), r.firstEnrichmentMs.map((v) => Math.round(v)).join(", ")],
  ];
  return [
    heading("7. Start-up"),
    `\`node dist/src/cli/entry.js run\` as systemd starts it, while MISP publishes a new attribute every few ms; the module takes ${r.modulesLatencyMs} ms, MISP ${r.mispDelayMs} ms.`,
    "The first enrichment also waits for ZeroMQ's subscription to reach the publisher.",
    table(rows),
  ].join("\n");
}

export interface Target {
  readonly met: boolean;
  readonly text: string;
}

/** The issue's targets, each with its figure; a miss says by how much. */
export function targets(runs: readonly FeedRun[]): Target[] {
  const out: Target[] = [];
  const one = find(runs, "one-event");
  const serial = find(runs, "serial");
  const c128 = find(runs, "c128");
  const repeated = find(runs, "repeated");
  if (one) {
    const share = one.enrichmentsPerSecond / idealRate(one);
    out.push({ met: share >= 0.8, text: `one big event at the defaults ≥ 0.8 × the module-bound ideal ${num(idealRate(one))}/s: ${num(one.enrichmentsPerSecond)}/s = ${num(share)} ×` });
  }
  if (c128 && serial) {
    const times = c128.enrichmentsPerSecond / serial.enrichmentsPerSecond;
    out.push({ met: times >= 90, text: `modules.concurrency 128, no thread cap ≥ 90 × the serial blueprint (${num(serial.enrichmentsPerSecond)}/s): ${num(c128.enrichmentsPerSecond)}/s = ${num(times)} ×` });
  }
  if (c128) {
    const cpu = cpuPerEnrichment(c128);
    out.push({ met: cpu <= 0.5, text: `daemon CPU ≤ 0.5 ms per enrichment (echoes included, logs at info), at concurrency 128: ${ms(cpu)}${cpu > 0.5 ? ` (${num(cpu / 0.5)} × the target)` : ""}` });
  }
  if (repeated && repeated.distinct !== undefined) {
    out.push({ met: repeated.peers.moduleQueries === repeated.distinct, text: `module calls = distinct values within the TTL: ${repeated.peers.moduleQueries} calls for ${repeated.distinct} values` });
  }
  return out;
}
