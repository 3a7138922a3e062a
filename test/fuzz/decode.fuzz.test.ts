// Hostile frames through the frame split, the decoder (every topic, ZeroMQ and Kafka shapes) and the
// pipeline's frame sink: nothing throws, every frame becomes a message or a counted rejection, a
// rejection keeps only a bounded excerpt, and what decodes has the types the readers promise.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createDecoder } from "../../src/decode/decoder.js";
import { splitFrame, MAX_TOPIC_BYTES } from "../../src/decode/frame.js";
import { createTopicTable } from "../../src/decode/topic.js";
import { MESSAGE_KINDS, type BusFrame, type Transport } from "../../src/decode/types.js";
import { ERROR_CODES } from "../../src/errors.js";
import { createMetrics } from "../../src/metrics/metrics.js";
import { createFrameSink } from "../../src/pipeline/frame-sink.js";
import { createKeyedQueue } from "../../src/route/keyed-queue.js";
import { createRouter } from "../../src/route/router.js";
import type { FilterQuery } from "../../src/route/types.js";
import { captureLogs } from "../support/log-capture.js";
import { anyTopic, corruptBytes, fuzzParameters, hostileJson, mutatedPayload } from "./arbitraries.js";

const MAX_FRAME_BYTES = 64 * 1024;
const table = createTopicTable();
const decoder = createDecoder({ table, wanted: new Set(MESSAGE_KINDS), maxFrameBytes: MAX_FRAME_BYTES });
const REJECTIONS = new Set(["ENRICHD_FRAME_MALFORMED", "ENRICHD_TOPIC_UNKNOWN", "ENRICHD_MESSAGE_INVALID"]);

function frameOf(topic: string, payload: Buffer, transport: Transport): BusFrame {
  // Kafka carries the topic beside a bare value; ZeroMQ, replay and backfill frames carry it in front.
  return transport === "kafka"
    ? { topic, payload, transport, receivedAt: 0, position: `${topic}/0@1` }
    : { topic, payload: Buffer.concat([Buffer.from(`${topic} `, "latin1"), payload]), transport, receivedAt: 0 };
}

const transport = fc.constantFrom<Transport>("zmq", "kafka", "replay", "backfill");

/** A frame with a mutated recorded payload or hostile JSON, its bytes possibly corrupted, on any topic or its own. */
const hostileFrame: fc.Arbitrary<BusFrame> = fc
  .tuple(fc.oneof(mutatedPayload, fc.record({ topic: anyTopic, json: hostileJson })), fc.boolean(), transport)
  .chain(([{ topic, json }, ownTopic, via]) =>
    corruptBytes(Buffer.from(JSON.stringify(json) ?? "null", "utf8")).chain((bytes) =>
      (ownTopic ? fc.constant(topic) : anyTopic).map((t) => frameOf(t, bytes, via)),
    ),
  );

/** Bytes that were never JSON: random, or a topic-looking head before random bytes. */
const rawFrame: fc.Arbitrary<BusFrame> = fc
  .tuple(fc.uint8Array({ maxLength: 2_000 }), transport, anyTopic)
  .map(([bytes, via, topic]) => (via === "kafka" ? frameOf(topic, Buffer.from(bytes), via) : { topic, payload: Buffer.from(bytes), transport: via, receivedAt: 0 }));

function checkOutcome(frame: BusFrame): void {
  const outcome = decoder.decodeFrame(frame);
  if (outcome.status === "error") {
    expect(REJECTIONS.has(outcome.error.code)).toBe(true);
    expect(ERROR_CODES[outcome.error.code].retriable).toBe(false);
    const preview = outcome.error.details.preview;
    if (preview !== undefined) expect(String(preview).length).toBeLessThanOrEqual(200);
    // What a rejection keeps (for its log line) stays small however big the frame was.
    expect(JSON.stringify(outcome.error.details).length).toBeLessThan(2_000);
    expect(outcome.error.message.length).toBeLessThan(1_000);
    const cause = outcome.error.cause;
    if (cause instanceof Error) expect(cause.message.length).toBeLessThan(1_000);
    return;
  }
  if (outcome.status === "dropped") {
    expect(outcome.reason).toBe(frame.payload.length > MAX_FRAME_BYTES ? "too-large" : "unwanted-topic");
    return;
  }
  const { message } = outcome;
  expect(MESSAGE_KINDS).toContain(message.kind);
  expect(typeof message.action).toBe("string");
  if (message.kind === "attribute") {
    const a = message.attribute;
    for (const text of [a.uuid, a.type, a.value, a.category, a.comment]) expect(typeof text).toBe("string");
    for (const n of [a.id, a.eventId, a.objectId, a.timestamp, a.distribution]) expect(Number.isFinite(n)).toBe(true);
    for (const tag of a.tags) expect(typeof tag.name).toBe("string");
  }
  if (message.kind === "tag") expect(typeof message.tag.name).toBe("string");
}

describe("the frame split, fuzzed", () => {
  it("never throws, and what it splits is the frame again", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const payload = Buffer.from(bytes);
        const split = splitFrame(payload);
        if (split === null) return;
        expect(split.topic.length).toBeGreaterThan(0);
        expect(split.topic.length).toBeLessThanOrEqual(MAX_TOPIC_BYTES);
        expect(split.topic).not.toContain(" ");
        expect(Buffer.concat([Buffer.from(split.topic, "latin1"), Buffer.from(" "), split.json]).equals(payload)).toBe(true);
      }),
      fuzzParameters,
    );
  });
});

describe("the decoder, fuzzed with mutated MISP frames", () => {
  it("turns every hostile frame into a message, a drop or a decode error, on every topic and transport", () => {
    fc.assert(fc.property(hostileFrame, (frame) => checkOutcome(frame)), fuzzParameters);
  });

  it("does the same for bytes that were never JSON, invalid UTF-8 included", () => {
    fc.assert(fc.property(rawFrame, (frame) => checkOutcome(frame)), fuzzParameters);
  });

  it("drops a frame over bus.maxFrameBytes unread, whatever it holds", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), anyTopic, transport, (bytes, topic, via) => {
        const big = Buffer.concat([Buffer.from(bytes), Buffer.alloc(MAX_FRAME_BYTES, 0x7b)]);
        const outcome = decoder.decodeFrame(frameOf(topic, big, via));
        expect(outcome.status).toBe("dropped");
      }),
      { numRuns: Math.min(50, fuzzParameters.numRuns) },
    );
  });
});

describe("the frame sink, fuzzed", () => {
  it("counts every frame it is handed as a message or a rejection, and never throws", async () => {
    const metrics = createMetrics();
    const queries = MESSAGE_KINDS.filter((k) => k !== "heartbeat") as unknown as FilterQuery[];
    const router = createRouter([{ subscriber: "all", index: 0, queries, where: {}, handler: async () => undefined }]);
    const sink = createFrameSink({
      routing: { topics: table, router, decoder },
      echoGuard: { check: () => null },
      queue: createKeyedQueue({ concurrency: 4, maxPending: 10_000 }),
      run: async () => "done",
      metrics,
      log: captureLogs({ level: "info" }).logger,
      maxChainDepth: 8,
    });
    let frames = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(hostileFrame, rawFrame), async (frame) => {
        frames++;
        const { done } = await sink(frame);
        await done;
      }),
      fuzzParameters,
    );
    expect(metrics.total("misp_enrichd_frames_total")).toBe(frames);
    const outcomes = metrics.total("misp_enrichd_messages_total") + metrics.total("misp_enrichd_frames_dropped_total") + metrics.total("misp_enrichd_decode_errors_total");
    expect(outcomes).toBe(frames);
    // Labels stay the daemon's own words: a hostile topic shows up as "unknown", never as itself.
    for (const key of Object.keys(metrics.snapshot())) expect(key).toMatch(/^misp_enrichd_\w+(\{(\w+="[\w:.\-]*",?)*\})?$/);
  });
});
