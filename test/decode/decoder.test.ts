import { describe, it, expect } from "vitest";
import { createDecoder, type DecodeOutcome } from "../../src/decode/decoder.js";
import { createTopicTable } from "../../src/decode/topic.js";
import { MESSAGE_KINDS, type BusFrame, type MessageKind } from "../../src/decode/types.js";
import { fixtureText, kafkaFrame, zmqFrame } from "./helpers.js";

const table = createTopicTable({});
const everything = createDecoder({ table, wanted: new Set(MESSAGE_KINDS), maxFrameBytes: 64 * 1024 });
const raw = (payload: string | Buffer, transport: BusFrame["transport"] = "zmq"): BusFrame => ({
  topic: "",
  payload: typeof payload === "string" ? Buffer.from(payload) : payload,
  transport,
  receivedAt: 1,
});

function errorOf(outcome: DecodeOutcome): { code: string; topic: string; details: Record<string, unknown> } {
  if (outcome.status !== "error") throw new Error(`expected an error, got ${outcome.status}`);
  return { code: outcome.error.code, topic: outcome.topic, details: outcome.error.details };
}

const heartbeat = 'misp_json_self {"status":"And believe me I am still alive.","uptime":20}';

describe("createDecoder", () => {
  it("decodes a wanted frame into a message carrying the frame's transport facts", () => {
    const frame = { ...zmqFrame("misp_json_self", '{"status":"s","uptime":20}', "replay"), position: "replay.jsonl:3" };
    const outcome = everything.decodeFrame(frame);
    expect(outcome.status).toBe("message");
    if (outcome.status !== "message") return;
    expect(outcome.message).toMatchObject({ kind: "heartbeat", topic: "misp_json_self", transport: "replay", receivedAt: frame.receivedAt, position: "replay.jsonl:3" });
  });

  it("reports a frame without a separator as malformed", () => {
    expect(errorOf(everything.decodeFrame(raw('misp_json_self{"uptime":1}'))).code).toBe("ENRICHD_FRAME_MALFORMED");
  });

  it("reports an empty frame as malformed, on ZeroMQ and on Kafka", () => {
    expect(errorOf(everything.decodeFrame(raw(""))).code).toBe("ENRICHD_FRAME_MALFORMED");
    expect(errorOf(everything.decodeFrame(kafkaFrame("misp_attribute", ""))).code).toBe("ENRICHD_FRAME_MALFORMED");
  });

  it("reports bad JSON as malformed with the topic and at most 200 characters of it", () => {
    const junk = `{"Attribute": ${"x".repeat(500)}`;
    const error = errorOf(everything.decodeFrame(raw(`misp_json_attribute ${junk}`)));
    expect(error).toMatchObject({ code: "ENRICHD_FRAME_MALFORMED", topic: "misp_json_attribute" });
    expect(error.details).toEqual({ topic: "misp_json_attribute", preview: junk.slice(0, 200) });
  });

  it("reports a JSON array or scalar payload as malformed", () => {
    expect(errorOf(everything.decodeFrame(raw("misp_json_attribute [1,2]"))).code).toBe("ENRICHD_FRAME_MALFORMED");
    expect(errorOf(everything.decodeFrame(raw("misp_json_tag null"))).code).toBe("ENRICHD_FRAME_MALFORMED");
    expect(errorOf(everything.decodeFrame(kafkaFrame("misp_tag", '"tag"'))).code).toBe("ENRICHD_FRAME_MALFORMED");
  });

  it("accepts a JSON array from a workflow push", () => {
    expect(everything.decodeFrame(raw('misp_json_workflow ["198.51.100.23"]')).status).toBe("message");
  });

  it("reports an unknown topic, a prefix of a known one included", () => {
    expect(errorOf(everything.decodeFrame(raw("misp_json_galaxy {}")))).toMatchObject({ code: "ENRICHD_TOPIC_UNKNOWN", topic: "misp_json_galaxy" });
    expect(errorOf(everything.decodeFrame(raw("misp_json_obj {}"))).code).toBe("ENRICHD_TOPIC_UNKNOWN");
    expect(errorOf(everything.decodeFrame(kafkaFrame("misp_galaxy", "{}"))).code).toBe("ENRICHD_TOPIC_UNKNOWN");
  });

  it("reports a payload missing a required field with the field's path", () => {
    const error = errorOf(everything.decodeFrame(raw('misp_json_object {"Object":{"id":"77"},"action":"add"}')));
    expect(error).toMatchObject({ code: "ENRICHD_MESSAGE_INVALID", topic: "misp_json_object", details: { field: "Object.uuid" } });
  });

  it("drops a frame over maxFrameBytes unparsed, naming its topic and kind", () => {
    const small = createDecoder({ table, wanted: new Set(MESSAGE_KINDS), maxFrameBytes: 32 });
    const big = `misp_json_attribute {"Attribute":${"[".repeat(40)}`;
    expect(small.decodeFrame(raw(big))).toEqual({ status: "dropped", reason: "too-large", topic: "misp_json_attribute", kind: "attribute" });
    expect(small.decodeFrame(kafkaFrame("misp_tag", " ".repeat(33)))).toEqual({ status: "dropped", reason: "too-large", topic: "misp_tag", kind: "tag" });
    expect(small.decodeFrame(raw(heartbeat.slice(0, 32))).status).toBe("error");
  });

  it("drops an unwanted topic without parsing it: invalid JSON there is a drop, not an error", () => {
    const attributesOnly = createDecoder({ table, wanted: new Set<MessageKind>(["attribute"]), maxFrameBytes: 1 << 20 });
    expect(attributesOnly.decodeFrame(raw("misp_json_tag {not json at all"))).toEqual({
      status: "dropped",
      reason: "unwanted-topic",
      topic: "misp_json_tag",
      kind: "tag",
    });
    expect(attributesOnly.decodeFrame(kafkaFrame("misp_object_reference", "{nope")).status).toBe("dropped");
    expect(attributesOnly.decodeFrame(raw("misp_json_attribute {not json")).status).toBe("error");
  });

  it("always wants the heartbeat", () => {
    const nothing = createDecoder({ table, wanted: new Set(), maxFrameBytes: 1 << 20 });
    expect(nothing.decodeFrame(raw(heartbeat)).status).toBe("message");
  });

  it("reads the topic from the frame on Kafka and from the payload on ZeroMQ and replay", () => {
    const json = fixtureText("zmq-misp_json_object-add.json");
    expect(everything.decodeFrame(kafkaFrame("misp_object", json)).status).toBe("message");
    // A Kafka value is bare JSON: a ZeroMQ-style topic prefix makes it invalid.
    expect(errorOf(everything.decodeFrame(kafkaFrame("misp_object", `misp_json_object ${json}`))).code).toBe("ENRICHD_FRAME_MALFORMED");
    expect(everything.decodeFrame({ ...raw(`misp_json_object ${json}`, "replay"), topic: "ignored" }).status).toBe("message");
  });

  it("never throws, whatever the bytes", () => {
    const frames = [
      Buffer.from([0xff, 0xfe, 0x20, 0x7b]),
      Buffer.from("misp_json_attribute {\"Attribute\":[],\"Event\":{},\"action\":\"add\"}"),
      Buffer.from('misp_json_attribute {"Attribute":{"id":{"nested":true}},"action":"add"}'),
      Buffer.from('misp_json_event {"Event":true,"action":"add"}'),
      Buffer.from('misp_json_sighting {"Sighting":{"type":"__proto__"},"action":"add"}'),
      Buffer.from('misp_json {"Event":{"Attribute":"x"}}'),
      Buffer.from("misp_json_self \u0000"),
    ];
    for (const payload of frames) {
      expect(["error", "dropped"]).toContain(everything.decodeFrame(raw(payload)).status);
    }
  });
});
