// 1. MISP answers 503 for a while in the middle of a steady stream, then recovers. The promise: the
// work that failed during the outage is retried, parked in the spool, and written once MISP is back;
// nothing is lost, nothing written twice.

import { setTimeout as delay } from "node:timers/promises";
import type { Dotted } from "../config-doc.js";
import { breakerStates, samplePeak, spoolDepth } from "../observe.js";
import { scenarioRow, type ScenarioRow } from "../report.js";
import { settle } from "../settle.js";
import { startStack } from "../stack.js";
import { daemonNotes, type ScenarioEnv } from "./scenario.js";

export interface MispOutageParams {
  readonly perSecond: number;
  /** Streaming before the outage, during it, after it. */
  readonly beforeMs: number;
  readonly outageMs: number;
  readonly afterMs: number;
  /** After the stream, how long the daemon may take to write every effect. */
  readonly settleTimeoutMs: number;
  readonly daemon: Dotted;
}

export async function mispOutage(params: MispOutageParams, env: ScenarioEnv): Promise<ScenarioRow> {
  const stack = await startStack({ name: "1-misp-outage", runDir: env.runDir, transport: "zmq", daemon: params.daemon });
  try {
    const daemon = await stack.startDaemon("daemon");
    const spool = samplePeak(250, () => spoolDepth(stack.stateDir));
    const count = Math.round((params.perSecond * (params.beforeMs + params.outageMs + params.afterMs)) / 1000);
    const streaming = stack.stream({ count, perSecond: params.perSecond });
    await delay(params.beforeMs);
    stack.misp.faults.outage(503);
    env.progress(`MISP answers 503 for ${params.outageMs / 1000} s (${stack.sent} sent so far)`);
    await delay(params.outageMs);
    stack.misp.faults.recover();
    const faultEndAt = Date.now();
    env.progress(`MISP is back (${stack.sent} sent so far)`);
    await streaming;
    const settled = await settle(stack, daemon, params.settleTimeoutMs);
    spool.stop();
    const breakers = breakerStates(await daemon.metrics().catch(() => []));
    return scenarioRow({
      id: "1",
      title: `MISP answers 503 for ${params.outageMs / 1000} s`,
      transport: "zmq",
      sent: stack.sent,
      settled,
      faultEndAt,
      notes: [`${params.perSecond} msg/s`, `spool peak ${spool.peak}`, ...daemonNotes(stack.daemons), ...(breakers ? [`breakers at the end: ${breakers}`] : [])],
      logFiles: stack.daemons.map((d) => d.logFile),
    });
  } finally {
    await stack.close();
  }
}
