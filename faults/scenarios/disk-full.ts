// 7. The disk holding the state folder fills up in the middle of a steady stream (another process
// takes every byte left), and MISP answers 503 for the same window, so failed work has nowhere to
// be parked; then space and MISP come back. The promise: a clear error line naming the state
// folder and ENOSPC, no crash, and nothing lost once space is back (the spool holds its work until
// it can write it).

import { join } from "node:path";
import type { Dotted } from "../config-doc.js";
import type { LogLine } from "../daemon-process.js";
import { streamThroughFault, type FaultWindow } from "../fault-window.js";
import { scenarioRow, type ScenarioRow } from "../report.js";
import { settle } from "../settle.js";
import { smallDisk } from "../small-disk.js";
import { startStack } from "../stack.js";
import { daemonNotes, mib, type ScenarioEnv } from "./scenario.js";

export interface DiskFullParams extends FaultWindow {
  /** Size of the tmpfs. */
  readonly diskMiB: number;
  readonly settleTimeoutMs: number;
  readonly daemon: Dotted;
}

const mentionsEnospc = (line: LogLine): boolean => /ENOSPC|no space left/i.test(JSON.stringify(line));

export async function diskFull(params: DiskFullParams, env: ScenarioEnv): Promise<ScenarioRow> {
  const disk = await smallDisk(join(env.runDir, "7-disk-full"), params.diskMiB);
  try {
    const stack = await startStack({
      name: "7-disk-full",
      runDir: env.runDir,
      transport: "zmq",
      stateDir: disk.path,
      daemon: params.daemon,
      nodeArgs: disk.nodeArgs,
      env: disk.env,
    });
    try {
      const daemon = await stack.startDaemon("daemon");
      const faultEnd = await streamThroughFault(
        stack,
        params,
        {
          begin: async () => {
            const taken = await disk.fill();
            stack.misp.faults.outage(503);
            return `state folder's disk full (${disk.kind}, ${mib(taken)} taken) and MISP answering 503`;
          },
          end: async () => {
            await disk.free();
            stack.misp.faults.recover();
            return "space and MISP are back";
          },
        },
        env.progress,
      );
      const settled = await settle(stack, daemon, params.settleTimeoutMs, faultEnd);
      const errors = stack.daemons.flatMap((d) => d.notable()).filter(mentionsEnospc);
      const first = errors[0];
      return scenarioRow({
        id: "7",
        title: `state disk full, MISP 503, for ${params.faultMs / 1000} s`,
        transport: "zmq",
        sent: stack.sent,
        settled,
          notes: [
          `${disk.kind}`,
          `${params.perSecond} msg/s`,
          `log lines naming ENOSPC ${errors.length}${first ? `, the first: "${String(first.msg)}" (${String(first.err ?? first.code ?? "")})` : ""}`,
          ...daemonNotes(stack.daemons),
        ],
        logFiles: stack.daemons.map((d) => d.logFile),
        broken: [
          ...(daemon.running ? [] : [`the daemon exited (log: ${daemon.logFile})`]),
          ...(first ? [] : ["no log line said the disk was full (ENOSPC)"]),
        ],
      });
    } finally {
      await stack.close();
    }
  } finally {
    await disk.close();
  }
}
