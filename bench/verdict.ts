// What must hold whatever the machine's speed, and the paragraph that reads the run's figures.
// A failed check makes `npm run bench` exit 1.

import type { BackpressureResult } from "./backpressure-scenario.js";
import type { DecoderBenchResult } from "./decoder-bench.js";
import { mib, ms, num } from "./format.js";
import type { BacklogResult } from "./backlog-scenario.js";
import type { PipelineResult } from "./pipeline-scenario.js";
import type { FeedRun } from "./report-feed.js";
import type { ZmqResult } from "./zmq-scenario.js";

export interface Check {
  readonly ok: boolean;
  readonly text: string;
}

export interface Results {
  readonly decoder?: DecoderBenchResult;
  readonly pipeline?: PipelineResult;
  readonly backpressure: readonly BackpressureResult[];
  readonly zmq?: ZmqResult;
  readonly feed?: readonly FeedRun[];
  readonly backlog?: BacklogResult;
  /** Sections that failed to run, with the reason. */
  readonly errors: readonly string[];
}

export function checks(r: Results): Check[] {
  const out: Check[] = r.errors.map((e) => ({ ok: false, text: e }));
  const d = r.decoder;
  if (d) out.push({ ok: d.ratio("b", "a") >= 10, text: `an unwanted frame is dropped at least 10× cheaper than a full decode (${num(d.ratio("b", "a"))}×)` });
  const p = r.pipeline;
  if (p) {
    out.push({ ok: p.objectsCreated === p.messages, text: `section 2 wrote one object per message (${p.objectsCreated}/${p.messages})` });
    out.push({ ok: p.peers.queryOrder.duplicates === 0 && p.peers.writeOrder.duplicates === 0, text: "section 2 handled and wrote every message once" });
    out.push({ ok: p.peers.maxModuleConcurrency > 1, text: `section 2 ran enrichments concurrently (${p.peers.maxModuleConcurrency} module queries at once)` });
    out.push({ ok: p.peakPending <= p.maxPending, text: `section 2 pending stayed within maxPending (${p.peakPending} ≤ ${p.maxPending})` });
  }
  for (const b of r.backpressure.filter((x) => x.maxPending < 100_000)) {
    out.push({ ok: b.peakPending <= b.maxPending, text: `section 3 ${b.label}: pending stayed within maxPending (${b.peakPending} ≤ ${b.maxPending})` });
    out.push({ ok: b.peers.queryOrder.duplicates === 0 && b.peers.writeOrder.duplicates === 0, text: `section 3 ${b.label}: every message handled and written once` });
    out.push({ ok: b.finished === b.accepted, text: `section 3 ${b.label}: every accepted frame finished (${b.finished}/${b.accepted})` });
  }
  const z = r.zmq;
  if (z) {
    out.push({ ok: z.settled && (z.handlerRuns.done ?? 0) === z.objectsCreated && z.objectsCreated > 0, text: `section 4 enriched every wanted frame it received (${z.objectsCreated} objects)` });
    out.push({ ok: z.peers.queryOrder.duplicates === 0 && z.peers.writeOrder.duplicates === 0, text: "section 4 handled and wrote every message once" });
  }
  for (const { result: f } of r.feed ?? []) {
    out.push({ ok: f.objects === f.messages && f.messages > 0, text: `section 5 ${f.label}: one object per message (${f.objects}/${f.messages})` });
    if (!f.serial) out.push({ ok: f.peakPending <= f.maxPending, text: `section 5 ${f.label}: pending stayed within maxPending (${f.peakPending} ≤ ${f.maxPending})` });
  }
  const g = r.backlog;
  if (g) out.push({ ok: g.peakInFlight <= g.maxPending && g.read < g.messages, text: `section 6: the backlog stayed in the stream (${g.read} of ${g.messages} read, pending ${g.peakInFlight} ≤ ${g.maxPending})` });
  return out;
}

/** One paragraph, from this run's numbers. */
export function reading(r: Results): string {
  const parts: string[] = [];
  const d = r.decoder;
  if (d) {
    const a = d.cases.find((c) => c.id === "a");
    parts.push(
      `The decoder drops a frame on an unwanted topic ${num(d.ratio("b", "a"))}× cheaper than it fully decodes an attribute frame, whatever the frame's size, and a full decode costs ${num(d.ratio("d", "a"))}× a bare JSON.parse (${a ? num(1e6 / a.cpuOps) : "?"} µs CPU per attribute frame here); the daemon's accept() around the same drop costs ${num(d.ratio("b", "e"))}× the decoder's drop, mostly metric label keys.`,
    );
  }
  const p = r.pipeline;
  if (p) {
    const daemonMs = p.memory.cpuMs / p.messages;
    const peersMs = p.peers.cpuMs / p.messages;
    parts.push(
      `End to end the pipeline moved ${num(p.messagesPerSecond)} messages/s with one object written per message; the daemon spent ${ms(daemonMs)} of CPU per message against ${ms(peersMs)} in the stand-ins, so ${peersMs > daemonMs ? "the peers, not the daemon, set the pace (the daemon alone would allow about " + num(1000 / daemonMs) + "/s per core)" : "the daemon's own CPU set the pace"}. Per-message latency is ${ms(p.sequential.p50)} with one message in flight and ${ms(p.latency.p50)} at saturation, which is queueing: ${p.maxPending} pending at ${num(p.messagesPerSecond)}/s. Up to ${p.peers.maxModuleConcurrency} module queries overlapped, attributes of one event among them.`,
    );
  }
  const [fast, slow, unbounded] = r.backpressure;
  if (fast && slow) {
    const rate = (b: BackpressureResult): number => (b.finished * 1000) / b.finishMs;
    parts.push(
      `The producer in section 3 was held back in both bounded runs (${num(rate(fast))} done/s against an instant MISP, ${num(rate(slow))} against a ${slow.mispDelayMs} ms one${rate(fast) < 2 * rate(slow) ? ": on this loaded machine even the instant MISP left the pipeline near its own pace" : ""}).`,
      `With MISP answering in ${slow.mispDelayMs} ms, the producer spent ${((100 * slow.acceptWaitMs) / slow.offerMs).toFixed(0)} % of its time inside accept(), pending never passed ${slow.peakPending} (maxPending ${slow.maxPending}), and the heap it kept alive grew ${mib(slow.retainedHeap - slow.memory.baseHeap)} against ${mib(fast.retainedHeap - fast.memory.baseHeap)} with an unthrottled MISP: the slow peer slowed the producer instead of growing memory.`,
    );
  }
  if (unbounded) {
    parts.push(
      `Without the bound the same producer had all ${unbounded.accepted} frames accepted in ${ms(unbounded.offerMs)} and the heap grew ${mib(unbounded.retainedHeap - unbounded.memory.baseHeap)}.`,
    );
  }
  const z = r.zmq;
  if (z) {
    const all = Object.values(z.publishedByTopic).reduce((a, b) => a + b, 0);
    parts.push(
      `On a real ZeroMQ socket ${((100 * (all - z.delivered)) / all).toFixed(1)} % of the frames were filtered by the subscription prefixes and never reached the daemon; it took in the rest at ${z.intake ? num((z.intake.frames * 1000) / z.intake.ms) : "?"} frames/s with ${z.lost} lost to the high-water marks.`,
    );
  }
  parts.push("Figures are from one run on a shared, noisy machine: compare the ratios, not the absolute rates.");
  return parts.join(" ");
}
