// Spawning the built CLI (`npm test` builds first) with a clean environment, and the peers it
// talks to, all on 127.0.0.1. Spawns are asynchronous: the stand-ins answer from this process.

import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onTestFinished, vi } from "vitest";
import { freePort, startMispStandin, startModulesStandin, startZmqPublisher, type MispStandin, type MispStandinOptions, type ModulesStandin, type ZmqPublisher } from "@misp-enrichd/standins";

export const CLI = join(import.meta.dirname, "../../dist/src/cli/main.js");
export const KEY = "c1ic1ic1ic1ic1ic1ic1ic1ic1ic1ic1ic1ic1i0";

export interface CliProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Lines of stdout so far, without the trailing empty one. */
  lines(): string[];
  readonly exited: Promise<number | null>;
}

/** Only what a shell would pass; nothing of this test process's own MISP_* settings leaks in. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "TMPDIR", "LANG"]) if (process.env[name]) env[name] = process.env[name] as string;
  return env;
}

/** `launcher` runs the CLI through another program, e.g. `["/usr/bin/python3", "wrapper.py", "--"]`. */
export function startCli(args: readonly string[], env: Readonly<Record<string, string>> = {}, launcher: readonly string[] = []): CliProcess {
  const [command, ...prefix] = [...launcher, process.execPath];
  const child = spawn(command as string, [...prefix, CLI, ...args], { env: { ...baseEnv(), ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout?.setEncoding("utf8").on("data", (c: string) => (out += c));
  child.stderr?.setEncoding("utf8").on("data", (c: string) => (err += c));
  const exited = once(child, "close").then(([code]) => code as number | null);
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    lines: () => out.split("\n").filter((l, i, all) => i < all.length - 1 || l !== ""),
    exited,
  };
}

export async function runCli(args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = startCli(args, env);
  const code = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}

/** The JSON log lines among a process's output (pino writes one object per line). */
export function jsonLines(output: string): Record<string, unknown>[] {
  return output
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Publishes MISP's heartbeat every 50 ms (the subscriber's slow join, a live bus) until the test ends. */
export function pumpHeartbeats(publisher: ZmqPublisher): void {
  const timer = setInterval(() => void publisher.publish("misp_json_self", { status: "I'm doing science and I'm still alive.", uptime: 1 }).catch(() => undefined), 50);
  onTestFinished(() => clearInterval(timer));
}

/** Waits until the process printed a line matching `pattern` (stdout). */
export async function waitForLine(cli: CliProcess, pattern: RegExp, timeout = 10_000): Promise<void> {
  await vi.waitFor(
    () => {
      if (!cli.lines().some((l) => pattern.test(l))) throw new Error(`no line matching ${pattern} yet:\n${cli.stdout()}\n${cli.stderr()}`);
    },
    { timeout, interval: 20 },
  );
}

/** A port nothing listens on: bound, then released. */
export const closedPort = freePort;

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "enrichd-cli-test-"));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function writeConfig(dir: string, yaml: string): string {
  const path = join(dir, "config.yaml");
  writeFileSync(path, yaml, { mode: 0o600 });
  return path;
}

export interface Peers {
  readonly misp: MispStandin;
  readonly modules: ModulesStandin;
  readonly publisher: ZmqPublisher;
  readonly stateDir: string;
  /** Environment that points the CLI at these peers. */
  readonly env: Record<string, string>;
}

export async function startPeers(misp: Omit<MispStandinOptions, "key" | "publish"> = {}): Promise<Peers> {
  const publisher = await startZmqPublisher();
  const standin = await startMispStandin({ ...misp, key: KEY, publish: (topic, payload) => publisher.publish(topic, payload) });
  const modules = await startModulesStandin();
  const stateDir = tempDir();
  onTestFinished(async () => {
    await Promise.allSettled([standin.close(), modules.close(), publisher.close()]);
  });
  return {
    misp: standin,
    modules,
    publisher,
    stateDir,
    env: { MISP_URL: standin.url, MISP_KEY: KEY, MISP_ZMQ_URL: publisher.url, MISP_MODULES_URL: modules.url, STATE_DIRECTORY: stateDir },
  };
}
