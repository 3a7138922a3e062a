// vitest global setup: one real Kafka broker (KRaft, single node) for the whole run, shared by
// every test file and by every project that lists this setup (kafka, faults); each test uses its own
// topic and group. KAFKA_VERSION picks the line (default 4.4.0; CI's second leg runs 3.9.2).
// ENRICHD_TEST_KAFKA_BROKERS=host:port uses a broker you run yourself.

import type { TestProject } from "vitest/node";
import { startKafkaBroker, type KafkaBroker } from "@misp-enrichd/standins";

declare module "vitest" {
  export interface ProvidedContext {
    /** `127.0.0.1:PORT` of the run's broker. */
    kafkaBrokers: string;
  }
}

/**
 * vitest loads a global setup file once per project that lists it, all in its own process: the
 * broker is kept on globalThis so that the second project gets the first one's, and stopped when
 * the last project tears down.
 */
const SHARED = Symbol.for("misp-enrichd.test.kafka-broker");
interface Shared {
  readonly broker: Promise<KafkaBroker>;
  users: number;
}
const registry = globalThis as { [SHARED]?: Shared };

async function startShared(): Promise<KafkaBroker> {
  const started = Date.now();
  const broker = await startKafkaBroker();
  const rss = broker.rssBytes();
  process.stderr.write(
    `kafka ${broker.version} ready on ${broker.brokers} in ${((Date.now() - started) / 1000).toFixed(1)} s` +
      (rss === undefined ? "" : `, JVM RSS ${Math.round(rss / 2 ** 20)} MiB`) +
      "\n",
  );
  return broker;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Inherited by the test workers, which are forked after global setup.
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

  const external = process.env.ENRICHD_TEST_KAFKA_BROKERS;
  if (external !== undefined && external !== "") {
    project.provide("kafkaBrokers", external);
    return async () => {};
  }

  const shared = (registry[SHARED] ??= { broker: startShared(), users: 0 });
  shared.users += 1;
  const broker = await shared.broker;
  project.provide("kafkaBrokers", broker.brokers);
  return async () => {
    shared.users -= 1;
    if (shared.users > 0) return;
    delete registry[SHARED];
    await broker.destroy();
  };
}
