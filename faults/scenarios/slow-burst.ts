// 6. A burst of messages, as fast as the bus takes them, while MISP takes seconds per write. The
// promise: the daemon's memory stays bounded (pending work is capped, the bus is held back; on ZeroMQ
// the high-water marks then drop frames, which the gap backfill brings back), and once MISP is fast
// again every attribute is enriched, once. RSS is sampled from /proc.

import { setTimeout as delay } from "node:timers/promises";
import type { Dotted } from "../config-doc.js";
import { metricSum } from "../metrics-text.js";
import { samplePeak, spoolDepth } from "../observe.js";
import { scenarioRow, type ScenarioRow } from "../report.js";
import { faultEndsNow, settle } from "../settle.js";
import { startStack } from "../stack.js";
import { daemonNotes, mib, type ScenarioEnv } from "./scenario.js";

export interface SlowBurstParams {
  readonly burst: number;
  /** How fast the burst is published; Infinity: as fast as the bus takes it. */
  readonly burstPerSecond: number;
  /** Each MISP write is held this long while MISP is slow. */
  readonly writeDelayMs: number;
  /** MISP stays slow this long after the burst is published. */
  readonly slowAfterBurstMs: number;
  readonly settleTimeoutMs: number;
  /** Padding of each attribute's comment (see StackOptions.commentBytes). */
  readonly commentBytes: number;
  readonly daemon: Dotted;
}

const TOPIC = "misp_json_attribute";

export async function slowBurst(params: SlowBurstParams, env: ScenarioEnv): Promise<ScenarioRow> {
  const stack = await startStack({ name: "6-slow-burst", runDir: env.runDir, transport: "zmq", daemon: params.daemon, commentBytes: params.commentBytes });
  try {
    const daemon = await stack.startDaemon("daemon");
    await delay(1_000); // idle RSS after start-up, before any work
    const idleRss = daemon.rssBytes() ?? 0;
    const rss = samplePeak(250, () => daemon.rssBytes());
    // RSS as the backlog drains: flat figures mean memory does not grow with the work done.
    const milestones = [0.25, 0.5, 0.75, 1];
    const rssAt: number[] = [];
    const progress = setInterval(() => {
      const due = milestones[rssAt.length];
      if (due !== undefined && stack.effects.poll() >= due * params.burst) rssAt.push(daemon.rssBytes() ?? 0);
    }, 250);
    const spool = samplePeak(500, () => spoolDepth(stack.stateDir));
    stack.misp.faults.slowWrites(params.writeDelayMs);
    const burstStarted = performance.now();
    await stack.stream({ count: params.burst, perSecond: params.burstPerSecond });
    const burstMs = performance.now() - burstStarted;
    env.progress(`${params.burst} messages published in ${(burstMs / 1000).toFixed(1)} s; MISP writes take ${params.writeDelayMs} ms`);
    await delay(params.slowAfterBurstMs);
    const slowPeak = rss.peak;
    const writtenWhileSlow = stack.effects.poll();
    stack.misp.faults.slowWrites(0);
    const faultEnd = faultEndsNow(stack);
    env.progress(`MISP fast again after ${writtenWhileSlow} effects written`);
    const settled = await settle(stack, daemon, params.settleTimeoutMs, faultEnd);
    rss.stop();
    spool.stop();
    clearInterval(progress);
    // What ZeroMQ's high-water marks dropped: frames published on the topic that the daemon never counted.
    const received = metricSum(await daemon.metrics().catch(() => []), "misp_enrichd_frames_total", { kind: "attribute" });
    const dropped = stack.published(TOPIC) - received;
    return scenarioRow({
      id: "6",
      title: `${params.burst.toLocaleString("en-US")}-message burst, MISP ${params.writeDelayMs / 1000} s per write`,
      transport: "zmq",
      sent: stack.sent,
      settled,
      notes: [
        `burst published in ${(burstMs / 1000).toFixed(1)} s`,
        `written while MISP was slow ${writtenWhileSlow}`,
        `RSS idle ${mib(idleRss)}, peak while MISP was slow ${mib(slowPeak)}, peak ${mib(rss.peak)} (${rss.samples} samples), at ${milestones
          .slice(0, rssAt.length)
          .map((m) => `${m * 100}`)
          .join("/")} % written ${rssAt.map((b) => mib(b)).join("/")}`,
        `spool peak ${spool.peak}`,
        `ZeroMQ dropped ${dropped} of the ${stack.published(TOPIC)} frames on ${TOPIC} (the analyst's and MISP's echoes)`,
        ...daemonNotes(stack.daemons),
      ],
      logFiles: stack.daemons.map((d) => d.logFile),
    });
  } finally {
    await stack.close();
  }
}
