// 4. Gaps on ZeroMQ. (a) mispzmq.py restarts: MISP piles its messages up in Redis meanwhile and the
// restarted publisher flushes them before the daemon's socket has reconnected, so the daemon never
// sees them. (b) The daemon is stopped (SIGTERM) while MISP keeps publishing, and started again.
// The promise: the gap backfill (/attributes/restSearch) on reconnect and at start-up brings back
// every attribute the bus lost.

import { setTimeout as delay } from "node:timers/promises";
import type { Dotted } from "../config-doc.js";
import type { ZmqBus } from "../misp-bus.js";
import { scenarioRow, type ScenarioRow } from "../report.js";
import { settle } from "../settle.js";
import { startStack, type Stack } from "../stack.js";
import { daemonNotes, type ScenarioEnv } from "./scenario.js";

export interface GapParams {
  readonly perSecond: number;
  readonly beforeMs: number;
  /** How long the publisher (a) or the daemon (b) is down. */
  readonly gapMs: number;
  readonly afterMs: number;
  readonly settleTimeoutMs: number;
  readonly daemon: Dotted;
}

function streamCount(params: GapParams): number {
  return Math.round((params.perSecond * (params.beforeMs + params.gapMs + params.afterMs)) / 1000);
}

/** The row of a gap scenario, once the stream is over. */
async function gapRow(stack: Stack, id: string, title: string, faultEndAt: number, params: GapParams, notes: readonly string[]): Promise<ScenarioRow> {
  const settled = await settle(stack, stack.daemons.at(-1), params.settleTimeoutMs);
  return scenarioRow({
    id,
    title,
    transport: "zmq",
    sent: stack.sent,
    settled,
    faultEndAt,
    notes: [`${params.perSecond} msg/s`, ...notes, ...daemonNotes(stack.daemons)],
    logFiles: stack.daemons.map((d) => d.logFile),
  });
}

export async function publisherRestart(params: GapParams, env: ScenarioEnv): Promise<ScenarioRow> {
  const stack = await startStack({ name: "4a-publisher-restart", runDir: env.runDir, transport: "zmq", daemon: params.daemon });
  try {
    const { publisher } = stack.bus as ZmqBus;
    await stack.startDaemon("daemon");
    const streaming = stack.stream({ count: streamCount(params), perSecond: params.perSecond });
    await delay(params.beforeMs);
    await publisher.stop();
    const sentAtStop = stack.sent;
    env.progress(`mispzmq.py stopped (${sentAtStop} sent so far)`);
    await delay(params.gapMs);
    const piled = stack.sent - sentAtStop;
    await publisher.start();
    const faultEndAt = Date.now();
    env.progress(`mispzmq.py started again; ${piled} piled-up messages flushed`);
    await streaming;
    return await gapRow(stack, "4a", `mispzmq.py down ${params.gapMs / 1000} s`, faultEndAt, params, [`${piled} messages flushed before the daemon reconnected`]);
  } finally {
    await stack.close();
  }
}

export async function daemonStopped(params: GapParams, env: ScenarioEnv): Promise<ScenarioRow> {
  const stack = await startStack({ name: "4b-daemon-stopped", runDir: env.runDir, transport: "zmq", daemon: params.daemon });
  try {
    const first = await stack.startDaemon("daemon-1");
    const streaming = stack.stream({ count: streamCount(params), perSecond: params.perSecond });
    await delay(params.beforeMs);
    const stoppedAt = Date.now();
    const exit = await first.kill("SIGTERM");
    const sentAtStop = stack.sent;
    env.progress(`daemon stopped with SIGTERM in ${Date.now() - stoppedAt} ms, exit ${exit.code ?? exit.signal} (${sentAtStop} sent so far)`);
    await delay(Math.max(0, params.gapMs - (Date.now() - stoppedAt)));
    const missed = stack.sent - sentAtStop;
    const faultEndAt = Date.now();
    await stack.startDaemon("daemon-2", {}, { waitReady: false });
    await streaming;
    return await gapRow(stack, "4b", `daemon stopped ${params.gapMs / 1000} s`, faultEndAt, params, [
      `SIGTERM exit ${exit.code ?? exit.signal}`,
      `${missed} messages published while it was down`,
    ]);
  } finally {
    await stack.close();
  }
}
