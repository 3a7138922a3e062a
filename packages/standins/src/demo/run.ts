// The demo end to end: start the stack, build the daemon exactly as `run` does (createDaemon, the
// configured bus) from an embedded config, publish the samples, wait until the pipeline and MISP's
// echoes have settled, then report. Needs no config file and reads no environment.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import type { DestinationStream, LevelWithSilent } from "pino";
import { createDaemon, loadConfig, type Bus, type Daemon } from "misp-enrichd/internal";
import { buildReport, type DemoReport } from "./report.js";
import { createLogTap } from "./log-tap.js";
import { DEMO_EVENT_INFO, publishSamples, seedSamples } from "./samples.js";
import { DEMO_KEY, startDemoStack, type DemoStack } from "./stack.js";

export interface DemoOptions {
  readonly standInModules?: boolean;
  /** Pass the daemon's log lines on from this level. */
  readonly forwardLogs?: { readonly to: DestinationStream; readonly level: LevelWithSilent };
  /** Progress lines for a human while it runs. */
  readonly progress?: (line: string) => void;
  /** The whole run must finish within this; default 60 s. */
  readonly timeoutMs?: number;
}

export interface DemoResult extends DemoReport {
  /** What ran where, for the header. */
  readonly setup: string;
  readonly elapsedMs: number;
}

async function until(what: string, deadline: number, test: () => Promise<boolean> | boolean, detail = (): string => ""): Promise<void> {
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}${detail() ? `: ${detail()}` : ""}`);
    await delay(20);
  }
}

/** The bus as it is, counting frames by topic on their way in: the demo waits on those counts. */
function countFrames(bus: Bus, counts: Map<string, number>): Bus {
  return {
    transport: bus.transport,
    describe: bus.describe,
    status: () => bus.status(),
    close: () => bus.close(),
    run: (kinds, sink, signal) =>
      bus.run(
        kinds,
        (frame) => {
          counts.set(frame.topic, (counts.get(frame.topic) ?? 0) + 1);
          return sink(frame);
        },
        signal,
      ),
  };
}

function demoConfig(stack: DemoStack, stateDir: string): ReturnType<typeof loadConfig> {
  const empty = join(stateDir, "config.yaml");
  writeFileSync(empty, "{}\n");
  return loadConfig({
    path: empty,
    env: {},
    overrides: {
      "misp.url": stack.misp.url,
      "misp.key": DEMO_KEY,
      "bus.zmq.url": stack.publisher.url,
      "modules.url": stack.modules.url,
      "modules.config": stack.modules.config,
      "modules.timeoutMs": 15_000,
      "state.dir": stateDir,
      "subscribers.settings": { geolocation: { options: { module: stack.modules.geolocation.module, types: stack.modules.geolocation.types } } },
      "pipeline.retryAttempts": 2,
      "pipeline.retryInitialDelayMs": 50,
      "pipeline.retryMaxDelayMs": 200,
      "pipeline.drainTimeoutMs": 2_000,
    },
  });
}

export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const started = Date.now();
  const deadline = started + (options.timeoutMs ?? 60_000);
  const progress = options.progress ?? ((): void => undefined);
  const stateDir = mkdtempSync(join(tmpdir(), "misp-enrichd-demo-"));
  let stack: DemoStack | undefined;
  let daemon: Daemon | undefined;
  try {
    progress("starting the MISP stand-in, the ZeroMQ publisher and the module server on 127.0.0.1 …");
    stack = await startDemoStack({ ...(options.standInModules ? { standInModules: true } : {}) });
    const logs = createLogTap({ secrets: [DEMO_KEY], ...(options.forwardLogs ? { forward: options.forwardLogs } : {}) });
    daemon = await createDaemon({ config: demoConfig(stack, stateDir), logger: logs.logger });
    const { pipeline, metrics } = daemon;
    const frames = new Map<string, number>();
    const running = pipeline.run(countFrames(daemon.createBus(), frames));
    running.catch(() => undefined);

    // ZeroMQ's slow joiner: a frame published before the subscription is in place is lost.
    progress("waiting for the daemon's subscription …");
    const publisher = stack.publisher;
    await until("the daemon hears the bus", deadline, async () => {
      await publisher.publish("misp_json_self", { status: "I'm doing science and I'm still alive.", uptime: 1 });
      return metrics.get("misp_enrichd_messages_total", { kind: "heartbeat" }) > 0;
    });

    const { event, samples } = seedSamples(stack.misp);
    progress(`publishing ${samples.length} sample messages …`);
    const sent = await publishSamples(publisher, samples);
    const subscribed = new Set(pipeline.topics.zmqSubscriptions(pipeline.wantedKinds).map((p) => p.trim()).filter((t) => t !== "misp_json_self"));
    const misp = stack.misp;
    // Settled: every frame on a subscribed topic (ours and MISP's echoes) received, nothing in flight.
    const expected = (): Map<string, number> => {
      const counts = new Map<string, number>();
      for (const topic of [...sent, ...misp.published.map((m) => m.topic)]) if (subscribed.has(topic)) counts.set(topic, (counts.get(topic) ?? 0) + 1);
      return counts;
    };
    const received = (topic: string): number => frames.get(topic) ?? 0;
    await until(
      "the pipeline and MISP's echoes settle",
      deadline,
      async () => {
        await misp.settled();
        await pipeline.idle();
        return [...expected()].every(([topic, n]) => received(topic) >= n) && metrics.get("misp_enrichd_in_flight") === 0;
      },
      () => [...expected()].map(([topic, n]) => `${topic} ${received(topic)} of ${n} received`).join(", ") + `, ${metrics.get("misp_enrichd_in_flight")} in flight`,
    );

    const runs = (outcome: string): number =>
      Object.entries(metrics.snapshot())
        .filter(([k]) => k.startsWith("misp_enrichd_handler_runs_total{") && k.includes(`outcome="${outcome}"`))
        .reduce((sum, [, v]) => sum + v, 0);
    const report = buildReport(
      { misp, logs, samples, subscribed, echoesIgnored: metrics.total("misp_enrichd_echoes_total"), echoesUnread: metrics.get("misp_enrichd_frames_dropped_total", { reason: "no-route" }), deadLettered: runs("dead-lettered"), spooled: runs("spooled") },
      { uuid: event.uuid, info: DEMO_EVENT_INFO },
    );
    const subs = daemon.subscribers.map((s) => `${s.name}${s.modules.length ? ` (${s.modules.map((m) => m.module).join(", ")})` : ""}`).join(", ");
    const setup = [
      `MISP stand-in      ${misp.url} (MISP 2.5.1 rules: refuses Tor v3 onion-address values; the key's organisation is the host organisation)`,
      `ZeroMQ publisher   ${publisher.url} (MISP's echoes of every write go out on it)`,
      `module server      ${stack.modules.describe}`,
      `daemon             subscribers ${subs}; state in a throwaway folder`,
    ].join("\n");
    return { ...report, setup, elapsedMs: Date.now() - started };
  } finally {
    await daemon?.close().catch(() => undefined);
    await stack?.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}
