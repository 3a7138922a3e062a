// The sizes of every scenario: the (`npm run faults`) and a reduced set that fits the test
// suite (`npm test`, the vitest project `faults`). The full run uses the daemon's defaults, so that its
// figures are what an administrator gets; the reduced run shortens the daemon's retry, spool and
// backfill periods in proportion, so that the same paths run in seconds.

import type { Dotted } from "./config-doc.js";
import type { DaemonKillParams } from "./scenarios/daemon-kill.js";
import type { DiskFullParams } from "./scenarios/disk-full.js";
import type { FuzzParams } from "./scenarios/fuzz.js";
import type { ModuleRestartParams } from "./scenarios/module-restart.js";
import type { MispOutageParams } from "./scenarios/misp-outage.js";
import type { GapParams } from "./scenarios/publisher-gap.js";
import type { SlowBurstParams } from "./scenarios/slow-burst.js";

export interface FaultSizes {
  readonly mispOutage: MispOutageParams;
  readonly moduleRestart: ModuleRestartParams;
  readonly daemonKill: DaemonKillParams;
  readonly publisherRestart: GapParams;
  readonly daemonStopped: GapParams;
  readonly fuzz: FuzzParams;
  readonly slowBurst: SlowBurstParams;
  readonly diskFull: DiskFullParams;
}

const MINUTE = 60_000;

export const FULL: FaultSizes = {
  mispOutage: { perSecond: 20, beforeMs: 20_000, faultMs: 60_000, afterMs: 20_000, settleTimeoutMs: 10 * MINUTE, daemon: {} },
  moduleRestart: { perSecond: 20, beforeMs: 20_000, faultMs: 30_000, afterMs: 20_000, settleTimeoutMs: 10 * MINUTE, realModules: true, daemon: {} },
  daemonKill: { perSecond: 20, kills: 5, runMs: 10_000, downMs: 5_000, afterMs: 10_000, settleTimeoutMs: 10 * MINUTE, daemon: {} },
  publisherRestart: { perSecond: 20, beforeMs: 10_000, faultMs: 20_000, afterMs: 10_000, settleTimeoutMs: 10 * MINUTE, daemon: {} },
  daemonStopped: { perSecond: 20, beforeMs: 10_000, faultMs: 20_000, afterMs: 10_000, settleTimeoutMs: 10 * MINUTE, daemon: {} },
  fuzz: { fuzzFrames: 10_000, validEvery: 10, perSecond: 500, seed: 12, hugeEvery: 5_000, settleTimeoutMs: 5 * MINUTE, daemon: {} },
  slowBurst: { burst: 100_000, burstPerSecond: Infinity, writeDelayMs: 2_000, slowAfterBurstMs: MINUTE, settleTimeoutMs: 45 * MINUTE, commentBytes: 0, daemon: {} },
  diskFull: { perSecond: 20, beforeMs: 10_000, faultMs: 30_000, afterMs: 10_000, diskMiB: 64, settleTimeoutMs: 10 * MINUTE, daemon: {} },
};

/** Retries in a second instead of a minute, the spool re-driven every 2 s, a backfill every 5 s, breakers open for 2 s. */
const QUICK: Dotted = {
  "breaker.openMs": 2_000,
  "pipeline.retryInitialDelayMs": 100,
  "pipeline.retryMaxDelayMs": 1_000,
  "pipeline.spoolRetryMs": 2_000,
  "pipeline.drainTimeoutMs": 3_000,
  "backfill.intervalMs": 5_000,
};

export const REDUCED: FaultSizes = {
  mispOutage: { perSecond: 25, beforeMs: 1_000, faultMs: 3_000, afterMs: 1_000, settleTimeoutMs: MINUTE, daemon: QUICK },
  moduleRestart: { perSecond: 25, beforeMs: 1_000, faultMs: 3_000, afterMs: 1_000, settleTimeoutMs: MINUTE, realModules: true, daemon: QUICK },
  daemonKill: { perSecond: 25, kills: 2, runMs: 2_000, downMs: 1_000, afterMs: 1_000, settleTimeoutMs: MINUTE, kafkaSessionTimeoutMs: 6_000, daemon: QUICK },
  publisherRestart: { perSecond: 25, beforeMs: 1_000, faultMs: 2_000, afterMs: 1_000, settleTimeoutMs: MINUTE, daemon: QUICK },
  daemonStopped: { perSecond: 25, beforeMs: 1_000, faultMs: 2_000, afterMs: 1_000, settleTimeoutMs: MINUTE, daemon: QUICK },
  fuzz: { fuzzFrames: 400, validEvery: 10, perSecond: 400, seed: 12, hugeEvery: 1_000, settleTimeoutMs: MINUTE, daemon: QUICK },
  // A small pipeline, socket queue and big frames, so that the burst overflows ZeroMQ's buffers as
  // 100,000 would; a backfill overlap of 1 s, so that the drain outlasts it as 100,000 outlast 120 s;
  // and the periodic backfill left at 10 min: the backfill after the pipeline empties must find the drops.
  slowBurst: {
    burst: 3_000,
    burstPerSecond: Infinity,
    writeDelayMs: 300,
    slowAfterBurstMs: 2_000,
    settleTimeoutMs: 2 * MINUTE,
    commentBytes: 8_192,
    daemon: {
      ...QUICK,
      "pipeline.maxPending": 64,
      "bus.zmq.receiveHighWaterMark": 200,
      "backfill.overlapSeconds": 1,
      "backfill.intervalMs": 600_000,
    },
  },
  diskFull: { perSecond: 25, beforeMs: 1_000, faultMs: 3_000, afterMs: 1_000, diskMiB: 8, settleTimeoutMs: MINUTE, daemon: QUICK },
};
