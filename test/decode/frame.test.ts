import { describe, it, expect } from "vitest";
import { MAX_TOPIC_BYTES, splitFrame } from "../../src/decode/frame.js";

describe("splitFrame", () => {
  it("splits on the first space and keeps later spaces in the JSON", () => {
    const split = splitFrame(Buffer.from('misp_json_self {"status": "still alive", "uptime": 10}'));
    expect(split?.topic).toBe("misp_json_self");
    expect(split?.json.toString()).toBe('{"status": "still alive", "uptime": 10}');
  });

  it("returns a view of the payload instead of a copy of the JSON bytes", () => {
    const payload = Buffer.from('misp_json_tag {"a":1}');
    const split = splitFrame(payload);
    expect(split?.json.buffer).toBe(payload.buffer);
    expect(split?.json.byteOffset).toBe(payload.byteOffset + "misp_json_tag ".length);
  });

  it("keeps an empty JSON part when the frame ends at the separator", () => {
    expect(splitFrame(Buffer.from("misp_json_tag "))?.json.length).toBe(0);
  });

  it("returns null for a frame without a space, an empty frame and an empty topic", () => {
    expect(splitFrame(Buffer.from('misp_json_tag{"a":1}'))).toBeNull();
    expect(splitFrame(Buffer.alloc(0))).toBeNull();
    expect(splitFrame(Buffer.from(' {"a":1}'))).toBeNull();
  });

  it("does not look for the separator past the longest plausible topic", () => {
    const longTopic = "x".repeat(MAX_TOPIC_BYTES + 1);
    expect(splitFrame(Buffer.from(`${longTopic} {}`))).toBeNull();
    expect(splitFrame(Buffer.from(`${"x".repeat(MAX_TOPIC_BYTES)} {}`))?.topic).toHaveLength(MAX_TOPIC_BYTES);
  });
});
