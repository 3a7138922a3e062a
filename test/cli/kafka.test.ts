// `tail` and `check` on Kafka (the run's real broker): the configured topics, a consumer group of
// their own so the daemon's committed offsets are never touched, and `--json` lines `replay` reads back.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { committedOffsets, createTopic, kafkaBrokers, testAdmin, testProducer, uniqueName } from "../support/kafka.js";
import { closedPort, runCli, startPeers, tempDir, writeConfig } from "./cli.js";

function kafkaConfig(dir: string, brokers: string, groupId: string, topic: string): string {
  const lines = ["bus:", "  type: kafka", "  kafka:", `    brokers: ["${brokers}"]`, `    groupId: ${groupId}`];
  return writeConfig(dir, [...lines, `    topics: { attribute: ${topic} }`, ""].join("\n"));
}

describe("misp-enrichd tail and check on Kafka", () => {
  it("reads with a throwaway group, leaves the daemon's group alone, and records replayable lines", async () => {
    const brokers = kafkaBrokers();
    const admin = await testAdmin(brokers);
    const topic = uniqueName("misp_attribute");
    await createTopic(admin, topic, 1);
    const peers = await startPeers();
    const event = peers.misp.seedEvent();
    const source = peers.misp.seedAttribute(event.uuid, { type: "ip-dst", value: "8.8.8.8" });
    const producer = await testProducer(brokers);
    await producer.send({ topic, messages: [{ value: JSON.stringify(source.message.payload) }, { value: "{not json" }] });

    const groupId = uniqueName("enrichd-daemon");
    const dir = tempDir();
    const config = kafkaConfig(dir, brokers, groupId, topic);
    // Neither MISP's url nor its key: tail needs only the bus.
    const tail = await runCli(["tail", "--config", config, "--from-beginning", "--json", "--count", "2", "--topic", "attribute"], {});
    expect(tail.code, tail.stderr).toBe(0);
    expect(tail.stdout.trimEnd().split("\n")).toEqual([
      `${topic} ${JSON.stringify(source.message.payload)}`,
      `${topic} {not json`,
      `#    ✘ ENRICHD_FRAME_MALFORMED: payload on ${topic} is not JSON`,
    ]);
    expect(tail.stderr).toContain(`misp-enrichd tail: kafka`);

    expect(Object.values(await committedOffsets(admin, groupId, topic))).toEqual([-1]);
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
    expect(groups).not.toContain(groupId);
    expect(groups.some((g) => g.startsWith(`${groupId}-tail-`))).toBe(true);

    const recording = join(dir, "kafka.txt");
    writeFileSync(recording, tail.stdout);
    const replay = await runCli(["replay", recording, "--config", config, "--dry-run", "--log-level", "silent"], peers.env);
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stdout).toContain("  messages  1 decoded, 1 rejected (ENRICHD_FRAME_MALFORMED 1), 0 dropped unread\n");
    expect(replay.stdout).toContain("  handled   1 (geolocation 1)\n");
  });

  it("check: a joined consumer group is a live Kafka bus (MISP sends no heartbeat there); a dead broker fails", async () => {
    const brokers = kafkaBrokers();
    const admin = await testAdmin(brokers);
    const topic = uniqueName("misp_attribute");
    await createTopic(admin, topic, 1);
    const peers = await startPeers();
    const groupId = uniqueName("enrichd-daemon");
    const live = await runCli(["check", "--config", kafkaConfig(tempDir(), brokers, groupId, topic), "--bus-timeout", "20"], peers.env);
    expect(live.code, live.stdout).toBe(0);
    expect(live.stdout).toMatch(/\n✔ bus: kafka .*: consumer group joined after \d+\.\d s \(MISP sends no heartbeat on Kafka\)\n/);
    expect(Object.values(await committedOffsets(admin, groupId, topic))).toEqual([-1]);

    const dead = await runCli(["check", "--config", kafkaConfig(tempDir(), `127.0.0.1:${await closedPort()}`, groupId, topic), "--bus-timeout", "1"], peers.env);
    expect(dead.code).toBe(1);
    expect(dead.stdout).toMatch(/\n✘ bus: kafka .*(no broker connection and no consumer group within 1 s|Connection error).* — fix: check bus\.kafka\.brokers \(MISP_KAFKA_BROKERS\), TLS\/SASL settings, and that the brokers are up\n/);
  });
});
