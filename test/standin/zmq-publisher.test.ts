import { describe, expect, it, vi } from "vitest";
import { publisher, subscribe } from "./zmq-helpers.js";

describe("ZeroMQ publisher stand-in", () => {
  it("binds on 127.0.0.1 with an ephemeral port", async () => {
    const p = await publisher();
    expect(p.url).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    expect(p.url).not.toBe("tcp://127.0.0.1:0");
  });

  it("sends each message as one frame, topic and JSON split by the first space, in order", async () => {
    const p = await publisher();
    const received = await subscribe(p);
    await p.publish("misp_json_attribute", { Attribute: { value: "a b" }, action: "add" });
    await p.publish("misp_json_tag", '{"Tag":{"name":"x"}}');
    await vi.waitFor(() => expect(received.frames).toHaveLength(2));
    expect(received.frames.map((f) => f.length)).toEqual([1, 1]);
    expect(received.frames.map((f) => f[0]?.toString())).toEqual([
      'misp_json_attribute {"Attribute":{"value":"a b"},"action":"add"}',
      'misp_json_tag {"Tag":{"name":"x"}}',
    ]);
  });

  it("sends raw frames as given, and keeps the order of concurrent sends", async () => {
    const p = await publisher();
    const received = await subscribe(p);
    await Promise.all([p.publishRaw("no-separator"), p.publishRaw(Buffer.from("misp_json {broken")), p.publish("misp_json_self", { uptime: 1 })]);
    await vi.waitFor(() => expect(received.frames).toHaveLength(3));
    expect(received.frames.map((f) => f[0]?.toString())).toEqual(["no-separator", "misp_json {broken", 'misp_json_self {"uptime":1}']);
  });

  it("closes idempotently and refuses to send afterwards", async () => {
    const p = await publisher();
    const first = p.close();
    expect(p.close()).toBe(first);
    await first;
    await expect(p.publish("misp_json_self", {})).rejects.toThrow("closed");
  });
});
