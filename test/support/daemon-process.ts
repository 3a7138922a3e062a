// `misp-enrichd run` as a child process, the built CLI exactly as systemd starts it: a YAML config
// file, the environment, JSON logs on stdout kept for the test, metrics scraped over HTTP. For the
// tests that kill the daemon (SIGKILL, SIGTERM) and start it again on the same state folder.

import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { onTestFailed, onTestFinished, vi } from "vitest";
import { stringify } from "yaml";

const CLI = join(import.meta.dirname, "../../dist/src/cli/main.js");

export interface DaemonExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface DaemonProcessOptions {
  /** Config keys by dotted path (`"bus.kafka"`, `"pipeline.concurrency"`), written as config.yaml. */
  readonly config: Readonly<Record<string, unknown>>;
  /** MISP_URL, MISP_KEY, MISP_MODULES_URL, STATE_DIRECTORY, ... */
  readonly env: Readonly<Record<string, string>>;
  /** Where config.yaml goes. */
  readonly dir: string;
  /** For failure output, e.g. "daemon #2". */
  readonly name?: string;
}

export interface DaemonProcess {
  readonly pid: number;
  readonly name: string;
  /** Settles when the process has exited. */
  readonly exited: Promise<DaemonExit>;
  readonly running: boolean;
  /** Every JSON log line so far. */
  lines(): readonly Record<string, unknown>[];
  stderr(): string;
  /** Resolves with the first log line whose `msg` is `msg` (and that `where` accepts). */
  waitForLog(msg: string, where?: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** A metric from the daemon's /metrics (labels as given to metrics.inc); 0 when absent. */
  metric(name: string, labels?: Readonly<Record<string, string>>): Promise<number>;
  /** Sends the signal and resolves once the process has exited. */
  kill(signal: NodeJS.Signals): Promise<DaemonExit>;
}

/** Dotted keys to the nested document `loadConfig` reads. */
function nest(dotted: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const doc: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(dotted)) {
    const keys = path.split(".");
    let node = doc;
    for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
    node[keys[keys.length - 1] as string] = value;
  }
  return doc;
}

/** The key `Metrics` renders: labels sorted by name. */
function metricKey(name: string, labels: Readonly<Record<string, string>> = {}): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}="${String(labels[k])}"`);
  return parts.length === 0 ? name : `${name}{${parts.join(",")}}`;
}

/** A rendered series name with its labels in name order (prom-client keeps the order of first use). */
function sortedKey(rendered: string): string {
  const brace = rendered.indexOf("{");
  if (brace < 0) return rendered;
  const labels: Record<string, string> = {};
  for (const m of rendered.slice(brace).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[m[1] as string] = m[2] as string;
  return metricKey(rendered.slice(0, brace), labels);
}

let started = 0;

export async function startDaemonProcess(options: DaemonProcessOptions): Promise<DaemonProcess> {
  started += 1;
  const name = options.name ?? `daemon #${started}`;
  const configPath = join(options.dir, `config-${started}.yaml`);
  // Metrics on a port the OS picks; the daemon logs the address.
  writeFileSync(configPath, stringify(nest({ "metrics.listen": "127.0.0.1:0", ...options.config })), { mode: 0o600 });

  const child: ChildProcess = spawn(process.execPath, [CLI, "run", "--config", configPath], {
    env: { PATH: process.env.PATH ?? "", KAFKAJS_NO_PARTITIONER_WARNING: "1", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${name}: could not spawn ${CLI}`);
  // If this test process dies, its pipe to the watchdog closes and the watchdog kills the daemon
  // (`read` is a shell builtin: killing the watchdog leaves no process behind).
  const watchdog = spawn("sh", ["-c", 'read -r _; kill -9 "$1" 2>/dev/null', "enrichd-watchdog", String(pid)], {
    stdio: ["pipe", "ignore", "ignore"],
  });

  const lines: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  let running = true;
  const exited = new Promise<DaemonExit>((resolve) => {
    child.once("exit", (code, signal) => {
      running = false;
      watchdog.kill("SIGKILL");
      resolve({ code, signal });
    });
  });
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      lines.push({ msg: "(not JSON)", line });
    }
  });
  child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk.toString()));

  const kill = async (signal: NodeJS.Signals): Promise<DaemonExit> => {
    if (running) child.kill(signal);
    return exited;
  };
  onTestFinished(async () => {
    await kill("SIGKILL");
  });
  onTestFailed(() => {
    const tail = lines.slice(-30).map((l) => JSON.stringify(l));
    process.stderr.write(`--- ${name} (pid ${pid}) log tail ---\n${tail.join("\n")}\n${stderr.join("")}\n`);
  });

  const waitForLog: DaemonProcess["waitForLog"] = (msg, where = () => true, timeoutMs = 20_000) =>
    vi.waitFor(
      () => {
        const line = lines.find((l) => l.msg === msg && where(l));
        if (line !== undefined) return line;
        if (!running) throw new Error(`${name} exited before logging "${msg}"`);
        throw new Error(`${name} has not logged "${msg}" yet`);
      },
      { timeout: timeoutMs, interval: 20 },
    );

  let metricsUrl: Promise<string> | undefined;
  const metric: DaemonProcess["metric"] = async (metricName, labels) => {
    metricsUrl ??= waitForLog("metrics listening").then((line) => String(line.url));
    const text = await (await fetch(await metricsUrl)).text();
    const wanted = metricKey(metricName, labels);
    for (const line of text.split("\n")) {
      const space = line.lastIndexOf(" ");
      if (!line.startsWith("#") && sortedKey(line.slice(0, space)) === wanted) return Number(line.slice(space + 1));
    }
    return 0;
  };

  return {
    pid,
    name,
    exited,
    get running() {
      return running;
    },
    lines: () => lines,
    stderr: () => stderr.join(""),
    waitForLog,
    metric,
    kill,
  };
}
