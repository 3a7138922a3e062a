// A real single-node KRaft Kafka broker for the tests and the fault suite (shared/field/kafka-broker.md).
// The tests' global setup starts one per run; a test that stops and restarts a broker under a running
// bus starts its own, so it never pulls the shared one from under other files. A broker keeps its ports and data
// directory across stop()/start(), so a restart looks to clients like the same broker coming back.

import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, openSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Kafka, logLevel } from "kafkajs";
import { fetchKafkaJars, kafkaVersion } from "./kafka-jars.js";
import { jvmWatchdogScript, log4j1Properties, log4j2Properties, serverProperties } from "./kafka-broker-files.js";

const run = promisify(execFile);
const STOP_GRACE_MS = 15_000;
const READY_POLL_MS = 200;

export { DEFAULT_KAFKA_VERSION, fetchKafkaJars, kafkaVersion } from "./kafka-jars.js";

export interface KafkaBrokerOptions {
  /** Defaults to $KAFKA_VERSION, then 4.4.0. */
  readonly version?: string;
  /** Readiness limit for each start. */
  readonly startTimeoutMs?: number;
}

export interface KafkaBroker {
  /** `127.0.0.1:PORT`, what kafkajs takes (it cannot parse `[::1]:PORT`). */
  readonly brokers: string;
  readonly port: number;
  readonly version: string;
  /** The RUN directory: server.properties, data/, broker.log. */
  readonly runDir: string;
  readonly running: boolean;
  /** Starts the JVM again on the same ports and data directory; resolves once it answers. */
  start(): Promise<void>;
  /** SIGTERM, SIGKILL after 15 s. Keeps the data directory for start(). */
  stop(): Promise<void>;
  /** stop() then remove RUN. Idempotent. */
  destroy(): Promise<void>;
  /** The last lines of the broker's log, for failure messages. */
  logTail(lines?: number): string;
  /** Resident memory of the JVM in bytes, while it runs (Linux /proc). */
  rssBytes(): number | undefined;
}

export async function startKafkaBroker(options: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
  const version = options.version ?? kafkaVersion();
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const lib = await fetchKafkaJars(version);
  const [port, controllerPort] = await freePortPair();
  const runDir = await mkdtemp(join(tmpdir(), "enrichd-kafka-"));
  const paths = {
    props: join(runDir, "server.properties"),
    log: join(runDir, "broker.log"),
    pid: join(runDir, "jvm.pid"),
    log4j2: join(runDir, "log4j2.properties"),
    log4j1: join(runDir, "log4j.properties"),
  };
  const brokers = `127.0.0.1:${port}`;
  const classpath = join(lib, "*"); // expanded by java itself, not by a shell

  let child: ChildProcess | undefined;
  let exited: Promise<number | null> = Promise.resolve(null);
  let destroyed: Promise<void> | undefined;

  const logTail = (lines = 40): string => {
    try {
      return readFileSync(paths.log, "utf8").split("\n").slice(-lines - 1).join("\n");
    } catch {
      return "(no broker log)";
    }
  };

  const start = async (): Promise<void> => {
    if (child !== undefined) return;
    const logFd = openSync(paths.log, "a");
    const jvm = [
      "java",
      "-Xms64m",
      "-Xmx256m",
      "-XX:+UseSerialGC",
      "-XX:TieredStopAtLevel=1",
      "-XX:-UsePerfData",
      "-XX:+ExitOnOutOfMemoryError",
      "-Djava.awt.headless=true",
      `-Dlog4j2.configurationFile=${paths.log4j2}`,
      `-Dlog4j.configuration=file:${paths.log4j1}`,
      "-cp",
      classpath,
      "kafka.Kafka",
      paths.props,
    ];
    // detached: the wrapper leads its own process group, so the SIGKILL fallback reaches the JVM too.
    const proc = spawn("sh", ["-c", jvmWatchdogScript, "kafka-watchdog", runDir, ...jvm], {
      stdio: ["pipe", logFd, logFd],
      detached: true,
    });
    closeSync(logFd);
    child = proc;
    exited = new Promise((resolveExit) => proc.once("exit", (code) => resolveExit(code)));
    void exited.then(() => {
      if (child === proc) child = undefined;
    });
    try {
      await waitReady(brokers, exited, startTimeoutMs);
    } catch (error) {
      await stop();
      throw new Error(`Kafka ${version} did not start on ${brokers}: ${(error as Error).message}\n--- broker.log ---\n${logTail()}`, {
        cause: error,
      });
    }
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    if (proc === undefined || proc.pid === undefined) return;
    proc.kill("SIGTERM"); // the wrapper forwards it to the JVM, which shuts down cleanly
    const timer = setTimeout(() => killGroup(proc.pid, "SIGKILL"), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
    // A wrapper killed hard may leave its watchdog reading stdin: end it with the group.
    killGroup(proc.pid, "SIGKILL");
    proc.stdin?.destroy();
    child = undefined;
  };

  const destroy = (): Promise<void> => {
    destroyed ??= (async () => {
      try {
        await stop();
      } finally {
        await rm(runDir, { recursive: true, force: true });
      }
    })();
    return destroyed;
  };

  const rssBytes = (): number | undefined => {
    if (child === undefined) return undefined;
    try {
      const jvmPid = readFileSync(paths.pid, "utf8").trim();
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${jvmPid}/status`, "utf8"));
      return match?.[1] === undefined ? undefined : Number(match[1]) * 1024;
    } catch {
      return undefined;
    }
  };

  try {
    await writeFile(paths.props, serverProperties({ port, controllerPort, dataDir: join(runDir, "data") }));
    await writeFile(paths.log4j2, log4j2Properties);
    await writeFile(paths.log4j1, log4j1Properties);
    // Like Kafka's Uuid.randomUuid(): an id starting with "-" would be read as an option.
    let clusterId = randomBytes(16).toString("base64url");
    while (clusterId.startsWith("-")) clusterId = randomBytes(16).toString("base64url");
    await run("java", ["-cp", classpath, `-Dlog4j2.configurationFile=${paths.log4j2}`, `-Dlog4j.configuration=file:${paths.log4j1}`,
      "kafka.tools.StorageTool", "format", "-t", clusterId, "-c", paths.props], { timeout: 60_000 });
    await start();
  } catch (error) {
    await destroy();
    throw error;
  }

  return {
    brokers,
    port,
    version,
    runDir,
    get running() {
      return child !== undefined;
    },
    start,
    stop,
    destroy,
    logTail,
    rssBytes,
  };
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Polls describeCluster every 200 ms; fails at once if the JVM exits first. */
async function waitReady(brokers: string, exited: Promise<number | null>, timeoutMs: number): Promise<void> {
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  const deadline = Date.now() + timeoutMs;
  let lastError = "no answer yet";
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`the JVM exited with code ${String(exitCode)}`);
    const admin = new Kafka({
      clientId: "enrichd-test-ready",
      brokers: [brokers],
      connectionTimeout: 1000,
      requestTimeout: 2000,
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    }).admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length > 0) return;
    } catch (error) {
      lastError = (error as Error).message;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await Promise.race([new Promise((r) => setTimeout(r, READY_POLL_MS)), exited]);
  }
  throw new Error(`not ready after ${timeoutMs} ms (last error: ${lastError})`);
}

/** Two ports the OS hands out now, held together so they differ. */
async function freePortPair(): Promise<readonly [number, number]> {
  const listen = (): Promise<Server> =>
    new Promise((resolveListen, reject) => {
      const server = createServer();
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolveListen(server));
    });
  const servers = [await listen(), await listen()] as const;
  const portOf = (server: Server): number => {
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no TCP port");
    return address.port;
  };
  const ports = [portOf(servers[0]), portOf(servers[1])] as const;
  await Promise.all(servers.map((server) => new Promise((r) => server.close(r))));
  return ports;
}
