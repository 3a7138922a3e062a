// Runs the REAL misp-modules server (PyPI 3.1.0, from the venv setup.sh builds) as a child process
// on 127.0.0.1, for the tests and the demo. misp-contract/modules.md §8 is the manual: the server
// never reports its port, is ready when /healthcheck says so, and may need SIGKILL to stop.

import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { join, resolve } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { request } from "undici";
import { freePort } from "./listen.js";

export { customModulesDir, findVenv, setupVenv } from "./misp-modules-venv.js";

export interface RealModulesOptions {
  /** A venv holding misp-modules (see findVenv/setupVenv). */
  venv: string;
  /** A custom-modules root passed as `-c`; same-named files replace built-in modules. */
  customDir?: string;
  /** Added to a minimal environment, e.g. ONION_LOOKUP_URL for our override. */
  env?: Record<string, string>;
  /** Defaults to a free port picked before the spawn. */
  port?: number;
  /** How long start-up may take before the process is killed; default 30 s (observed 0.7–1.6 s). */
  readyTimeoutMs?: number;
  /** SIGTERM grace before SIGKILL; default 3 s. */
  stopTimeoutMs?: number;
}

export interface RealModules {
  /** http://127.0.0.1:PORT, unchanged by restart(). */
  readonly url: string;
  readonly port: number;
  /** The current process; a restart changes it. */
  readonly pid: number;
  /** The last few KB of the current process's output (Tornado logs to stderr), for failure messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after stopTimeoutMs: a module stuck on a silent upstream holds a worker thread that Python joins at exit. */
  stop(): Promise<void>;
  /** SIGKILL, no grace: the server vanishes mid-request, as after a crash or the OOM killer. */
  kill(): Promise<void>;
  /** Stops (if running) and starts again on the same port, resolving once /healthcheck answers. */
  restart(): Promise<void>;
}

interface Running {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  exitReason?: string;
  tail: string;
}

const TAIL_BYTES = 8000;
// Only these reach Python: no proxy settings or secrets from the parent leak into a third-party server.
const INHERITED_ENV = ["PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR"];
const live = new Set<ChildProcess>();

export async function startRealModules(options: RealModulesOptions): Promise<RealModules> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 3_000;
  let port = options.port ?? (await freePort());
  // The latest process, set at spawn: pid and output() describe it even when it failed to start.
  let current: Running | undefined;

  // A picked port can be taken between the probe and Tornado's bind: retry with another one then.
  for (let attempt = 1; ; attempt++) {
    try {
      await launch();
      break;
    } catch (error) {
      if (options.port !== undefined || attempt >= 3 || !/Address already in use/.test(current?.tail ?? "")) throw error;
      port = await freePort();
    }
  }

  async function launch(): Promise<void> {
    const args = ["-m", "misp_modules", "-l", "127.0.0.1", "-p", String(port)];
    // Never -d or --debug-extended: they log every /query body and outbound request, secrets included.
    if (options.customDir !== undefined) args.push("-c", resolve(options.customDir));
    const child = spawn(join(options.venv, "bin", "python"), args, {
      cwd: options.venv,
      env: childEnv(options.env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    const run: Running = {
      child,
      tail: "",
      exited: new Promise<void>((done) => {
        const settle = (reason: string): void => {
          run.exitReason ??= reason;
          live.delete(child);
          done();
        };
        child.once("error", (error) => settle(error.message));
        child.once("exit", (code, signal) => settle(signal ?? `exit code ${code}`));
      }),
    };
    const record = (chunk: string): void => {
      run.tail = (run.tail + chunk).slice(-TAIL_BYTES);
    };
    child.stdout?.setEncoding("utf8").on("data", record);
    child.stderr?.setEncoding("utf8").on("data", record);
    live.add(child);
    current = run;
    try {
      await waitReady(run);
    } catch (error) {
      await terminate(run, 0);
      throw error;
    }
  }

  async function waitReady(run: Running): Promise<void> {
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      if (run.exitReason !== undefined) {
        throw new Error(`misp-modules exited (${run.exitReason}) before it was ready:\n${run.tail.trimEnd()}`);
      }
      if (await healthy(port)) return;
      if (Date.now() > deadline) {
        throw new Error(`misp-modules not ready on port ${port} after ${readyTimeoutMs} ms:\n${run.tail.trimEnd()}`);
      }
      await Promise.race([delay(50), run.exited]);
    }
  }

  async function terminate(run: Running | undefined, graceMs: number): Promise<void> {
    if (run === undefined || run.exitReason !== undefined) return;
    if (graceMs <= 0) {
      run.child.kill("SIGKILL");
      return run.exited;
    }
    run.child.kill("SIGTERM");
    const timer = setTimeout(() => run.child.kill("SIGKILL"), graceMs);
    await run.exited;
    clearTimeout(timer);
  }

  // stop() and restart() run one at a time, in call order.
  let queue: Promise<void> = Promise.resolve();
  const enqueue = (step: () => Promise<void>): Promise<void> => {
    const result = queue.then(step);
    queue = result.catch(() => undefined);
    return result;
  };

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get pid(): number {
      return current?.child.pid ?? -1;
    },
    output: () => current?.tail ?? "",
    stop: () => enqueue(() => terminate(current, stopTimeoutMs)),
    kill: () => enqueue(() => terminate(current, 0)),
    restart: () =>
      enqueue(async () => {
        await terminate(current, stopTimeoutMs);
        await launch();
      }),
  };
}

function childEnv(extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of INHERITED_ENV) if (process.env[key] !== undefined) env[key] = process.env[key];
  // Unbuffered so the tail is current; no .pyc files written into our custom-modules folder.
  return { ...env, PYTHONUNBUFFERED: "1", PYTHONDONTWRITEBYTECODE: "1", ...extra };
}

async function healthy(port: number): Promise<boolean> {
  try {
    const res = await request(`http://127.0.0.1:${port}/healthcheck`, {
      reset: true,
      headersTimeout: 2_000,
      bodyTimeout: 2_000,
    });
    const body: unknown = await res.body.json().catch(() => undefined);
    return res.statusCode === 200 && (body as { status?: unknown } | undefined)?.status === true;
  } catch {
    return false;
  }
}

// A crashed or interrupted test run must not leave Python servers behind holding ports.
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});
