// The Kafka bus driver: the MISP Kafka publisher stand-in (packages/standins, kafka-publisher.ts)
// on the run's broker, with the group views and waits a test needs.

import { AssignerProtocol } from "kafkajs";
import { vi } from "vitest";
import { startKafkaPublisher, type KafkaPublisher } from "@misp-enrichd/standins";
import type { Daemon } from "../../src/daemon.js";
import type { BusDriver } from "./harness.js";
import { kafkaBrokers, uniqueName } from "./kafka.js";

export { phpJsonEncode, type PublishOptions } from "@misp-enrichd/standins";

export interface KafkaDriverOptions {
  /** Partitions of every topic. Default 3. */
  readonly partitions?: number;
  /** Default: the run's shared broker. A test that stops its broker passes its own. */
  readonly brokers?: string;
}

/** What the group looks like from the coordinator: members and the partitions each one owns. */
export interface GroupView {
  readonly state: string;
  readonly members: readonly { readonly clientId: string; readonly assignment: Readonly<Record<string, readonly number[]>> }[];
}

/** MISP's Kafka producer (its topics, admin, publish and flush) with the group views a test needs. */
export interface KafkaDriver extends BusDriver, Pick<KafkaPublisher, "brokers" | "partitions" | "topics" | "admin" | "flush" | "kafkaTopicOf"> {
  readonly transport: "kafka";
  readonly groupId: string;
  readonly publish: KafkaPublisher["publish"];
  readonly publishRaw: KafkaPublisher["publishRaw"];
  group(): Promise<GroupView>;
  /** Records of `topics` not yet committed (after a flush) by the group (end offset minus committed offset, summed). */
  lag(topics: readonly string[]): Promise<number>;
  /** Resolves once the group is stable with `members` members that own every partition of `topics`. */
  waitForGroup(members: number, topics: readonly string[], timeoutMs?: number): Promise<GroupView>;
}

/** A factory per suite; each call makes fresh topics and a fresh group on the broker. */
export function createKafkaDriver(options: KafkaDriverOptions = {}): () => Promise<KafkaDriver> {
  return () => startKafkaDriver(options);
}

export async function startKafkaDriver(options: KafkaDriverOptions = {}): Promise<KafkaDriver> {
  const brokers = options.brokers ?? kafkaBrokers();
  const partitions = options.partitions ?? 3;
  const unique = uniqueName("e2e");
  const groupId = `${unique}-group`;
  const publisher = await startKafkaPublisher({ brokers, partitions, prefix: unique });
  const { admin, topics } = publisher;

  const group = async (): Promise<GroupView> => {
    const { groups } = await admin.describeGroups([groupId]);
    const described = groups[0];
    return {
      state: described?.state ?? "Dead",
      members: (described?.members ?? []).map((m) => ({
        clientId: m.clientId,
        assignment: m.memberAssignment.length === 0 ? {} : (AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment ?? {}),
      })),
    };
  };

  const waitForGroup = (members: number, wanted: readonly string[], timeoutMs = 20_000): Promise<GroupView> =>
    vi.waitFor(
      async () => {
        const view = await group();
        const owned = new Set(view.members.flatMap((m) => Object.entries(m.assignment).flatMap(([t, ps]) => ps.map((p) => `${t}/${p}`))));
        const missing = wanted.flatMap((t) => Array.from({ length: partitions }, (_, p) => `${t}/${p}`)).filter((tp) => !owned.has(tp));
        if (view.state !== "Stable" || view.members.length !== members || missing.length > 0) {
          throw new Error(`group ${groupId} is ${view.state} with ${view.members.length} of ${members} members; unowned: ${missing.join(", ") || "none"}`);
        }
        return view;
      },
      { timeout: timeoutMs, interval: 50 },
    );

  return {
    transport: "kafka",
    brokers,
    groupId,
    partitions,
    topics,
    admin,
    overrides: {
      "bus.type": "kafka",
      "bus.kafka": {
        brokers: [brokers],
        clientId: "misp-enrichd-e2e",
        groupId,
        fromBeginning: true,
        topics,
        // The broker's minimum: a dead member is noticed in 6 s.
        sessionTimeoutMs: 6_000,
        heartbeatIntervalMs: 500,
      },
    },
    kafkaTopicOf: publisher.kafkaTopicOf,
    publish: publisher.publish,
    publishRaw: publisher.publishRaw,
    flush: publisher.flush,
    async ready(daemon: Daemon) {
      // No probe message (settle() counts frames by kind): watch the group from the coordinator instead.
      // The topics exist and the group starts from the beginning, so nothing sent before this is missed.
      const wanted = [...daemon.pipeline.wantedKinds].flatMap((kind) => topics[kind] ?? []);
      await waitForGroup(1, wanted);
    },
    group,
    waitForGroup,
    lag: (wanted) => publisher.lag(groupId, wanted),
    close: () => publisher.close(groupId),
  };
}
