// 2. The module server is killed in the middle of a steady stream and started again on the same
// port a while later (the real misp-modules where installed). The promise: the queries that failed
// while it was gone are retried or spooled (and, with circuit breakers, the breaker opens and closes
// again), and every attribute is enriched once it is back.

import { setTimeout as delay } from "node:timers/promises";
import type { Dotted } from "../config-doc.js";
import { breakerStates, samplePeak, spoolDepth } from "../observe.js";
import { scenarioRow, type ScenarioRow } from "../report.js";
import { settle } from "../settle.js";
import { startStack } from "../stack.js";
import { daemonNotes, type ScenarioEnv } from "./scenario.js";

export interface ModuleRestartParams {
  readonly perSecond: number;
  readonly beforeMs: number;
  /** From the kill to the restart. */
  readonly downMs: number;
  readonly afterMs: number;
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
    const count = Math.round((params.perSecond * (params.beforeMs + params.downMs + params.afterMs)) / 1000);
    const streaming = stack.stream({ count, perSecond: params.perSecond });
    await delay(params.beforeMs);
    await stack.modules.kill();
    env.progress(`${stack.modules.kind} killed (${stack.sent} sent so far)`);
    await delay(params.downMs);
    const breakersWhileDown = breakerStates(await daemon.metrics().catch(() => []));
    await stack.modules.restart();
    const faultEndAt = Date.now();
    env.progress(`${stack.modules.kind} restarted on its port (${stack.sent} sent so far)`);
    await streaming;
    const settled = await settle(stack, daemon, params.settleTimeoutMs);
    spool.stop();
    const breakersAfter = breakerStates(await daemon.metrics().catch(() => []));
    return scenarioRow({
      id: "2",
      title: `module server killed, back after ${params.downMs / 1000} s`,
      transport: "zmq",
      sent: stack.sent,
      settled,
      faultEndAt,
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
