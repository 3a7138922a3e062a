import { afterEach, describe, expect, it, vi } from "vitest";
import { Publisher, Reply } from "zeromq";
import { createZmqBus } from "../../src/bus/zmq.js";
import type { Bus } from "../../src/bus/types.js";
import { createTopicTable } from "../../src/decode/topic.js";
import type { BusFrame, MessageKind } from "../../src/decode/types.js";
import { createMetrics } from "../../src/metrics/metrics.js";
import { captureLogs } from "../support/log-capture.js";

const table = createTopicTable();
const WANT: ReadonlySet<MessageKind> = new Set(["attribute"]);

interface Running {
  readonly bus: Bus;
  readonly frames: BusFrame[];
  readonly stop: () => Promise<void>;
}

function runBus(options: Partial<Parameters<typeof createZmqBus>[0]> & { url: string }, logs = captureLogs()): Running {
  const bus = createZmqBus({ silenceWarnMs: 60_000, subscriptions: (k) => table.zmqSubscriptions(k), logger: logs.logger, ...options });
  const frames: BusFrame[] = [];
  const controller = new AbortController();
  const running = bus.run(WANT, async (frame) => {
    frames.push(frame);
    return { done: Promise.resolve() };
  }, controller.signal);
  return {
    bus,
    frames,
    stop: async () => {
      controller.abort();
      await bus.close();
      await running.catch(() => undefined);
    },
  };
}

async function bindPublisher(options: { plain?: boolean } = {}): Promise<{ pub: Publisher; url: string }> {
  const pub = new Publisher(options.plain ? { plainServer: true, zapDomain: "misp" } : {});
  await pub.bind("tcp://127.0.0.1:*");
  return { pub, url: pub.lastEndpoint as string };
}

/** A ZAP handler (RFC 27) accepting one PLAIN user, as mispzmq.py's ThreadAuthenticator does. */
async function startZap(user: string, password: string): Promise<{ requests: string[]; close: () => void }> {
  const zap = new Reply();
  await zap.bind("inproc://zeromq.zap.01");
  const requests: string[] = [];
  void (async () => {
    for await (const frames of zap) {
      const [version, id, , , , mechanism, u, p] = frames.map((f) => f.toString());
      requests.push(`${mechanism}:${u}`);
      const ok = mechanism === "PLAIN" && u === user && p === password;
      await zap.send([version ?? "1.0", id ?? "", ok ? "200" : "400", ok ? "OK" : "bad credentials", ok ? (u ?? "") : "", ""]);
    }
  })().catch(() => undefined);
  return { requests, close: () => zap.close() };
}

describe("ZeroMQ bus", () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it("receives MISP's single-frame messages of subscribed topics only, and matches topics exactly", async () => {
    const { pub, url } = await bindPublisher();
    cleanups.push(() => pub.close());
    const run = runBus({ url });
    cleanups.push(run.stop);
    await vi.waitFor(async () => {
      await pub.send('misp_json_self {"status":"alive","uptime":1}');
      if (run.frames.length === 0) throw new Error("not joined yet");
    });
    const before = run.frames.length;
    await pub.send('misp_json_object {"Object":{}}');
    await pub.send('misp_json_attribute_x {"x":1}');
    await pub.send('misp_json_attribute {"Attribute":{}}');
    await vi.waitFor(() => expect(run.frames.slice(before).map((f) => f.topic)).toContain("misp_json_attribute"));
    const topics = run.frames.slice(before).map((f) => f.topic);
    expect(topics).not.toContain("misp_json_object");
    expect(topics).not.toContain("misp_json_attribute_x");
    const frame = run.frames.find((f) => f.topic === "misp_json_attribute");
    expect(frame?.payload.toString()).toBe('misp_json_attribute {"Attribute":{}}');
    expect(frame?.transport).toBe("zmq");
  });

  it("logs in with PLAIN credentials, and receives nothing with the wrong password", async () => {
    const zap = await startZap("misp-enrichd", "s3cret-zmq");
    cleanups.push(zap.close);
    const { pub, url } = await bindPublisher({ plain: true });
    cleanups.push(() => pub.close());

    const logs = captureLogs({ secrets: ["s3cret-zmq", "wrong-pass"] });
    const good = runBus({ url, username: "misp-enrichd", password: "s3cret-zmq" }, logs);
    cleanups.push(good.stop);
    const bad = runBus({ url, username: "misp-enrichd", password: "wrong-pass" }, logs);
    cleanups.push(bad.stop);
    await vi.waitFor(async () => {
      await pub.send('misp_json_attribute {"n":1}');
      if (good.frames.length === 0) throw new Error("not joined yet");
    });
    expect(zap.requests).toContain("PLAIN:misp-enrichd");
    expect(bad.frames).toHaveLength(0);
    expect(good.bus.describe).toBe(`zmq ${url} (PLAIN user misp-enrichd)`);
    await vi.waitFor(() => expect(logs.find("bus handshake failed").length).toBeGreaterThan(0));
    expect(logs.text()).not.toContain("s3cret-zmq");
    expect(logs.text()).not.toContain("wrong-pass");
  });

  it("warns once when neither a message nor a heartbeat arrives in time, and says when traffic resumes", async () => {
    const { pub, url } = await bindPublisher();
    cleanups.push(() => pub.close());
    const logs = captureLogs();
    const metrics = createMetrics();
    const resumed: string[] = [];
    const run = runBus({ url, silenceWarnMs: 150, metrics, onResume: (reason) => resumed.push(reason) }, logs);
    cleanups.push(run.stop);
    await vi.waitFor(() => expect(logs.find("bus silent")).toHaveLength(1), { timeout: 5_000 });
    expect(metrics.get("misp_enrichd_bus_silence_warnings_total", { transport: "zmq" })).toBe(1);
    await vi.waitFor(
      async () => {
        await pub.send('misp_json_self {"status":"alive","uptime":20}');
        expect(logs.find("bus traffic resumed")).toHaveLength(1);
      },
      { timeout: 5_000, interval: 30 },
    );
    expect(resumed).toEqual(["bus-resumed"]);
    expect(logs.find("bus silent")).toHaveLength(1);
  });
});
