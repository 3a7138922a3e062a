// Builds the daemon exactly as `misp-enrichd run` does (createDaemon from a loaded Config), the way
// test/support/harness.ts does: an empty config.yaml, the peers named in the environment, and
// overrides by dotted path. Logs go through the real pino logger, counted and written to /dev/null.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDaemon, type Daemon } from "../src/daemon.js";
import { loadConfig } from "../src/config/load.js";
import { createLogger } from "../src/log.js";
import { pino } from "pino";

export const BENCH_KEY = "b3nchb3nchb3nchb3nchb3nchb3nchb3nchb3nc";

export interface BenchAppOptions {
  readonly mispUrl: string;
  readonly modulesUrl: string;
  /** Config overrides by dotted path, applied after the bench defaults. */
  readonly overrides?: Readonly<Record<string, unknown>>;
}

export interface BenchApp {
  readonly daemon: Daemon;
  /** Log lines the daemon wrote (serialised by pino, then discarded). */
  logLines(): number;
  /** Closes the daemon and removes its state folder. Idempotent. */
  close(): Promise<void>;
  /** Removes the state folder without draining, for a process about to exit. */
  discard(): void;
}

export async function startBenchApp(options: BenchAppOptions): Promise<BenchApp> {
  const stateDir = mkdtempSync(join(tmpdir(), "enrichd-bench-"));
  const configPath = join(stateDir, "config.yaml");
  writeFileSync(configPath, "{}\n");
  const config = loadConfig({
    path: configPath,
    env: { MISP_URL: options.mispUrl, MISP_KEY: BENCH_KEY, MISP_MODULES_URL: options.modulesUrl, STATE_DIRECTORY: stateDir },
    overrides: {
      "backfill.enabled": false,
      "pipeline.spoolRetryMs": 3_600_000,
      "pipeline.drainTimeoutMs": 2_000,
      ...options.overrides,
    },
  });
  let lines = 0;
  // Production logs at info to stdout through pino's destination; here the lines are built the same
  // way, counted, and written through the same kind of destination to /dev/null (the write is part of the cost).
  // BENCH_SHOW_WARNINGS=1 copies the daemon's warn and error lines to stderr, to debug a scenario.
  const show = process.env.BENCH_SHOW_WARNINGS === "1";
  const sink = pino.destination({ dest: "/dev/null", sync: false });
  const write = (line: string): void => {
    lines++;
    sink.write(line);
    if (show && /"level":"(warn|error|fatal)"/.test(line)) process.stderr.write(line);
  };
  const logger = createLogger({ level: config.log.level, secrets: [BENCH_KEY], destination: { write } });
  const daemon = await createDaemon({ config, logger });
  let closing: Promise<void> | undefined;
  return {
    daemon,
    logLines: () => lines,
    close() {
      closing ??= daemon.close().finally(() => {
        sink.end();
        rmSync(stateDir, { recursive: true, force: true });
      });
      return closing;
    },
    discard() {
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
