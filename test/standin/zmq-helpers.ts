// A real ZeroMQ subscriber for tests of what the stand-ins publish.

import { onTestFinished, vi } from "vitest";
import { Subscriber } from "zeromq";
import { startZmqPublisher, type ZmqPublisher } from "@misp-enrichd/standins";

export interface Received {
  readonly frames: Buffer[][];
}

/** A SUB socket on every topic that keeps every message (as its list of frames) until the test ends. */
export async function subscribe(publisher: ZmqPublisher): Promise<Received> {
  const socket = new Subscriber({ linger: 0 });
  socket.connect(publisher.url);
  socket.subscribe();
  const received: Received = { frames: [] };
  const loop = (async () => {
    for await (const frames of socket) received.frames.push(frames);
  })().catch(() => undefined);
  onTestFinished(async () => {
    socket.close();
    await loop;
  });
  // ZeroMQ's slow joiner: probe until the subscription has reached the publisher, then forget the probes.
  await vi.waitFor(
    async () => {
      await publisher.publish("misp_json_self", { status: "probe", uptime: 0 });
      if (received.frames.length === 0) throw new Error("not subscribed yet");
    },
    { timeout: 5_000, interval: 20 },
  );
  await publisher.publish("probe_end", {});
  await vi.waitFor(() => {
    if (!received.frames.some((f) => f[0]?.toString().startsWith("probe_end"))) throw new Error("probes still in flight");
  });
  received.frames.length = 0;
  return received;
}

export async function publisher(): Promise<ZmqPublisher> {
  const p = await startZmqPublisher();
  onTestFinished(() => p.close());
  return p;
}
