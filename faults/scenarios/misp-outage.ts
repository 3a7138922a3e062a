// 1. MISP answers 503 for a while in the middle of a steady stream, then recovers. The promise: the
// work that failed during the outage is retried, parked in the spool, and written once MISP is back;
// nothing is lost, nothing written twice.

import type { Dotted } from "../config-doc.js";
import { streamThroughFault, type FaultWindow } from "../fault-window.js";
import { breakerStates, samplePeak, spoolDepth } from "../observe.js";
import { scenarioRow, type ScenarioRow } from "../report.js";
import { settle } from "../settle.js";
import { startStack } from "../stack.js";
import { daemonNotes, type ScenarioEnv } from "./scenario.js";

export interface MispOutageParams extends FaultWindow {
  /** After the stream, how long the daemon may take to write every effect. */
  readonly settleTimeoutMs: number;
  readonly daemon: Dotted;
}

export async function mispOutage(params: MispOutageParams, env: ScenarioEnv): Promise<ScenarioRow> {
  const stack = await startStack({ name: "1-misp-outage", runDir: env.runDir, transport: "zmq", daemon: params.daemon });
  try {
    const daemon = await stack.startDaemon("daemon");
    const spool = samplePeak(250, () => spoolDepth(stack.stateDir));
    const faultEnd = await streamThroughFault(
      stack,
      params,
      {
        begin: async () => {
          stack.misp.faults.outage(503);
          return `MISP answers 503 for ${params.faultMs / 1000} s`;
        },
        end: async () => {
          stack.misp.faults.recover();
          return "MISP is back";
        },
      },
      env.progress,
    );
    const settled = await settle(stack, daemon, params.settleTimeoutMs, faultEnd);
    spool.stop();
    const breakers = breakerStates(await daemon.metrics().catch(() => []));
    return scenarioRow({
      id: "1",
      title: `MISP answers 503 for ${params.faultMs / 1000} s`,
      transport: "zmq",
      sent: stack.sent,
      settled,
      notes: [`${params.perSecond} msg/s`, `spool peak ${spool.peak}`, ...daemonNotes(stack.daemons), ...(breakers ? [`breakers at the end: ${breakers}`] : [])],
      logFiles: stack.daemons.map((d) => d.logFile),
    });
  } finally {
    await stack.close();
  }
}
