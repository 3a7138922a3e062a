// 4. Gaps on ZeroMQ. (a) mispzmq.py restarts: MISP piles its messages up in Redis meanwhile and the
// restarted publisher flushes them before the daemon's socket has reconnected, so the daemon never
// sees them. (b) The daemon is stopped (SIGTERM) while MISP keeps publishing, and started again.
// The promise: the gap backfill (/attributes/restSearch) on reconnect and at start-up brings back
// every attribute the bus lost.

import type { Dotted } from "../config-doc.js";
import type { DaemonExit } from "../daemon-process.js";
import { streamThroughFault, type FaultWindow } from "../fault-window.js";
import type { ZmqBus } from "../misp-bus.js";
import { scenarioRow, type ScenarioRow } from "../report.js";
import { settle, type FaultEnd } from "../settle.js";
import { startStack, type Stack } from "../stack.js";
import { daemonNotes, type ScenarioEnv } from "./scenario.js";

export interface GapParams extends FaultWindow {
  readonly settleTimeoutMs: number;
  readonly daemon: Dotted;
}

/** The row of a gap scenario, once the stream is over. */
async function gapRow(stack: Stack, id: string, title: string, faultEnd: FaultEnd, params: GapParams, notes: readonly string[]): Promise<ScenarioRow> {
  const settled = await settle(stack, stack.daemons.at(-1), params.settleTimeoutMs, faultEnd);
  return scenarioRow({
    id,
    title,
    transport: "zmq",
    sent: stack.sent,
    settled,
    notes: [`${params.perSecond} msg/s`, ...notes, ...daemonNotes(stack.daemons)],
    logFiles: stack.daemons.map((d) => d.logFile),
  });
}

export async function publisherRestart(params: GapParams, env: ScenarioEnv): Promise<ScenarioRow> {
  const stack = await startStack({ name: "4a-publisher-restart", runDir: env.runDir, transport: "zmq", daemon: params.daemon });
  try {
    const { publisher } = stack.bus as ZmqBus;
    await stack.startDaemon("daemon");
    let sentAtStop = 0;
    let piled = 0;
    const faultEnd = await streamThroughFault(
      stack,
      params,
      {
        begin: async () => {
          await publisher.stop();
          sentAtStop = stack.sent;
          return "mispzmq.py stopped";
        },
        end: async () => {
          piled = stack.sent - sentAtStop;
          await publisher.start();
          return `mispzmq.py started again; ${piled} piled-up messages flushed`;
        },
      },
      env.progress,
    );
    return await gapRow(stack, "4a", `mispzmq.py down ${params.faultMs / 1000} s`, faultEnd, params, [`${piled} messages flushed before the daemon reconnected`]);
  } finally {
    await stack.close();
  }
}

export async function daemonStopped(params: GapParams, env: ScenarioEnv): Promise<ScenarioRow> {
  const stack = await startStack({ name: "4b-daemon-stopped", runDir: env.runDir, transport: "zmq", daemon: params.daemon });
  try {
    const first = await stack.startDaemon("daemon-1");
    let exit: DaemonExit | undefined;
    let sentAtStop = 0;
    const faultEnd = await streamThroughFault(
      stack,
      params,
      {
        begin: async () => {
          const stoppedAt = Date.now();
          exit = await first.kill("SIGTERM");
          sentAtStop = stack.sent;
          return `daemon stopped with SIGTERM in ${Date.now() - stoppedAt} ms, exit ${exit.code ?? exit.signal}`;
        },
        end: async () => {
          // Not waiting for the bus: the start-up backfill is what brings the gap back.
          await stack.startDaemon("daemon-2", {}, { waitReady: false });
          return `daemon started again; ${stack.sent - sentAtStop} messages were published while it was down`;
        },
      },
      env.progress,
    );
    return await gapRow(stack, "4b", `daemon stopped ${params.faultMs / 1000} s`, faultEnd, params, [`SIGTERM exit ${exit?.code ?? exit?.signal}`]);
  } finally {
    await stack.close();
  }
}
