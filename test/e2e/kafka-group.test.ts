// Kafka's consumer group on a real broker: daemons sharing a multi-partition topic, bad records in
// the middle of a partition, and the broker going away and coming back under a running daemon.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { startMispStandin, startModulesStandin, type MispStandin, type ModulesStandin, type SeededAttribute } from "@misp-enrichd/standins";
import { createDaemon, type Daemon } from "../../src/daemon.js";
import type { Bus } from "../../src/bus/types.js";
import { loadConfig } from "../../src/config/load.js";
import { startHarness, TEST_KEY, type Harness } from "../support/harness.js";
import { startKafkaBroker } from "@misp-enrichd/standins";
import { startKafkaDriver, type KafkaDriver } from "../support/kafka-driver.js";
import { captureLogs } from "../support/log-capture.js";

const address = (i: number): string => `45.91.${Math.floor(i / 250)}.${(i % 250) + 1}`;

interface Shared {
  readonly driver: KafkaDriver;
  readonly misp: MispStandin;
  readonly modules: ModulesStandin;
  /** The driver's attribute topic, the one the daemons read. */
  readonly topic: string;
}

/** One MISP (echoing on Kafka) and one module server, shared by several daemons. */
async function startShared(partitions: number): Promise<Shared> {
  const driver = await startKafkaDriver({ partitions });
  const misp = await startMispStandin({ key: TEST_KEY, publish: (topic, payload) => driver.publish(topic, payload) });
  const modules = await startModulesStandin();
  onTestFinished(async () => {
    await Promise.allSettled([misp.close(), modules.close()]);
    await driver.close();
  });
  return { driver, misp, modules, topic: driver.kafkaTopicOf("misp_json_attribute") };
}

/** A daemon in this process, built as `misp-enrichd run` builds it, with a state folder of its own. */
async function startDaemon(shared: Shared, overrides: Readonly<Record<string, unknown>> = {}): Promise<{ daemon: Daemon; bus: Bus }> {
  const stateDir = mkdtempSync(join(tmpdir(), "enrichd-group-"));
  const path = join(stateDir, "config.yaml");
  writeFileSync(path, "{}\n");
  const logs = captureLogs({ level: "info", secrets: [TEST_KEY] });
  const config = loadConfig({
    path,
    env: { MISP_URL: shared.misp.url, MISP_KEY: TEST_KEY, MISP_MODULES_URL: shared.modules.url, STATE_DIRECTORY: stateDir },
    overrides: {
      "pipeline.retryInitialDelayMs": 5,
      "pipeline.retryMaxDelayMs": 20,
      "pipeline.retryAttempts": 3,
      "pipeline.drainTimeoutMs": 3_000,
      "backfill.enabled": false,
      ...shared.driver.overrides,
      ...overrides,
    },
  });
  const daemon = await createDaemon({ config, logger: logs.logger });
  const bus = daemon.createBus();
  daemon.pipeline.run(bus).catch(() => undefined);
  onTestFinished(async () => {
    await daemon.close();
    rmSync(stateDir, { recursive: true, force: true });
  });
  return { daemon, bus };
}

/** n ip-dst attributes over `events` events, produced round robin over the partitions. */
async function produceAttributes(shared: Shared, n: number, from = 0): Promise<SeededAttribute[]> {
  const events = Array.from({ length: 10 }, (_, i) => shared.misp.seedEvent({ info: `batch ${from} event ${i}` }));
  const sources = Array.from({ length: n }, (_, i) =>
    shared.misp.seedAttribute((events[i % events.length] as { uuid: string }).uuid, { type: "ip-dst", value: address(from + i) }),
  );
  for (const [i, s] of sources.entries()) await shared.driver.publish(s.message.topic, s.message.payload, { partition: i % shared.driver.partitions });
  return sources;
}

/** Until the group has committed every record on the topic, echoes of the daemons' writes included. */
async function drained(shared: Shared, timeoutMs = 30_000): Promise<void> {
  await vi.waitFor(
    async () => {
      await shared.misp.settled();
      const behind = await shared.driver.lag([shared.topic]);
      if (behind > 0) throw new Error(`${behind} records not committed yet`);
    },
    { timeout: timeoutMs, interval: 50 },
  );
}

const revoked = (daemon: Daemon): number => daemon.metrics.get("misp_enrichd_handler_runs_total", { subscriber: "geolocation", outcome: "revoked" });
const handled = (daemon: Daemon): number => daemon.metrics.get("misp_enrichd_handler_runs_total", { subscriber: "geolocation", outcome: "done" });

function expectOneEffectEach(shared: Shared, sources: readonly SeededAttribute[]): void {
  const { objects, references } = shared.misp.state;
  expect(objects).toHaveLength(sources.length);
  expect(new Set(objects.map((o) => o.comment)).size).toBe(sources.length);
  expect(references.map((r) => r.referencedUuid).sort()).toEqual(sources.map((s) => s.uuid).sort());
}

describe("kafka: daemons in one consumer group", () => {
  it("share the partitions of a 4-partition topic, and each message is handled once", async () => {
    const shared = await startShared(4);
    const a = await startDaemon(shared);
    const b = await startDaemon(shared);
    const group = await shared.driver.waitForGroup(2, [shared.topic]);
    expect(group.members.map((m) => m.assignment[shared.topic]?.length)).toEqual([2, 2]);

    const n = 60;
    const sources = await produceAttributes(shared, n);
    await drained(shared);

    console.log(`kafka group figures: N=${n} partitions=4 handled a=${handled(a.daemon)} b=${handled(b.daemon)} queries=${shared.modules.queryCount("mmdb_lookup")}`);
    expectOneEffectEach(shared, sources);
    // Two partitions each, 15 messages a partition: each daemon handled its own half, and only it.
    expect([handled(a.daemon), handled(b.daemon)]).toEqual([n / 2, n / 2]);
    expect(shared.modules.queryCount("mmdb_lookup")).toBe(n);
  });

  it("loses and duplicates nothing when a second daemon joins in the middle of a stream", async () => {
    const shared = await startShared(4);
    // A narrow pipeline, so that the first daemon still holds work when the second one joins.
    const narrow = { "pipeline.concurrency": 1 };
    const a = await startDaemon(shared, narrow);
    await shared.driver.waitForGroup(1, [shared.topic]);
    const n = 120;
    const first = await produceAttributes(shared, n / 2);
    await vi.waitFor(() => expect(shared.misp.state.objects.length).toBeGreaterThanOrEqual(10), { timeout: 20_000, interval: 5 });
    const joinedAt = performance.now();
    const b = await startDaemon(shared, narrow);
    await shared.driver.waitForGroup(2, [shared.topic]);
    const rebalanceMs = Math.round(performance.now() - joinedAt);
    const objectsWhenJoined = shared.misp.state.objects.length;
    const second = await produceAttributes(shared, n / 2, n / 2);
    await drained(shared);

    const runs = { a: handled(a.daemon), b: handled(b.daemon) };
    console.log(
      `kafka scale-out figures: N=${n} partitions=4 objects-when-b-joined=${objectsWhenJoined} handled a=${runs.a} b=${runs.b} ` +
        `handled-twice=${runs.a + runs.b - n} revoked=${revoked(a.daemon) + revoked(b.daemon)} rebalance-ms=${rebalanceMs}`,
    );
    expectOneEffectEach(shared, [...first, ...second]);
    // At least once, never lost. Work of a moved partition is revoked, queued or running (its new
    // owner does it); only a message finished but not yet committed at the rebalance instant is
    // done twice — a handful at most, where without revocation it was up to maxInFlight.
    expect(runs.a + runs.b).toBeGreaterThanOrEqual(n);
    expect(runs.a + runs.b - n).toBeLessThanOrEqual(4);
    expect(runs.b).toBeGreaterThan(0);
  });
});

describe("kafka: bad records", () => {
  it("counts invalid JSON, a tombstone and a record missing fields, skips them, and reads on in their partition", async () => {
    const driver = await startKafkaDriver({ partitions: 3 });
    const h = await startHarness({ bus: async () => driver });
    onTestFinished(() => h.stop());
    const topic = driver.kafkaTopicOf("misp_json_attribute");
    const event = h.misp.seedEvent();
    const source = h.misp.seedAttribute(event.uuid, { type: "ip-dst", value: "8.8.8.8" });
    const missingFields = { Attribute: { type: "ip-dst", value: "8.8.4.4", category: "Network activity" }, action: "add" };

    await driver.publishRaw("misp_json_attribute", '{"Attribute": {"type": "ip-dst", "val', { partition: 1 });
    await driver.publishRaw("misp_json_attribute", null, { partition: 1 });
    await driver.publishRaw("misp_json_attribute", JSON.stringify(missingFields), { partition: 1 });
    await driver.publish(source.message.topic, source.message.payload, { partition: 1 });

    await vi.waitFor(() => expect(h.misp.state.references).toHaveLength(1), { timeout: 20_000, interval: 20 });
    await vi.waitFor(async () => expect(await driver.lag([topic])).toBe(0), { timeout: 20_000, interval: 50 });

    expect(h.counter("misp_enrichd_decode_errors_total", { code: "ENRICHD_FRAME_MALFORMED" })).toBe(2);
    expect(h.counter("misp_enrichd_decode_errors_total", { code: "ENRICHD_MESSAGE_INVALID" })).toBe(1);
    expect(h.misp.state.objects).toHaveLength(1);
    expect(h.misp.state.references[0]?.referencedUuid).toBe(source.uuid);
    // Skipped for good: the partition's committed offset is past them, so they never come back.
    const [committed] = await driver.admin.fetchOffsets({ groupId: driver.groupId, topics: [topic] });
    const end = await driver.admin.fetchTopicOffsets(topic);
    expect(committed?.partitions.find((p) => p.partition === 1)?.offset).toBe(end.find((p) => p.partition === 1)?.high);
    expect(Number(end.find((p) => p.partition === 1)?.high)).toBeGreaterThanOrEqual(4);
    expect(h.logs.find("frame rejected").map((l) => l.position)).toEqual([`${topic}/1@0`, `${topic}/1@1`, `${topic}/1@2`]);
  });
});

describe("kafka: the broker restarts under a running daemon", () => {
  it("reconnects, handles everything produced after the restart, and redoes nothing committed before", { timeout: 120_000 }, async () => {
    // A broker of its own: stopping the shared one would pull it from under the other test files.
    const broker = await startKafkaBroker();
    let h: Harness | undefined;
    onTestFinished(async () => {
      await h?.stop(); // the daemon first, while the broker still answers
      await broker.destroy();
    });
    const driver = await startKafkaDriver({ brokers: broker.brokers });
    h = await startHarness({ bus: async () => driver });
    const topic = driver.kafkaTopicOf("misp_json_attribute");
    const event = h.misp.seedEvent();
    const seed = (i: number): SeededAttribute => h.misp.seedAttribute(event.uuid, { type: "ip-dst", value: address(500 + i) });

    const before = Array.from({ length: 10 }, (_, i) => seed(i));
    for (const s of before) await h.publish(s.message.topic, s.message.payload);
    await h.settle();
    await vi.waitFor(async () => expect(await driver.lag([topic])).toBe(0), { timeout: 10_000, interval: 50 });

    const stoppedAt = performance.now();
    await broker.stop();
    await broker.start();
    const backAt = performance.now();
    const after = Array.from({ length: 10 }, (_, i) => seed(10 + i));
    for (const s of after) await h.publish(s.message.topic, s.message.payload);
    await h.settle();
    await vi.waitFor(async () => expect(await driver.lag([topic])).toBe(0), { timeout: 30_000, interval: 50 });
    console.log(
      `kafka broker restart figures: before=${before.length} after=${after.length} outage-ms=${Math.round(backAt - stoppedAt)} ` +
        `handled-after-restart-ms=${Math.round(performance.now() - backAt)} rejoins=${h.logs.find("kafka group joined").length - 1}`,
    );

    expect(h.misp.state.objects).toHaveLength(20);
    expect(h.misp.state.references.map((r) => r.referencedUuid).sort()).toEqual([...before, ...after].map((s) => s.uuid).sort());
    expect(h.modules?.queryCount("mmdb_lookup")).toBe(20);
    expect(h.bus.status().connected).toBe(true);
  });
});
