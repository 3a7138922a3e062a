// The ZeroMQ bus driver: a real PUB socket on 127.0.0.1 that sends MISP's single `topic json` frames.

import { vi } from "vitest";
import type { Daemon } from "../../src/daemon.js";
import { startZmqPublisher } from "@misp-enrichd/standins";
import type { BusDriver } from "./harness.js";

export async function createZmqDriver(): Promise<BusDriver> {
  const publisher = await startZmqPublisher();
  return {
    transport: "zmq",
    overrides: { "bus.type": "zmq", "bus.zmq.url": publisher.url },
    publish: (topic, payload) => publisher.publish(topic, payload),
    publishRaw: (topic, payload) =>
      publisher.publishRaw(Buffer.concat([Buffer.from(topic ? `${topic} ` : ""), Buffer.isBuffer(payload) ? payload : Buffer.from(payload)])),
    async ready(daemon: Daemon) {
      // The slow joiner: publish heartbeats until the daemon has received one.
      await vi.waitFor(
        async () => {
          await publisher.publish("misp_json_self", { status: "I'm doing science and I'm still alive.", uptime: 1 });
          if (daemon.metrics.get("misp_enrichd_messages_total", { kind: "heartbeat" }) === 0) throw new Error("daemon not subscribed yet");
        },
        { timeout: 10_000, interval: 50 },
      );
    },
    close: () => publisher.close(),
  };
}
