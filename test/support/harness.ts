// The end-to-end harness: a bus (a real ZeroMQ PUB socket, or a real Kafka broker), the MISP
// stand-in echoing its writes on that bus as MISP does, a module server (the stand-in or the real
// one), and the daemon built exactly as `misp-enrichd run` builds it. A subscriber test is three
// lines of setup and asserts the REST calls and the resulting state.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { vi } from "vitest";
import { startMispStandin, startModulesStandin, type MispStandin, type MispStandinOptions, type ModulesStandin } from "@misp-enrichd/standins";
import { createDaemon, type Daemon } from "../../src/daemon.js";
import type { Bus } from "../../src/bus/types.js";
import { loadConfig } from "../../src/config/load.js";
import { createTopicTable } from "../../src/decode/topic.js";
import { captureLogs, type LogCapture } from "./log-capture.js";
import { createZmqDriver } from "./zmq-driver.js";

export const TEST_KEY = "k3yk3yk3yk3yk3yk3yk3yk3yk3yk3yk3yk3yk3y0";

/** How a test talks to the bus the daemon reads; one per transport. */
export interface BusDriver {
  readonly transport: "zmq" | "kafka";
  /** Config overrides that point the daemon at this bus. */
  readonly overrides: Readonly<Record<string, unknown>>;
  /** Publishes a message as MISP does, named by its ZeroMQ topic (`misp_json_attribute`). */
  publish(zmqTopic: string, payload: object): Promise<void>;
  /** Publishes bytes as they are (malformed input). */
  publishRaw(zmqTopic: string, payload: string | Buffer): Promise<void>;
  /** Resolves once the daemon reads the bus (ZeroMQ's slow joiner, a Kafka group join). */
  ready(daemon: Daemon): Promise<void>;
  close(): Promise<void>;
}

export type BusDriverFactory = () => Promise<BusDriver>;

export interface HarnessOptions {
  /** Defaults to a ZeroMQ driver. */
  readonly bus?: BusDriverFactory;
  /** Config overrides by dotted path, e.g. `{"subscribers.settings": {...}}`. */
  readonly overrides?: Readonly<Record<string, unknown>>;
  readonly misp?: Omit<MispStandinOptions, "key" | "publish">;
  /** Use this module server instead of starting the stand-in (e.g. the real misp-modules). */
  readonly modulesUrl?: string;
  /** Keep this state folder (a restart test passes the previous harness's). */
  readonly stateDir?: string;
  readonly level?: "debug" | "info";
  /** The rule scheduler's clock (epoch seconds). */
  readonly now?: () => number;
}

export interface Harness {
  readonly driver: BusDriver;
  readonly misp: MispStandin;
  /** Undefined when `modulesUrl` pointed elsewhere. */
  readonly modules: ModulesStandin | undefined;
  readonly logs: LogCapture;
  readonly daemon: Daemon;
  readonly bus: Bus;
  readonly stateDir: string;
  /** Publishes as MISP would and counts it for `settle`. */
  publish(zmqTopic: string, payload: object): Promise<void>;
  publishRaw(zmqTopic: string, payload: string | Buffer): Promise<void>;
  /** Waits until every frame published so far (ours and MISP's echoes) was received and handled. */
  settle(): Promise<void>;
  counter(name: string, labels?: Record<string, string>): number;
  /** Stops the daemon and starts a new one on the same config, state folder, bus and MISP. */
  restartDaemon(options?: { beforeStart?: () => void }): Promise<void>;
  /** REST calls the daemon made, as `METHOD path`, optionally only writes. */
  restCalls(options?: { writesOnly?: boolean }): string[];
  stop(options?: { keepState?: boolean }): Promise<void>;
}

const zmqTable = createTopicTable();

function emptyConfig(dir: string): string {
  const path = join(dir, "config.yaml");
  writeFileSync(path, "{}\n");
  return path;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), "enrichd-e2e-"));
  const driver = await (options.bus ?? createZmqDriver)();
  const misp = await startMispStandin({ ...options.misp, key: TEST_KEY, publish: (topic, payload) => driver.publish(topic, payload) });
  const modules = options.modulesUrl ? undefined : await startModulesStandin();
  const logs = captureLogs({ level: options.level ?? "debug", secrets: [TEST_KEY] });
  const config = loadConfig({
    // A path that does not exist would be an error: point at an empty file.
    path: emptyConfig(stateDir),
    env: {
      MISP_URL: misp.url,
      MISP_KEY: TEST_KEY,
      MISP_MODULES_URL: options.modulesUrl ?? (modules as ModulesStandin).url,
      STATE_DIRECTORY: stateDir,
    },
    overrides: {
      "pipeline.retryInitialDelayMs": 5,
      "pipeline.retryMaxDelayMs": 20,
      "pipeline.retryAttempts": 3,
      "pipeline.spoolRetryMs": 3_600_000,
      "pipeline.drainTimeoutMs": 3_000,
      "modules.timeoutMs": 10_000,
      "backfill.enabled": false,
      ...driver.overrides,
      ...options.overrides,
    },
  });
  const daemonOptions = { config, logger: logs.logger, ...(options.now ? { now: options.now } : {}) };
  let daemon = await createDaemon(daemonOptions);
  let bus = daemon.createBus();
  daemon.pipeline.run(bus).catch(() => undefined);
  await driver.ready(daemon);

  const sent: string[] = [];
  let echoesBefore = 0;
  const counter = (name: string, labels?: Record<string, string>): number => (labels ? daemon.metrics.get(name, labels) : daemon.metrics.total(name));

  return {
    driver,
    misp,
    modules,
    logs,
    get daemon() {
      return daemon;
    },
    get bus() {
      return bus;
    },
    stateDir,
    async restartDaemon({ beforeStart } = {}) {
      await daemon.close();
      beforeStart?.();
      daemon = await createDaemon(daemonOptions);
      bus = daemon.createBus();
      daemon.pipeline.run(bus).catch(() => undefined);
      await driver.ready(daemon);
      // Counters restart from zero with the new daemon: so must what settle() waits for.
      sent.length = 0;
      echoesBefore = misp.published.length;
    },
    async publish(topic, payload) {
      sent.push(topic);
      await driver.publish(topic, payload);
    },
    async publishRaw(topic, payload) {
      sent.push(topic);
      await driver.publishRaw(topic, payload);
    },
    counter,
    restCalls({ writesOnly = false } = {}) {
      return misp.calls.filter((c) => !writesOnly || c.method === "POST").map((c) => `${c.method} ${c.path}`);
    },
    async settle() {
      const wanted = daemon.pipeline.wantedKinds;
      await vi.waitFor(
        async () => {
          await misp.settled();
          await daemon.pipeline.idle();
          const expected = new Map<string, number>();
          for (const topic of [...sent, ...misp.published.slice(echoesBefore).map((p) => p.topic)]) {
            const kind = zmqTable.kindOf(topic) ?? "unknown";
            if (kind === "heartbeat" || (kind !== "unknown" && !wanted.has(kind))) continue;
            expected.set(kind, (expected.get(kind) ?? 0) + 1);
          }
          for (const [kind, count] of expected) {
            const received = daemon.metrics.get("misp_enrichd_frames_total", { transport: driver.transport, kind });
            if (received < count) throw new Error(`received ${received} of ${count} ${kind} frames`);
          }
        },
        { timeout: 20_000, interval: 25 },
      );
      await daemon.pipeline.idle();
    },
    async stop({ keepState = false } = {}) {
      await daemon.close();
      await Promise.allSettled([misp.close(), modules?.close(), driver.close()]);
      if (!keepState) rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
