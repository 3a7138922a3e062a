// Shared helpers for decode tests: fixtures from test/fixtures/decode and PHP-style encodings.

import { readFileSync } from "node:fs";
import type { BusFrame, Transport } from "../../src/decode/types.js";

export function fixtureText(name: string): string {
  return readFileSync(new URL(`../fixtures/decode/${name}`, import.meta.url), "utf8");
}

export function fixtureJson(name: string): Record<string, unknown> {
  return JSON.parse(fixtureText(name)) as Record<string, unknown>;
}

/** The wire corpus: one `<topic> <json>` ZeroMQ frame per line. */
export function wireFrames(): Buffer[] {
  return fixtureText("zmq-wire-frames.txt")
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => Buffer.from(line, "utf8"));
}

/** PHP json_encode with default flags, as KafkaPubTool sends: `\/` and `\uXXXX` escapes. */
export function phpJsonEncode(value: unknown): string {
  return JSON.stringify(value)
    .replace(/\//g, "\\/")
    .replace(/[\u0080-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

export function zmqFrame(topic: string, json: string, transport: Transport = "zmq"): BusFrame {
  return { topic, payload: Buffer.from(`${topic} ${json}`, "utf8"), transport, receivedAt: 1_729_501_300_000 };
}

export function kafkaFrame(topic: string, json: string): BusFrame {
  return { topic, payload: Buffer.from(json, "utf8"), transport: "kafka", receivedAt: 1_729_501_300_000, position: `${topic}/0@7` };
}
