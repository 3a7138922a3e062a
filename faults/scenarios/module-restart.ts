// 2. The module server is killed in the middle of a steady stream and started again on the same
// port a while later (the real misp-modules where installed). The promise: the queries that failed
// while it was gone are retried or spooled (and, with circuit breakers, the breaker opens and closes
// again), and every attribute is enriched once it is back.

import type { Dotted } from "../config-doc.js";
import { streamThroughFault, type FaultWindow } from "../fault-window.js";
import { breakerStates, samplePeak, spoolDepth } from "../observe.js";
import { scenarioRow, type ScenarioRow } from "../report.js";
import { settle } from "../settle.js";
import { startStack } from "../stack.js";
import { daemonNotes, type ScenarioEnv } from "./scenario.js";

export interface ModuleRestartParams extends FaultWindow {
  readonly settleTimeoutMs: number;
  /** The real misp-modules when its venv is installed. */
  readonly realModules: boolean;
  readonly daemon: Dotted;
}

export async function moduleRestart(params: ModuleRestartParams, env: ScenarioEnv): Promise<ScenarioRow> {
  const stack = await startStack({ name: "2-module-restart", runDir: env.runDir, transport: "zmq", realModules: params.realModules, daemon: params.daemon });
  try {
    const daemon = await stack.startDaemon("daemon");
    const spool = samplePeak(250, () => spoolDepth(stack.stateDir));
    let breakersWhileDown: string | undefined;
    const faultEnd = await streamThroughFault(
      stack,
      params,
      {
        begin: async () => {
          await stack.modules.kill();
          return `${stack.modules.kind} killed`;
        },
        end: async () => {
          breakersWhileDown = breakerStates(await daemon.metrics().catch(() => []));
          await stack.modules.restart();
          return `${stack.modules.kind} restarted on its port`;
        },
      },
      env.progress,
    );
    const settled = await settle(stack, daemon, params.settleTimeoutMs, faultEnd);
    spool.stop();
    const breakersAfter = breakerStates(await daemon.metrics().catch(() => []));
    return scenarioRow({
      id: "2",
      title: `module server killed, back after ${params.faultMs / 1000} s`,
      transport: "zmq",
      sent: stack.sent,
      settled,
      notes: [
        stack.modules.kind,
        `${params.perSecond} msg/s`,
        `spool peak ${spool.peak}`,
        ...daemonNotes(stack.daemons),
        ...(breakersWhileDown ? [`breakers while down: ${breakersWhileDown}`, `after: ${breakersAfter ?? "n/a"}`] : []),
      ],
      logFiles: stack.daemons.map((d) => d.logFile),
    });
  } finally {
    await stack.close();
  }
}
