// The replay transport (src/bus/replay.ts): recorded lines become frames, in order, with positions.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it, vi } from "vitest";
import type { FrameSink } from "../../src/bus/types.js";
import { createReplayBus } from "../../src/bus/replay.js";
import { createTopicTable } from "../../src/decode/topic.js";
import type { BusFrame, MessageKind } from "../../src/decode/types.js";
import { createLogger } from "../../src/log.js";
import { tempDir } from "./cli.js";

const logger = createLogger({ level: "silent" });
const table = createTopicTable();
const ALL = new Set<MessageKind>(["attribute", "tag", "heartbeat"]);

function collect(): { frames: BusFrame[]; sink: FrameSink } {
  const frames: BusFrame[] = [];
  return {
    frames,
    sink: async (frame) => {
      frames.push(frame);
      return { done: Promise.resolve() };
    },
  };
}

describe("replay bus", () => {
  it("turns each `topic json` line into one frame with its file position, skipping blanks and # notes", async () => {
    const file = join(tempDir(), "recorded.txt");
    writeFileSync(file, ['misp_json_self {"status":"ok","uptime":3}', "#    ✔ geolocation on[0]: would run", "", "misp_json_attribute {bad\r", 'misp_attribute {"Attribute":{}}'].join("\n") + "\n");
    const bus = createReplayBus({ file, logger });
    const { frames, sink } = collect();
    await bus.run(ALL, sink, new AbortController().signal);

    expect(bus.transport).toBe("replay");
    expect(frames.map((f) => [f.topic, f.payload.toString(), f.transport, f.position])).toEqual([
      ["misp_json_self", 'misp_json_self {"status":"ok","uptime":3}', "replay", "recorded.txt:1"],
      ["misp_json_attribute", "misp_json_attribute {bad", "replay", "recorded.txt:4"],
      ["misp_attribute", 'misp_attribute {"Attribute":{}}', "replay", "recorded.txt:5"],
    ]);
    expect(bus.stats()).toEqual({ frames: 3, skipped: 0 });
  });

  it("leaves out kinds not subscribed, as a ZeroMQ subscription would, but passes unknown topics to the decoder", async () => {
    const input = new PassThrough();
    input.end(['misp_json_tag {"Tag":{}}', 'misp_json_attribute {"Attribute":{}}', "misp_json_nonsense {}", 'misp_json_self {"uptime":1}'].join("\n"));
    const bus = createReplayBus({ file: "live", input, kindOf: table.kindOf, logger });
    const { frames, sink } = collect();
    await bus.run(new Set<MessageKind>(["attribute"]), sink, new AbortController().signal);
    expect(frames.map((f) => f.topic)).toEqual(["misp_json_attribute", "misp_json_nonsense", "misp_json_self"]);
    expect(bus.stats()).toEqual({ frames: 3, skipped: 1 });
  });

  it("resolves only once every frame's work is done", async () => {
    const input = new PassThrough();
    input.end('misp_json_attribute {"a":1}\nmisp_json_attribute {"a":2}\n');
    const bus = createReplayBus({ file: "live", input, logger });
    const finish: (() => void)[] = [];
    const sink: FrameSink = async () => ({ done: new Promise<void>((resolve) => finish.push(resolve)) });
    let ended = false;
    const running = bus.run(ALL, sink, new AbortController().signal).then(() => (ended = true));
    await vi.waitFor(() => expect(finish).toHaveLength(2));
    // Both frames handed over and the input ended: still running while work is pending.
    await new Promise((resolve) => setImmediate(resolve));
    expect(ended).toBe(false);
    finish[0]?.();
    await new Promise((resolve) => setImmediate(resolve));
    expect(ended).toBe(false);
    finish[1]?.();
    await running;
    expect(ended).toBe(true);
  });

  it("stops reading on close() and returns the same promise every time", async () => {
    const input = new PassThrough();
    input.write('misp_json_attribute {"a":1}\n');
    const bus = createReplayBus({ file: "live", input, logger });
    const { frames, sink } = collect();
    const running = bus.run(ALL, sink, new AbortController().signal);
    await vi.waitFor(() => expect(frames).toHaveLength(1));
    expect(bus.status().connected).toBe(true);
    const closing = bus.close();
    expect(bus.close()).toBe(closing);
    await closing;
    await running;
    input.write('misp_json_attribute {"a":2}\n');
    expect(frames).toHaveLength(1);
    expect(bus.status().connected).toBe(false);
  });

  it("fails with ENRICHD_BUS_FAILED when the file cannot be read", async () => {
    const bus = createReplayBus({ file: join(tempDir(), "missing.txt"), logger });
    await expect(bus.run(ALL, collect().sink, new AbortController().signal)).rejects.toMatchObject({ code: "ENRICHD_BUS_FAILED" });
  });
});
