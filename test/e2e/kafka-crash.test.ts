// The daemon as systemd runs it (a child process of the built CLI) on Kafka, killed in the middle of
// a stream: with kill -9 it loses nothing and, thanks to its deterministic UUIDs, duplicates
// nothing; with SIGTERM it finishes what it holds, commits, exits 0, and nothing is done twice.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { startMispStandin, startModulesStandin, type MispStandin, type ModulesStandin, type SeededAttribute } from "@misp-enrichd/standins";
import { startDaemonProcess, type DaemonProcess } from "../support/daemon-process.js";
import { TEST_KEY } from "../support/harness.js";
import { startKafkaDriver, type KafkaDriver } from "../support/kafka-driver.js";

const EVENTS = 20;

interface Stack {
  readonly driver: KafkaDriver;
  readonly misp: MispStandin;
  readonly modules: ModulesStandin;
  readonly sources: readonly SeededAttribute[];
  /** Starts `misp-enrichd run` on the stack, always with the same group and state folder. */
  start(name: string, config?: Readonly<Record<string, unknown>>): Promise<DaemonProcess>;
  /** Waits until the group has committed every record of the topics the daemon reads. */
  drained(daemon: DaemonProcess, timeoutMs: number): Promise<void>;
}

/** A distinct public address per message. */
const address = (i: number): string => `45.90.${Math.floor(i / 250)}.${(i % 250) + 1}`;

/** N ip-dst attributes over EVENTS events, seeded in the MISP stand-in and produced to Kafka as MISP would. */
async function startStack(n: number): Promise<Stack> {
  const driver = await startKafkaDriver({ partitions: 3 });
  const misp = await startMispStandin({ key: TEST_KEY, publish: (topic, payload) => driver.publish(topic, payload) });
  const modules = await startModulesStandin();
  const stateDir = mkdtempSync(join(tmpdir(), "enrichd-crash-"));
  const daemons: DaemonProcess[] = [];
  onTestFinished(async () => {
    await Promise.all(daemons.map((d) => d.kill("SIGKILL")));
    await Promise.allSettled([misp.close(), modules.close()]);
    await driver.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  const events = Array.from({ length: EVENTS }, (_, i) => misp.seedEvent({ info: `campaign ${i}` }));
  const sources = Array.from({ length: n }, (_, i) => misp.seedAttribute((events[i % EVENTS] as { uuid: string }).uuid, { type: "ip-dst", value: address(i) }));
  await Promise.all(sources.map((s) => driver.publish(s.message.topic, s.message.payload)));

  return {
    driver,
    misp,
    modules,
    sources,
    async start(name, config = {}) {
      const daemon = await startDaemonProcess({
        name,
        dir: stateDir,
        env: { MISP_URL: misp.url, MISP_KEY: TEST_KEY, MISP_MODULES_URL: modules.url, STATE_DIRECTORY: stateDir },
        config: {
          ...driver.overrides,
          "pipeline.retryInitialDelayMs": 5,
          "pipeline.retryMaxDelayMs": 20,
          "pipeline.retryAttempts": 3,
          "pipeline.spoolRetryMs": 3_600_000,
          "pipeline.drainTimeoutMs": 3_000,
          "backfill.enabled": false,
          "log.level": "info",
          ...config,
        },
      });
      daemons.push(daemon);
      return daemon;
    },
    async drained(daemon, timeoutMs) {
      const started = await daemon.waitForLog("kafka consumer started", undefined, timeoutMs);
      const topics = started.topics as string[];
      await vi.waitFor(
        async () => {
          await misp.settled(); // every echo of the writes answered so far is on Kafka
          const behind = await driver.lag(topics);
          if (behind > 0) throw new Error(`${behind} records not committed yet`);
        },
        { timeout: timeoutMs, interval: 100 },
      );
    },
  };
}

/** The value a seeded attribute carries, as the object comment repeats it. */
const valueOf = (source: SeededAttribute): string => String((source.message.payload.Attribute as Record<string, unknown>).value);

/** The source value an object's marker comment names: `misp-enrichd: geolocation via mmdb_lookup for <value>`. */
const valueInComment = (comment: string): string | undefined => / for (\S+)(?: — |$)/.exec(comment)?.[1];

/** What the stand-in holds, measured against the messages: one object and one reference per source. */
function effects(stack: Stack): { objects: number; lost: number; duplicatedObjects: number; references: number; duplicatedReferences: number } {
  const { objects, references } = stack.misp.state;
  const objectValue = new Map(objects.map((o) => [o.uuid, valueInComment(o.comment)]));
  // A message had its effect when an object for its value references its attribute.
  const lost = stack.sources.filter((s) => !references.some((r) => r.referencedUuid === s.uuid && objectValue.get(r.sourceUuid) === valueOf(s)));
  const referenceKeys = references.map((r) => `${r.sourceUuid}|${r.referencedUuid}|${r.relationshipType}`);
  return {
    objects: objects.length,
    lost: lost.length,
    duplicatedObjects: objects.length - new Set(objectValue.values()).size,
    references: references.length,
    duplicatedReferences: referenceKeys.length - new Set(referenceKeys).size,
  };
}

describe("kafka: the daemon as a child process, killed mid-stream", () => {
  it("gives each of 200 messages its effect exactly once across two kill -9 and restarts", { timeout: 120_000 }, async () => {
    const n = 200;
    const killAt = [0.2, 0.55];
    const stack = await startStack(n);
    const kills: { atObjects: number; restartedAt: number; resumeMs: number }[] = [];

    let daemon = await stack.start("daemon #1");
    for (const [i, fraction] of killAt.entries()) {
      await vi.waitFor(
        () => {
          if (stack.misp.state.objects.length < fraction * n) throw new Error(`${stack.misp.state.objects.length} objects so far`);
        },
        { timeout: 60_000, interval: 5 },
      );
      await daemon.kill("SIGKILL");
      const atObjects = stack.misp.state.objects.length;
      const restartedAt = performance.now();
      daemon = await stack.start(`daemon #${i + 2}`);
      // Resumed at its first write: its group join waits out the dead member's session first.
      await daemon.waitForLog("enrichment written", undefined, 60_000);
      kills.push({ atObjects, restartedAt, resumeMs: Math.round(performance.now() - restartedAt) });
    }
    await stack.drained(daemon, 60_000);
    const drainMs = Math.round(performance.now() - (kills.at(-1)?.restartedAt ?? 0));

    const found = effects(stack);
    const queries = stack.modules.queryCount("mmdb_lookup");
    const existed = stack.misp.calls.filter((c) => c.path.startsWith("/objects/add/") && c.status === 403).length;
    const ledgerSkips = await daemon.metric("misp_enrichd_handler_runs_total", { subscriber: "geolocation", outcome: "duplicate" });
    console.log(
      `kafka kill -9 figures: N=${n} partitions=${stack.driver.partitions} kills=${kills.length} killed-at-objects=${kills.map((k) => k.atObjects).join("/")} ` +
        `lost=${found.lost} duplicated-objects=${found.duplicatedObjects} duplicated-references=${found.duplicatedReferences} ` +
        `redelivered-queries=${queries - n} objects-already-there=${existed} ledger-skips-after-last-restart=${ledgerSkips} resume-ms=${kills.map((k) => k.resumeMs).join("/")} drain-after-last-restart-ms=${drainMs}`,
    );

    // Each kill landed in the middle of the stream.
    for (const kill of kills) expect(kill.atObjects).toBeLessThan(n);
    expect(found).toEqual({ objects: n, lost: 0, duplicatedObjects: 0, references: n, duplicatedReferences: 0 });
    expect(new Set(stack.misp.state.objects.map((o) => o.name))).toEqual(new Set(["geolocation"]));
    // The kills caught work in flight: those messages came again and were looked up again, and the
    // exactly-once effect above held for them too.
    expect(queries).toBeGreaterThan(n);
  });

  it("on SIGTERM finishes its in-flight work, commits, leaves the group and exits 0; the restart does nothing twice", { timeout: 60_000 }, async () => {
    const n = 120;
    const stack = await startStack(n);
    // A small pipeline, so that intake blocks and part of the stream is still unread at the signal.
    const small = { "pipeline.concurrency": 4, "pipeline.maxPending": 8 };
    const first = await stack.start("daemon #1", small);
    const { topics } = await first.waitForLog("kafka consumer started");
    await vi.waitFor(
      () => {
        if (stack.misp.state.objects.length < 0.3 * n) throw new Error(`${stack.misp.state.objects.length} objects so far`);
      },
      { timeout: 30_000, interval: 5 },
    );
    const stoppedAt = performance.now();
    const exit = await first.kill("SIGTERM");
    const stopMs = Math.round(performance.now() - stoppedAt);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(first.lines().filter((l) => l.msg === "kafka messages still in flight; they will be redelivered")).toEqual([]);
    // It left the group, so the next member need not wait out its session.
    expect(await stack.driver.group()).toMatchObject({ state: "Empty", members: [] });
    const atStop = { objects: stack.misp.state.objects.length, queries: stack.modules.queryCount("mmdb_lookup"), lag: await stack.driver.lag(topics as string[]) };
    // Stopped in the middle: work was left for the next daemon.
    expect(atStop.objects).toBeLessThan(n);
    expect(atStop.lag).toBeGreaterThan(0);

    const restartedAt = performance.now();
    const second = await stack.start("daemon #2", small);
    await stack.drained(second, 30_000);
    const drainMs = Math.round(performance.now() - restartedAt);

    const queried = stack.modules.requests.map((r) => (r.attribute as { uuid?: string } | undefined)?.uuid);
    const existed = stack.misp.calls.filter((c) => c.path.startsWith("/objects/add/") && c.status === 403).length;
    const runs = async (outcome: string): Promise<number> => second.metric("misp_enrichd_handler_runs_total", { subscriber: "geolocation", outcome });
    const [secondDone, secondRedelivered] = [await runs("done"), await runs("duplicate")];
    console.log(
      `kafka SIGTERM figures: N=${n} stopped-at-objects=${atStop.objects} uncommitted-records-at-stop=${atStop.lag} stop-ms=${stopMs} ` +
        `queries=${queried.length} handled-after-restart=${secondDone} redelivered-after-restart=${secondRedelivered} objects-already-there=${existed} drain-after-restart-ms=${drainMs}`,
    );
    expect(effects(stack)).toEqual({ objects: n, lost: 0, duplicatedObjects: 0, references: n, duplicatedReferences: 0 });
    // Committed work is not redone: every attribute was looked up once, none was written twice.
    expect(queried).toHaveLength(n);
    expect(new Set(queried).size).toBe(n);
    expect(existed).toBe(0);
    // ...and not even delivered again (the handled-ledger would hide a redelivery from the counts above).
    expect(secondRedelivered).toBe(0);
    expect(secondDone).toBe(n - atStop.queries);
  });
});
