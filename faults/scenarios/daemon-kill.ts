// 3. The daemon is killed with SIGKILL several times in the middle of a steady stream and started
// again after systemd's RestartSec, on the same state folder. The promise: on ZeroMQ, what was
// published while it was dead (and what it held when it died) comes back through the gap backfill
// (/attributes/restSearch); on Kafka, through the uncommitted offsets. Deterministic uuids and the
// ledgers keep the redelivered work from writing anything twice.

import { setTimeout as delay } from "node:timers/promises";
import type { Dotted } from "../config-doc.js";
import type { Transport } from "../misp-bus.js";
import { scenarioRow, type ScenarioRow } from "../report.js";
import { faultEndsNow, settle } from "../settle.js";
import { startStack } from "../stack.js";
import { daemonNotes, type ScenarioEnv } from "./scenario.js";

export interface DaemonKillParams {
  readonly perSecond: number;
  readonly kills: number;
  /** How long each daemon runs (reading the bus) before it is killed. */
  readonly runMs: number;
  /** From the kill to the restart (the unit's RestartSec). */
  readonly downMs: number;
  /** Streaming after the last restart. */
  readonly afterMs: number;
  readonly settleTimeoutMs: number;
  /** bus.kafka.sessionTimeoutMs: how long a killed member keeps its partitions. */
  readonly kafkaSessionTimeoutMs?: number;
  readonly daemon: Dotted;
}

export async function daemonKill(transport: Transport, params: DaemonKillParams, env: ScenarioEnv): Promise<ScenarioRow> {
  const id = transport === "zmq" ? "3a" : "3b";
  const stack = await startStack({
    name: `${id}-daemon-kill-${transport}`,
    runDir: env.runDir,
    transport,
    ...(env.kafkaBrokers === undefined ? {} : { kafkaBrokers: env.kafkaBrokers }),
    ...(params.kafkaSessionTimeoutMs === undefined ? {} : { kafkaSessionTimeoutMs: params.kafkaSessionTimeoutMs }),
    daemon: params.daemon,
  });
  try {
    let daemon = await stack.startDaemon("daemon-1");
    const count = Math.round((params.perSecond * (params.kills * (params.runMs + params.downMs) + params.afterMs)) / 1000);
    const streaming = stack.stream({ count, perSecond: params.perSecond });
    let faultEnd = faultEndsNow(stack);
    const writtenAtKill: number[] = [];
    for (let k = 1; k <= params.kills; k++) {
      await delay(params.runMs);
      await daemon.kill("SIGKILL");
      writtenAtKill.push(stack.effects.poll());
      env.progress(`kill -9 #${k} of ${params.kills} (${stack.sent} sent, ${stack.effects.poll()} written so far)`);
      await delay(params.downMs);
      faultEnd = faultEndsNow(stack);
      // Not waiting for the bus: a Kafka group join waits out the killed member's session.
      daemon = await stack.startDaemon(`daemon-${k + 1}`, {}, { waitReady: false });
    }
    await streaming;
    const settled = await settle(stack, daemon, params.settleTimeoutMs, faultEnd);
    const queries = stack.modules.queries();
    return scenarioRow({
      id,
      title: `daemon kill -9 ×${params.kills}, back after ${params.downMs / 1000} s`,
      transport,
      sent: stack.sent,
      settled,
      notes: [
        `${params.perSecond} msg/s`,
        `written at each kill ${writtenAtKill.join("/")}`,
        ...(queries === undefined ? [] : [`module queries ${queries} for ${stack.sent} attributes`]),
        ...daemonNotes(stack.daemons),
      ],
      logFiles: stack.daemons.map((d) => d.logFile),
    });
  } finally {
    await stack.close();
  }
}
