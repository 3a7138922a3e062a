// One scenario's world on 127.0.0.1: the MISP stand-in echoing its writes on MISP's bus (ZeroMQ or
// Kafka), a module server, a state folder, and the daemons started on them. Sending a message plays
// an analyst adding an ip-dst attribute: MISP stores it, publishes it, and its effect is expected.

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { startMispStandin, type MispStandin, type SeededEvent } from "@misp-enrichd/standins";
import { startDaemonProcess, type DaemonProcess } from "./daemon-process.js";
import { createEffectLedger, type EffectLedger } from "./effects.js";
import { startKafkaBus, startZmqBus, type KafkaBus, type MispBus, type Transport, type ZmqBus } from "./misp-bus.js";
import { startModuleServer, type ModuleServer } from "./module-server.js";
import { nest, mergeConfig, type Dotted } from "./config-doc.js";

export const FAULTS_KEY = "f4u1tsf4u1tsf4u1tsf4u1tsf4u1tsf4u1tsf4u1";

export interface StackOptions {
  /** Names the scenario's folder under `runDir`. */
  readonly name: string;
  readonly runDir: string;
  readonly transport: Transport;
  /** Required for Kafka. */
  readonly kafkaBrokers?: string;
  /** The daemon's bus.kafka.sessionTimeoutMs (Kafka only). */
  readonly kafkaSessionTimeoutMs?: number;
  /** The real misp-modules where installed (default: the module stand-in). */
  readonly realModules?: boolean;
  /** Default `<runDir>/<name>/state`; the disk-full scenario passes a small tmpfs. */
  readonly stateDir?: string;
  /** Events the attributes are spread over, round robin. Default 100. */
  readonly events?: number;
  /** Config of every daemon started on this stack, by dotted key. */
  readonly daemon?: Dotted;
  /** A comment of this many bytes on every attribute sent: bigger frames fill the sockets' buffers sooner. */
  readonly commentBytes?: number;
  /** `node` options and environment of every daemon (the disk-full scenario's preload). */
  readonly nodeArgs?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

export interface Stack {
  readonly dir: string;
  readonly stateDir: string;
  readonly misp: MispStandin;
  readonly bus: MispBus;
  readonly modules: ModuleServer;
  readonly effects: EffectLedger;
  /** Valid messages sent so far. */
  readonly sent: number;
  /** Seeds `count` attributes in MISP and publishes their add messages, in order. */
  send(count: number): Promise<void>;
  /** Publishes one frame as it is (hostile input); counted like every other frame on its topic. */
  publishRaw(topic: string, frame: Buffer | string): Promise<void>;
  /** Frames published on a ZeroMQ topic so far: the analyst's messages, MISP's echoes, raw frames. */
  published(topic: string): number;
  /** Like `send`, paced at `perSecond` (Infinity: as fast as the bus takes them); stops early when `signal` aborts. */
  stream(options: { readonly count: number; readonly perSecond: number; readonly signal?: AbortSignal }): Promise<void>;
  /** `misp-enrichd run` on this stack (its state folder, bus, MISP, modules), reading the bus once it resolves. */
  startDaemon(name: string, overrides?: Dotted, options?: { readonly waitReady?: boolean }): Promise<DaemonProcess>;
  /** Every daemon started, in order. */
  readonly daemons: readonly DaemonProcess[];
  close(): Promise<void>;
}

/**
 * A distinct public IPv4 address per message (262,144 of them): 5.0.0.0-5.3.255.255, where the
 * GeoLite2 City database the real mmdb_lookup is pointed at locates every address in a country.
 */
export function address(i: number): string {
  if (i >= 1 << 18) throw new RangeError(`address: only ${1 << 18} distinct addresses, asked for #${i}`);
  return `5.${i >> 16}.${(i >> 8) & 255}.${i & 255}`;
}

const POLL_MS = 100;

export async function startStack(options: StackOptions): Promise<Stack> {
  const dir = join(options.runDir, options.name);
  const stateDir = options.stateDir ?? join(dir, "state");
  mkdirSync(dir, { recursive: true });
  mkdirSync(stateDir, { recursive: true });
  const bus: MispBus | ZmqBus | KafkaBus =
    options.transport === "zmq"
      ? await startZmqBus()
      : await startKafkaBus({
          brokers: required(options.kafkaBrokers, "kafkaBrokers"),
          prefix: `faults-${options.name}-${process.pid}-${Date.now().toString(36)}`,
          ...(options.kafkaSessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: options.kafkaSessionTimeoutMs }),
        });
  const published = new Map<string, number>();
  const count = (topic: string): void => void published.set(topic, (published.get(topic) ?? 0) + 1);
  const misp = await startMispStandin({
    key: FAULTS_KEY,
    publish: (topic, payload) => {
      count(topic);
      return bus.publish(topic, payload);
    },
    record: false,
  });
  const modules = await startModuleServer(options.realModules ?? false);
  const effects = createEffectLedger(misp.state);
  const poller = setInterval(() => effects.poll(), POLL_MS);
  const events: SeededEvent[] = Array.from({ length: options.events ?? 100 }, (_, i) => misp.seedEvent({ info: `fault suite event ${i}` }));
  const daemons: DaemonProcess[] = [];
  const comment = "c".repeat(options.commentBytes ?? 0);
  let sent = 0;

  const sendOne = async (): Promise<void> => {
    const event = events[sent % events.length] as SeededEvent;
    const seeded = misp.seedAttribute(event.uuid, { type: "ip-dst", value: address(sent), ...(comment ? { comment } : {}) });
    sent++;
    effects.expect(seeded.uuid);
    count(seeded.message.topic);
    await bus.publish(seeded.message.topic, seeded.message.payload);
  };

  const baseConfig = mergeConfig(
    {
      log: { level: "info" },
      metrics: { listen: "127.0.0.1:0" },
      bus: bus.config,
      ...(Object.keys(modules.config).length > 0 ? { modules: { config: modules.config } } : {}),
    },
    nest(options.daemon ?? {}),
  );

  return {
    dir,
    stateDir,
    misp,
    bus,
    modules,
    effects,
    get sent() {
      return sent;
    },
    async send(n) {
      for (let i = 0; i < n; i++) await sendOne();
    },
    publishRaw(topic, frame) {
      count(topic);
      return bus.publishRaw(topic, frame);
    },
    published: (topic) => published.get(topic) ?? 0,
    async stream({ count: n, perSecond, signal }) {
      const started = performance.now();
      for (let i = 0; i < n && !signal?.aborted; i++) {
        await sendOne();
        if (Number.isFinite(perSecond)) {
          const due = started + ((i + 1) * 1000) / perSecond;
          const wait = due - performance.now();
          if (wait > 0) await delay(wait);
        } else if (i % 500 === 499) {
          await delay(0); // let the sockets and timers breathe during a burst
        }
      }
    },
    async startDaemon(name, overrides = {}, { waitReady = true } = {}) {
      const daemon = await startDaemonProcess({
        name,
        dir,
        config: mergeConfig(baseConfig, nest(overrides)),
        env: { ...options.env, MISP_URL: misp.url, MISP_KEY: FAULTS_KEY, MISP_MODULES_URL: modules.url, STATE_DIRECTORY: stateDir },
        ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}),
      });
      daemons.push(daemon);
      if (waitReady) await bus.ready(daemon, 60_000);
      return daemon;
    },
    daemons,
    async close() {
      clearInterval(poller);
      await Promise.allSettled(daemons.map((d) => d.kill("SIGKILL")));
      await Promise.allSettled([misp.close(), modules.close()]);
      await bus.close();
    },
  };
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`startStack: ${what} is required for this transport`);
  return value;
}
