// Turns each section's result into the printed tables. Figures only; the reading is in reading.ts.

import type { BackpressureResult } from "./backpressure-scenario.js";
import type { DecoderBenchResult } from "./decoder-bench.js";
import type { Environment } from "./environment.js";
import { heading, mib, ms, num, percent, ratio, table, type Cell } from "./format.js";
import type { PipelineResult } from "./pipeline-scenario.js";
import type { ZmqResult } from "./zmq-scenario.js";

export function printEnvironment(env: Environment): string {
  return [
    "misp-enrichd benchmark (npm run bench)",
    `node ${env.node} (V8 ${env.v8}) · ${env.os} · ${env.cpu}, ${env.cores} cores · ${mib(env.memory)} RAM`,
    `load average at start ${env.loadAverage.map((l) => l.toFixed(2)).join(" ")} (1, 5, 15 min) · commit ${env.commit} · ${env.startedAt}`,
    `the daemon runs with the shipped unit's NODE_OPTIONS: ${env.daemonNodeOptions.join(" ") || "(none)"}`,
  ].join("\n");
}

export function printDecoder(r: DecoderBenchResult): string {
  const rows: Cell[][] = [["case", "frame", "bytes", "frames/s (wall)", "frames/CPU-s", "µs CPU/frame", "CPU rounds min..max"]];
  for (const c of r.cases) rows.push([c.id, c.label, c.bytes, Math.round(c.wallOps), Math.round(c.cpuOps), 1e6 / c.cpuOps, `${num(c.minCpuOps)}..${num(c.maxCpuOps)}`]);
  return [
    heading("1. Decoder hot path (in process, one frame at a time)"),
    `${r.rounds} interleaved rounds of ${r.roundMs} ms per case; medians. Ratios are the median of the per-round ratios, on CPU time.`,
    table(rows),
    "",
    `b/a  unwanted topic vs full decode:       ${num(r.ratio("b", "a"))}× cheaper (b2, a 6 KB publish frame dropped: ${num(r.ratio("b2", "a"))}×: the drop does not read the payload)`,
    `a/d  full decode vs JSON.parse alone:     ${num(r.ratio("d", "a"))}× the cost of the parse (typed readers + frame split on top of it)`,
    `c/a  publish frame vs attribute frame:    ${num(r.ratio("a", "c"))}× the cost`,
    `e/b  pipeline.accept vs decoder, same drop: ${num(r.ratio("b", "e"))}× the cost (metrics labels and the promise around it)`,
    `g/f  an echo no route takes, decoded vs dropped by the prefilter: ${num(r.ratio("f", "g"))}× the cost`,
  ].join("\n");
}

export function printPipeline(r: PipelineResult): string {
  const p = r.peers;
  const rows: Cell[][] = [
    ["measure", "value"],
    ["messages/s, end to end (first accept → last done)", r.messagesPerSecond],
    ["objects written / messages", `${r.objectsCreated} / ${r.messages}`],
    ["handler runs by outcome", Object.entries(r.handlerRuns).map(([k, v]) => `${k} ${v}`).join(", ")],
    ["latency accept → done, p50 / p95 / p99", `${ms(r.latency.p50)} / ${ms(r.latency.p95)} / ${ms(r.latency.p99)}`],
    ["  of which waiting inside accept(), p50 / p95", `${ms(r.queueWait.p50)} / ${ms(r.queueWait.p95)}`],
    [`latency with one message in flight (${r.sequential.messages}), p50 / p95`, `${ms(r.sequential.p50)} / ${ms(r.sequential.p95)}`],
    [`peak pending (pipeline.maxPending ${r.maxPending})`, r.peakPending],
    ["heap: baseline → peak (sampled every 50 ms)", `${mib(r.memory.baseHeap)} → ${mib(r.memory.peakHeap)}`],
    ["heap retained at peak pending (after a full GC)", `${mib(r.retainedHeap)} (+${mib(r.retainedHeap - r.memory.baseHeap)})`],
    ["RSS: baseline → peak", `${mib(r.memory.baseRss)} → ${mib(r.memory.peakRss)}`],
    ["daemon CPU per message (process total / messages)", ms(r.memory.cpuMs / r.messages)],
    ["peers CPU per message (MISP + modules stand-ins, proxy)", ms(p.cpuMs / r.messages)],
    [`requests in flight from the daemon at once: modules / MISP`, `${r.outgoing.modules} / ${r.outgoing.misp}`],
    ["requests open at once as the servers saw them: modules / MISP", `${p.maxModuleConcurrency} / ${p.maxMispConcurrency}`],
    ["handler starts (module queries), against each event's order", orderText(p.queryOrder)],
    ["write-backs (references stored), against each event's order", orderText(p.writeOrder)],
    ["log lines per message (level info)", r.logLinesPerMessage],
  ];
  return [
    heading("2. Pipeline in process (pipeline.accept → geolocation → modules + MISP)"),
    `${r.messages} ip attributes in ${r.events} events, interleaved; createDaemon as \`run\` builds it (attributes of one event run concurrently: "out of order" counts overtaking, not a fault),`,
    `defaults: pipeline.concurrency ${r.concurrency}, maxPending ${r.maxPending}, modules.concurrency ${r.modulesConcurrency}. Peers in their own process:`,
    `the MISP stand-in, and the modules stand-in behind a proxy holding each query ${r.modulesDelayMs} ms (a real server asks an upstream).`,
    table(rows),
  ].join("\n");
}

function orderText(o: { events: number; seen: number; violations: number; duplicates: number }): string {
  return `${o.seen} messages in ${o.events} events, ${o.violations} out of order, ${o.duplicates} twice`;
}

export function printBackpressure(runs: readonly BackpressureResult[]): string {
  const producer: Cell[][] = [
    ["run", "MISP delay", "maxPending", "accepted", "offering", "inside accept()", "µs/frame in accept", "peak pending", "peak in_flight", "MISP in flight", "done/s"],
  ];
  const memory: Cell[][] = [["run", "heap baseline", "heap retained (Δ)", "heap peak (Δ)", "RSS baseline", "RSS peak (Δ)", "daemon CPU"]];
  for (const r of runs) {
    producer.push([
      r.label,
      `${r.mispDelayMs} ms`,
      r.maxPending,
      `${r.accepted} of ${r.offered}`,
      ms(r.offerMs),
      `${ms(r.acceptWaitMs)} (${percent(r.acceptWaitMs, r.offerMs)})`,
      (1000 * r.acceptWaitMs) / Math.max(1, r.accepted),
      r.peakPending,
      r.peakInFlight,
      r.outgoing.misp,
      r.drained ? num((r.finished * 1000) / r.finishMs) : "-",
    ]);
    memory.push([
      r.label,
      mib(r.memory.baseHeap),
      `${mib(r.retainedHeap)} (+${mib(r.retainedHeap - r.memory.baseHeap)})`,
      `${mib(r.memory.peakHeap)} (+${mib(r.memory.peakHeap - r.memory.baseHeap)})`,
      mib(r.memory.baseRss),
      `${mib(r.memory.peakRss)} (+${mib(r.memory.peakRss - r.memory.baseRss)})`,
      ms(r.memory.cpuMs),
    ]);
  }
  const [fast, slow, unbounded] = runs;
  const lines = [
    heading("3. Backpressure (a producer offering 20,000 frames as fast as accept() takes them)"),
    "MISP is bench/misp-like.ts (constant time per write; the stand-in's per-write cost grows with its tables), holding",
    "each answer for the delay shown. A run offers until the frames or its time box run out, then lets accepted work finish",
    "(except the unbounded run, which is measured the moment everything is accepted). Δ = peak minus the baseline taken after",
    "a full GC just before the run; 'retained' is heapUsed after a full GC at the moment the producer stopped, i.e. what",
    "the pending work keeps alive; 'peak' is the highest heapUsed sampled, garbage included.",
    table(producer),
    "",
    table(memory),
  ];
  if (fast && slow) {
    lines.push(
      "",
      `slow vs unthrottled: time inside accept() per frame ${ratio(slow.acceptWaitMs / Math.max(1, slow.accepted), fast.acceptWaitMs / Math.max(1, fast.accepted))}, retained heap growth ${ratio(slow.retainedHeap - slow.memory.baseHeap, fast.retainedHeap - fast.memory.baseHeap)}, RSS growth ${ratio(slow.memory.peakRss - slow.memory.baseRss, fast.memory.peakRss - fast.memory.baseRss)}`,
    );
  }
  if (slow && unbounded) {
    const perMessage = (unbounded.retainedHeap - unbounded.memory.baseHeap) / Math.max(1, unbounded.accepted);
    lines.push(
      `unbounded vs slow (same slow MISP): retained heap growth ${ratio(unbounded.retainedHeap - unbounded.memory.baseHeap, slow.retainedHeap - slow.memory.baseHeap)}, RSS growth ${ratio(unbounded.memory.peakRss - unbounded.memory.baseRss, slow.memory.peakRss - slow.memory.baseRss)}; about ${num(perMessage / 1024)} KiB of heap per queued message`,
    );
  }
  return lines.join("\n");
}

export function printZmq(r: ZmqResult): string {
  const published = Object.values(r.mix.sentByTopic).reduce((a, b) => a + b, 0);
  const subscribed = new Set(r.subscriptions);
  const rows: Cell[][] = [["topic", "published", "of which MISP echoes", "subscribed", "received by the daemon"]];
  const kindOf: Record<string, string> = { misp_json_attribute: "attribute", misp_json_self: "heartbeat" };
  for (const [topic, count] of Object.entries(r.publishedByTopic).sort((a, b) => b[1] - a[1])) {
    const echoes = count - (r.mix.sentByTopic[topic] ?? 0);
    const kind = kindOf[topic];
    rows.push([topic, count, echoes, subscribed.has(topic) ? "yes" : "no", kind ? (r.deliveredByKind[kind] ?? 0) : 0]);
  }
  const allPublished = Object.values(r.publishedByTopic).reduce((a, b) => a + b, 0);
  const summary: Cell[][] = [
    ["measure", "value"],
    ["frames published by the bench (PUB, as fast as zeromq.js sends)", `${published} in ${ms(r.mix.publishMs)} (${num((published * 1000) / r.mix.publishMs)}/s)`],
    ["frames received by the daemon (SUB) until the mix's end marker", r.intake ? `${r.intake.frames} in ${ms(r.intake.ms)} (${num((r.intake.frames * 1000) / r.intake.ms)} frames/s)` : "marker never arrived"],
    ["filtered by the socket (never delivered) / delivered, all frames", `${percent(allPublished - r.delivered, allPublished)} / ${percent(r.delivered, allPublished)}`],
    ["subscribed frames lost (libzmq HWM drops)", r.lost],
    ["wanted ip attributes → objects written", `${r.handlerRuns.done ?? 0} handler runs done, ${r.objectsCreated} objects`],
    ["attribute frames dropped unread (no route: echoes, domains) / echoes recognised after decoding", `${r.noRoute} / ${r.echoes}`],
    ["first publish → all work done", r.settled ? ms(r.completeMs) : `not within ${ms(r.deliveryMs)} (limit reached)`],
    ["daemon CPU during the run / heap peak Δ / RSS peak Δ", `${ms(r.memory.cpuMs)} / ${mib(r.memory.peakHeap - r.memory.baseHeap)} / ${mib(r.memory.peakRss - r.memory.baseRss)}`],
    ["handler starts / write-backs overtaking within an event, handled twice", `${r.peers.queryOrder.violations} / ${r.peers.writeOrder.violations}, ${r.peers.queryOrder.duplicates}`],
  ];
  return [
    heading("4. ZeroMQ end to end (PUB in the peers process → the daemon's SUB socket)"),
    `${r.total} frames of mixed topics, ${r.attributeFramesPublished} on misp_json_attribute of which ${r.handlerRuns.done ?? 0} are ip attributes to enrich; the MISP stand-in echoes`,
    `its writes on the same PUB socket. SUB subscriptions: ${r.subscriptions.map((s) => `"${s} "`).join(", ")}; RCVHWM ${r.receiveHighWaterMark} (bus.zmq.receiveHighWaterMark), PUB SNDHWM 1000 (libzmq default).`,
    table(rows),
    "",
    table(summary),
    "libzmq: a tcp PUB filters by the subscriber's prefixes before sending, so unwanted topics cost the daemon nothing; when a",
    "subscriber's queue (SNDHWM at the PUB + RCVHWM at the SUB) is full, PUB drops new frames for it silently and never blocks.",
    "The daemon awaits accept() before reading on, so a full pipeline shows up as a filling SUB queue, then as drops.",
  ].join("\n");
}
