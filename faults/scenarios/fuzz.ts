// 5. Hostile frames (faults/fuzz-frames.ts) interleaved with valid messages on the attribute topic.
// The promise: the daemon neither crashes nor stalls; every frame reaches its counters and has
// exactly one counted outcome (a decode error, a drop before parsing, or a decoded message whose
// handler ends without a write: the hostile ones name an event MISP does not have); every valid
// message is enriched.

import { setTimeout as delay } from "node:timers/promises";
import type { Dotted } from "../config-doc.js";
import { fuzzFrames, type FuzzKind } from "../fuzz-frames.js";
import { metricSum, type MetricSample } from "../metrics-text.js";
import { scenarioRow, type ScenarioRow } from "../report.js";
import { faultEndsNow, settle } from "../settle.js";
import { startStack } from "../stack.js";
import { daemonNotes, mib, type ScenarioEnv } from "./scenario.js";

export interface FuzzParams {
  readonly fuzzFrames: number;
  /** One valid message after every this many hostile frames. */
  readonly validEvery: number;
  /** Frames per second (hostile and valid), below what the daemon rejects so that no high-water mark drops one. */
  readonly perSecond: number;
  readonly seed: number;
  readonly hugeEvery: number;
  readonly settleTimeoutMs: number;
  readonly daemon: Dotted;
}

const TOPIC = "misp_json_attribute";
/** The daemon's default bus.maxFrameBytes. */
const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

interface Outcomes {
  readonly received: number;
  readonly decodeErrors: number;
  /** Dropped before parsing, every reason (too large, no route can match). */
  readonly dropped: number;
  readonly tooLarge: number;
  readonly decoded: number;
}

function outcomes(samples: readonly MetricSample[]): Outcomes {
  return {
    received: metricSum(samples, "misp_enrichd_frames_total", { kind: "attribute" }),
    decodeErrors: metricSum(samples, "misp_enrichd_decode_errors_total"),
    dropped: metricSum(samples, "misp_enrichd_frames_dropped_total"),
    tooLarge: metricSum(samples, "misp_enrichd_frames_dropped_total", { reason: "too-large" }),
    decoded: metricSum(samples, "misp_enrichd_messages_total", { kind: "attribute" }),
  };
}

export async function fuzz(params: FuzzParams, env: ScenarioEnv): Promise<ScenarioRow> {
  const stack = await startStack({ name: "5-fuzz", runDir: env.runDir, transport: "zmq", daemon: params.daemon });
  try {
    const daemon = await stack.startDaemon("daemon");
    const maxFrameBytes = Number(params.daemon["bus.maxFrameBytes"] ?? DEFAULT_MAX_FRAME_BYTES);
    const byKind = new Map<FuzzKind, number>();
    let rss = 0;
    const started = performance.now();
    let sent = 0;
    for (const { kind, frame } of fuzzFrames(params.fuzzFrames, { seed: params.seed, maxFrameBytes, hugeEvery: params.hugeEvery })) {
      await stack.publishRaw(TOPIC, frame);
      byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
      sent++;
      if (sent % params.validEvery === 0) await stack.send(1);
      const wait = started + ((sent + stack.sent) * 1000) / params.perSecond - performance.now();
      if (wait > 0) await delay(wait);
      rss = Math.max(rss, daemon.rssBytes() ?? 0);
    }
    const faultEnd = faultEndsNow(stack);
    env.progress(`${sent} hostile frames and ${stack.sent} valid messages sent`);
    const settled = await settle(stack, daemon, params.settleTimeoutMs, faultEnd);
    // Every frame on the topic (hostile, valid, MISP's echoes) must have reached the daemon's counters.
    const published = stack.published(TOPIC);
    let seen = outcomes(await daemon.metrics());
    for (const until = Date.now() + 30_000; seen.received < published && Date.now() < until; seen = outcomes(await daemon.metrics())) await delay(200);
    // Heartbeats are counted on their own topic; every frame on the attribute topic has one outcome.
    const accounted = seen.decodeErrors + seen.dropped + seen.decoded;
    const broken = [
      ...(daemon.running ? [] : [`the daemon exited (log: ${daemon.logFile})`]),
      ...(seen.received === published ? [] : [`the daemon counted ${seen.received} of the ${published} frames published on ${TOPIC}`]),
      ...(accounted === seen.received
        ? []
        : [`${seen.received} frames received, ${accounted} counted outcomes (decode errors ${seen.decodeErrors}, dropped ${seen.dropped}, decoded ${seen.decoded})`]),
    ];
    return scenarioRow({
      id: "5",
      title: `${sent.toLocaleString("en-US")} fuzzed frames among valid ones`,
      transport: "zmq",
      sent: sent + stack.sent,
      settled,
      notes: [
        `valid ${stack.sent}`,
        `hostile ${[...byKind].map(([k, n]) => `${k} ${n}`).join(", ")}`,
        `outcomes of the ${seen.received} frames on the topic (MISP's echoes included): decode errors ${seen.decodeErrors}, too large ${seen.tooLarge}, dropped before parsing ${seen.dropped - seen.tooLarge}, decoded ${seen.decoded}`,
        `peak RSS ${mib(rss)}`,
        ...daemonNotes(stack.daemons),
      ],
      logFiles: stack.daemons.map((d) => d.logFile),
      broken,
    });
  } finally {
    await stack.close();
  }
}
