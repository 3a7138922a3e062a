// Section 7: how long `misp-enrichd run` takes, from the process's spawn, to its first enrichment
// written. The daemon is the built CLI, as systemd starts it; the peers publish a new attribute every
// few milliseconds (MISP is busy) until the light MISP stores the first object. Also timed: the
// daemon's "misp-enrichd starting" line (config read, subscribers loaded, clients made).

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BENCH_KEY } from "./daemon-stack.js";
import { startPeers } from "./peers-client.js";

export interface StartupParams {
  readonly runs: number;
  readonly modulesLatencyMs: number;
  readonly mispDelayMs: number;
  readonly dripMs: number;
}

export interface StartupResult {
  readonly runs: number;
  /** Spawn → "misp-enrichd starting", per run, ms. */
  readonly startingMs: readonly number[];
  /** Spawn → first objects/add answered, per run, ms. */
  readonly firstEnrichmentMs: readonly number[];
  readonly modulesLatencyMs: number;
  readonly mispDelayMs: number;
}

const CLI = fileURLToPath(new URL("../src/cli/entry.js", import.meta.url));

export async function runStartup(params: StartupParams): Promise<StartupResult> {
  const startingMs: number[] = [];
  const firstEnrichmentMs: number[] = [];
  for (let run = 0; run < params.runs; run++) {
    const peers = await startPeers({ misp: "light", mispDelayMs: params.mispDelayMs, modulesDelayMs: 0, modulesLatencyMs: params.modulesLatencyMs, zmq: true });
    const dir = mkdtempSync(join(tmpdir(), "enrichd-bench-start-"));
    try {
      await peers.synthesize({ set: `start${run}`, events: 1, attributesPerEvent: 2_000, firstOctet: 91 + run, seed: 9 + run });
      const config = join(dir, "config.yaml");
      writeFileSync(config, "backfill:\n  enabled: false\n");
      await peers.drip(`start${run}`, params.dripMs);
      const spawnedAt = Date.now();
      const child = spawn(process.execPath, [CLI, "run", "--config", config], {
        env: { PATH: process.env.PATH ?? "", MISP_URL: peers.mispUrl, MISP_KEY: BENCH_KEY, MISP_MODULES_URL: peers.modulesUrl, MISP_ZMQ_URL: peers.zmqUrl ?? "", STATE_DIRECTORY: dir, LOG_LEVEL: "info" },
        stdio: ["ignore", "pipe", "ignore"],
      });
      let startingAt: number | undefined;
      let buffered = "";
      child.stdout?.on("data", (chunk: Buffer) => {
        buffered += chunk.toString("utf8");
        if (startingAt === undefined && buffered.includes('"msg":"misp-enrichd starting"')) startingAt = Date.now();
        if (buffered.length > 65_536) buffered = buffered.slice(-1_024);
      });
      const deadline = Date.now() + 30_000;
      let first: number | undefined;
      while (first === undefined && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        first = (await peers.stats()).firstObjectAt;
      }
      await peers.stopDrip();
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
      if (first === undefined) throw new Error("the daemon wrote nothing within 30 s of its start");
      firstEnrichmentMs.push(first - spawnedAt);
      if (startingAt !== undefined) startingMs.push(startingAt - spawnedAt);
    } finally {
      await peers.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { runs: params.runs, startingMs, firstEnrichmentMs, modulesLatencyMs: params.modulesLatencyMs, mispDelayMs: params.mispDelayMs };
}
