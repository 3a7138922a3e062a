// Hostile frames on the attribute topic, from a seeded generator (the same seed gives the same
// frames): truncated and garbage JSON, non-objects, wrong types, missing fields, deep nesting,
// invalid UTF-8, hostile strings (`/`, `..`, `{{ }}`, `%`), and frames over bus.maxFrameBytes. Each
// names an event and an attribute MISP does not have, so whatever decodes can never be written.

import { prng } from "@misp-enrichd/standins";

export type FuzzKind = "truncated" | "garbage" | "not-object" | "wrong-type" | "missing-field" | "deep" | "invalid-utf8" | "hostile-string" | "huge";

export interface FuzzFrame {
  readonly kind: FuzzKind;
  /** The whole ZeroMQ frame: `misp_json_attribute ` and the payload. */
  readonly frame: Buffer;
}

export interface FuzzOptions {
  readonly seed: number;
  /** The daemon's bus.maxFrameBytes: a `huge` frame is one byte over it. */
  readonly maxFrameBytes: number;
  /** One frame in this many is `huge` (the first one always is). */
  readonly hugeEvery: number;
}

const TOPIC = "misp_json_attribute";


/** A `misp_json_attribute` add as mispzmq.py sends it (pubsub.md §4.1), for an event MISP does not have. */
export function attributeTemplate(random: () => number): Record<string, unknown> {
  const uuid = (): string => {
    const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  };
  const octet = (): number => 1 + Math.floor(random() * 254);
  return {
    Attribute: {
      id: "900001", event_id: "9001", object_id: "0", object_relation: null, category: "Network activity", type: "ip-dst",
      value: `11.${octet()}.${octet()}.${octet()}`, to_ids: true, uuid: uuid(), timestamp: "1764000000", distribution: "5",
      sharing_group_id: "0", comment: "", deleted: false, disable_correlation: false, first_seen: null, last_seen: null, Sighting: [],
    },
    Event: {
      id: "9001", date: "2026-01-01", info: "fuzzed", uuid: uuid(), published: false, analysis: "0", threat_level_id: "4", org_id: "1",
      orgc_id: "1", distribution: "1", sharing_group_id: "0", Orgc: { id: "1", uuid: uuid(), name: "ORGNAME", local: true },
    },
    action: "add",
  };
}

const WRONG_VALUES: readonly unknown[] = [123, -1, 1.5, true, false, null, [], {}, "", "x".repeat(5000), ["a"], { nested: { deeper: [1] } }];
const HOSTILE_STRINGS = ["/", "..", "../../../etc/passwd", "%2e%2e%2f", "%00", "{{ 7*7 }}", "{{constructor.constructor('return process')()}}", "%s%n%x", "a/b/../c", "\u0000", "\u202e"];
const PATHS: readonly (readonly string[])[] = [
  ["action"], ["Attribute"], ["Attribute", "id"], ["Attribute", "uuid"], ["Attribute", "type"], ["Attribute", "value"], ["Attribute", "timestamp"],
  ["Attribute", "event_id"], ["Attribute", "to_ids"], ["Attribute", "deleted"], ["Event"], ["Event", "uuid"], ["Event", "id"], ["Event", "Orgc"],
];
const NOT_OBJECTS = ["[]", "[1,2,3]", '"an attribute"', "42", "null", "true", "-0.5e3"];
const INVALID_UTF8: readonly Buffer[] = [Buffer.from([0xff, 0xfe]), Buffer.from([0xc3]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]), Buffer.from([0x80])];

const pick = <T>(random: () => number, list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown, remove = false): void {
  let node: Record<string, unknown> = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== "object" || next === null || Array.isArray(next)) return;
    node = next as Record<string, unknown>;
  }
  const last = path[path.length - 1] as string;
  if (remove) delete node[last];
  else node[last] = value;
}

const frameOf = (payload: Buffer | string): Buffer => Buffer.concat([Buffer.from(`${TOPIC} `), typeof payload === "string" ? Buffer.from(payload) : payload]);

function nested(depth: number): string {
  return "[".repeat(depth) + "]".repeat(depth);
}

const KINDS: readonly FuzzKind[] = ["truncated", "garbage", "not-object", "wrong-type", "missing-field", "deep", "invalid-utf8", "hostile-string"];
const WEIGHTS: readonly number[] = [25, 8, 5, 25, 10, 4, 13, 10];

function kindFor(random: () => number): FuzzKind {
  let r = random() * WEIGHTS.reduce((a, b) => a + b, 0);
  for (const [i, weight] of WEIGHTS.entries()) {
    r -= weight;
    if (r < 0) return KINDS[i] as FuzzKind;
  }
  return "truncated";
}

export function fuzzFrame(random: () => number, kind: FuzzKind, maxFrameBytes: number): FuzzFrame {
  const template = attributeTemplate(random);
  const json = JSON.stringify(template);
  switch (kind) {
    case "truncated":
      return { kind, frame: frameOf(json.slice(0, 1 + Math.floor(random() * (json.length - 2)))) };
    case "garbage":
      return { kind, frame: frameOf(Buffer.from(Array.from({ length: 1 + Math.floor(random() * 2000) }, () => Math.floor(random() * 256)))) };
    case "not-object":
      return { kind, frame: frameOf(pick(random, NOT_OBJECTS)) };
    case "wrong-type":
      setPath(template, pick(random, PATHS), pick(random, WRONG_VALUES));
      return { kind, frame: frameOf(JSON.stringify(template)) };
    case "missing-field":
      setPath(template, pick(random, PATHS), undefined, true);
      return { kind, frame: frameOf(JSON.stringify(template)) };
    case "deep": {
      const text = JSON.stringify({ ...template, Attribute: "@@" }).replace('"@@"', nested(1_000 + Math.floor(random() * 50_000)));
      return { kind, frame: frameOf(text) };
    }
    case "invalid-utf8": {
      // Inside the value or the comment: the JSON around it stays well-formed.
      const key = random() < 0.5 ? '"comment":"' : '"value":"';
      const at = json.indexOf(key) + key.length;
      return { kind, frame: frameOf(Buffer.concat([Buffer.from(json.slice(0, at)), pick(random, INVALID_UTF8), Buffer.from(json.slice(at))])) };
    }
    case "hostile-string":
      setPath(template, ["Attribute", random() < 0.5 ? "value" : "comment"], pick(random, HOSTILE_STRINGS) + pick(random, HOSTILE_STRINGS));
      setPath(template, ["Event", "info"], pick(random, HOSTILE_STRINGS));
      return { kind, frame: frameOf(JSON.stringify(template)) };
    case "huge": {
      // One byte over the limit, the topic included (the daemon measures the whole frame).
      const head = `{"Attribute":{"comment":"`;
      const fill = Buffer.alloc(maxFrameBytes + 1 - (TOPIC.length + 1) - head.length - 3, 0x61);
      return { kind, frame: frameOf(Buffer.concat([Buffer.from(head), fill, Buffer.from(`"}}`)])) };
    }
  }
}

/** `count` frames, the first and every `hugeEvery`-th one over the size limit. */
export function* fuzzFrames(count: number, options: FuzzOptions): Generator<FuzzFrame> {
  const random = prng(options.seed);
  for (let i = 0; i < count; i++) {
    yield fuzzFrame(random, i % options.hugeEvery === 0 ? "huge" : kindFor(random), options.maxFrameBytes);
  }
}
