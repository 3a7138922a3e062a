// The daemon under test: the BUILT CLI (`node dist/src/cli/main.js run`) as a child process, exactly
// as systemd starts it, with a YAML config file and the environment. Its JSON log lines are counted
// by message and kept in full in a file; its metrics are read over HTTP and its RSS from /proc.

import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { parseMetrics, type MetricSample } from "./metrics-text.js";

export interface DaemonExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export type LogLine = Readonly<Record<string, unknown>>;

export interface DaemonProcessOptions {
  readonly name: string;
  /** The config document (nested keys), written as `<dir>/<name>.yaml`. */
  readonly config: Readonly<Record<string, unknown>>;
  /** MISP_URL, MISP_KEY, MISP_MODULES_URL, STATE_DIRECTORY, ... */
  readonly env: Readonly<Record<string, string>>;
  /** Where the config file and the full log (`<name>.log`) go. */
  readonly dir: string;
  /** `node` options before the CLI, e.g. `--import` of a preload. */
  readonly nodeArgs?: readonly string[];
}

export interface DaemonProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  readonly exited: Promise<DaemonExit>;
  readonly running: boolean;
  /** Lines logged so far with this `msg`. */
  count(msg: string): number;
  /** The sum of a numeric field over the lines with this `msg` (e.g. `fed` of "backfill done"). */
  sum(msg: string, field: string): number;
  /** Lines logged so far, by `msg`. */
  counts(): ReadonlyMap<string, number>;
  /** Every line at warn level or above (the first 5,000), for reports. */
  notable(): readonly LogLine[];
  /** The last lines logged, for failure messages. */
  tail(): readonly LogLine[];
  /** Resolves with the first line (past or future) whose `msg` is `msg`. */
  waitForLog(msg: string, timeoutMs: number): Promise<LogLine>;
  /** The daemon's /metrics, parsed; rejects when the daemon does not answer. */
  metrics(): Promise<readonly MetricSample[]>;
  /** Resident memory in bytes (Linux /proc); undefined once the process is gone. */
  rssBytes(): number | undefined;
  /** Sends the signal and resolves once the process has exited. */
  kill(signal: NodeJS.Signals): Promise<DaemonExit>;
}

const NOTABLE_CAP = 5_000;
const TAIL = 200;
/** pino's levels: the daemon logs their labels ("warn"), other loggers the numbers. */
const LEVELS: Readonly<Record<string, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };
const WARN = 40;

/** The line's level as a number (0 when it has none). */
export function levelOf(line: LogLine): number {
  const level = line.level;
  return typeof level === "number" ? level : (LEVELS[String(level)] ?? 0);
}

/** The repository root, from this file in faults/ or in dist/faults/. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json")) || !existsSync(join(dir, "faults"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no repository root above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
}

export async function startDaemonProcess(options: DaemonProcessOptions): Promise<DaemonProcess> {
  const cli = join(repoRoot(), "dist", "src", "cli", "main.js");
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first`);
  const configPath = join(options.dir, `${options.name}.yaml`);
  const logFile = join(options.dir, `${options.name}.log`);
  writeFileSync(configPath, stringify(options.config));
  const child: ChildProcess = spawn(process.execPath, [...(options.nodeArgs ?? []), cli, "run", "--config", configPath], {
    env: { PATH: process.env.PATH ?? "", KAFKAJS_NO_PARTITIONER_WARNING: "1", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${options.name}: could not spawn ${cli}`);

  const log = createWriteStream(logFile);
  const counts = new Map<string, number>();
  const sums = new Map<string, number>();
  const firsts = new Map<string, LogLine>();
  const waiters = new Map<string, ((line: LogLine) => void)[]>();
  const notable: LogLine[] = [];
  const tail: LogLine[] = [];
  let running = true;
  const exited = new Promise<DaemonExit>((resolve) => {
    child.once("exit", (code, signal) => {
      running = false;
      resolve({ code, signal });
    });
  });
  const closeLog = exited.then(() => new Promise<void>((resolve) => log.end(resolve)));
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (text) => {
    log.write(`${text}\n`);
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      line = { msg: "(not JSON)", text };
    }
    const msg = String(line.msg);
    counts.set(msg, (counts.get(msg) ?? 0) + 1);
    for (const [field, value] of Object.entries(line)) {
      if (typeof value === "number" && field !== "level") sums.set(`${msg}\u0000${field}`, (sums.get(`${msg}\u0000${field}`) ?? 0) + value);
    }
    if (!firsts.has(msg)) firsts.set(msg, line);
    for (const wake of waiters.get(msg) ?? []) wake(line);
    waiters.delete(msg);
    if (levelOf(line) >= WARN && notable.length < NOTABLE_CAP) notable.push(line);
    tail.push(line);
    if (tail.length > TAIL) tail.shift();
  });
  child.stderr?.on("data", (chunk: Buffer) => log.write(`[stderr] ${chunk.toString()}`));

  let metricsUrl: Promise<string> | undefined;
  const waitForLog: DaemonProcess["waitForLog"] = (msg, timeoutMs) => {
    const seen = firsts.get(msg);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${options.name} did not log "${msg}" within ${timeoutMs} ms (log: ${logFile})`)), timeoutMs);
      const wake = (line: LogLine): void => {
        clearTimeout(timer);
        resolve(line);
      };
      waiters.set(msg, [...(waiters.get(msg) ?? []), wake]);
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`${options.name} exited before logging "${msg}" (log: ${logFile})`));
      });
    });
  };

  return {
    name: options.name,
    pid,
    logFile,
    exited,
    get running() {
      return running;
    },
    count: (msg) => counts.get(msg) ?? 0,
    sum: (msg, field) => sums.get(`${msg}\u0000${field}`) ?? 0,
    counts: () => counts,
    notable: () => notable,
    tail: () => tail,
    waitForLog,
    async metrics() {
      metricsUrl ??= waitForLog("metrics listening", 30_000).then((line) => String(line.url));
      const response = await fetch(await metricsUrl, { signal: AbortSignal.timeout(10_000) });
      return parseMetrics(await response.text());
    },
    rssBytes() {
      if (!running) return undefined;
      try {
        const kib = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
        return kib === undefined ? undefined : Number(kib) * 1024;
      } catch {
        return undefined;
      }
    },
    async kill(signal) {
      if (running) child.kill(signal);
      const exit = await exited;
      await closeLog;
      return exit;
    },
  };
}
