// Hostile input for the property-based tests: strings and JSON values an attacker on the bus (or a
// confused MISP) could send, and MISP frames taken from the recorded corpus and then mutated: values
// replaced by wrong types, huge or deeply nested values, path and template syntax, invalid UTF-8,
// cut short, bytes flipped. FUZZ_RUNS raises the number of runs for a longer session.

import fc from "fast-check";
import { readdirSync } from "node:fs";
import { ZMQ_TOPICS, DEFAULT_KAFKA_TOPICS } from "../../src/decode/topic.js";
import { fixtureJson, wireFrames } from "../decode/helpers.js";

/** Runs per property: a few seconds for the whole fuzz folder in `npm test`; FUZZ_RUNS for more. */
export const RUNS = Number(process.env.FUZZ_RUNS ?? "200");
export const fuzzParameters = { numRuns: RUNS } as const;

/** Characters that mean something to a URL, a path, a template or a format string. */
const NASTY = ["/", "..", "../", "%", "%2e", "%2F", "%00", "?", "#", "&", "{{", "}}", "{{ x }}", "{{constructor}}", "{{__proto__}}", "${", "\\", "\u0000", "\n", "\r\n", " ", "'", '"', "<script>", "\u202e", "💥", "\udc00"];

export const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.array(fc.constantFrom(...NASTY), { maxLength: 8 }).map((parts) => parts.join("")),
  fc.tuple(fc.string({ maxLength: 10 }), fc.constantFrom(...NASTY), fc.string({ maxLength: 10 })).map(([a, b, c]) => `${a}${b}${c}`),
  fc.constantFrom("..", ".", "", "%2e%2e", "../../etc/passwd", "a/b", "{{attribute.value}}", "%s%n%x"),
);

/** Deeply nested arrays or objects, deeper than any reader goes. */
const deep: fc.Arbitrary<unknown> = fc.integer({ min: 50, max: 3_000 }).map((depth) => {
  let node: unknown = "bottom";
  for (let i = 0; i < depth; i++) node = i % 2 ? [node] : { a: node };
  return node;
});

export const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 3, arbitrary: nastyString },
  { weight: 1, arbitrary: deep },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 200_000 }).map((n) => "x".repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, 0, -1, 1e308, Number.MAX_SAFE_INTEGER, "0", "-1", "1e999", "NaN", [], {}) },
);

/** Every topic MISP uses on either bus, and a few it does not. */
export const anyTopic: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...Object.keys(ZMQ_TOPICS), ...Object.values(DEFAULT_KAFKA_TOPICS).filter((t): t is string => t !== undefined)),
  fc.constantFrom("misp_json_attributes", "misp_json_", "", "misp", "x".repeat(200)),
  fc.string({ maxLength: 30 }),
);

/** The recorded MISP payloads: the wire corpus and the per-topic fixtures, as (topic, parsed JSON). */
export const RECORDED: readonly { readonly topic: string; readonly json: unknown }[] = [
  ...wireFrames().map((frame) => {
    const text = frame.toString("utf8");
    const space = text.indexOf(" ");
    return { topic: text.slice(0, space), json: JSON.parse(text.slice(space + 1)) as unknown };
  }),
  ...readdirSync(new URL("../fixtures/decode/", import.meta.url))
    .filter((name) => name.startsWith("zmq-") && name.endsWith(".json"))
    .map((name) => ({ topic: name.slice(4).split("-")[0] as string, json: fixtureJson(name) as unknown })),
];

/** Every path to a value inside a JSON document (keys and indexes), down to MISP's own depth. */
function paths(node: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  // An inserted deep value is a leaf to later edits: MISP's payloads are a few levels deep.
  if (prefix.length >= 8) return out;
  if (Array.isArray(node)) node.forEach((child, i) => paths(child, [...prefix, i], out));
  else if (node !== null && typeof node === "object") for (const [k, v] of Object.entries(node)) paths(v, [...prefix, k], out);
  return out;
}

function setAt(doc: unknown, path: readonly (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  const copy = (Array.isArray(doc) ? [...(doc as unknown[])] : { ...(doc as Record<string, unknown>) }) as Record<string | number, unknown>;
  copy[head as string] = setAt(copy[head as string], rest, value);
  return copy;
}

/** A recorded payload with up to four of its values replaced by hostile ones (or removed). */
export const mutatedPayload: fc.Arbitrary<{ topic: string; json: unknown }> = fc
  .tuple(fc.constantFrom(...RECORDED), fc.array(fc.tuple(fc.nat(), fc.option(hostileJson, { nil: undefined })), { minLength: 1, maxLength: 4 }))
  .map(([{ topic, json }, edits]) => {
    let doc = json;
    for (const [pick, value] of edits) {
      const all = paths(doc);
      const path = all[pick % all.length] as (string | number)[];
      doc = setAt(doc, path, value);
    }
    return { topic, json: doc };
  });

/** Bytes a JSON payload may become on the way: intact, cut short, with flipped bytes or invalid UTF-8 inserted. */
export function corruptBytes(bytes: Buffer): fc.Arbitrary<Buffer> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(bytes) },
    { weight: 1, arbitrary: fc.nat().map((n) => bytes.subarray(0, n % (bytes.length + 1))) },
    {
      weight: 1,
      arbitrary: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }).map((flips) => {
        const copy = Buffer.from(bytes);
        for (const [at, byte] of flips) if (copy.length > 0) copy[at % copy.length] = byte;
        return copy;
      }),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.nat(), fc.constantFrom(Buffer.from([0xff]), Buffer.from([0xc3]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]))).map(([at, bad]) => {
        const cut = bytes.length === 0 ? 0 : at % bytes.length;
        return Buffer.concat([bytes.subarray(0, cut), bad, bytes.subarray(cut)]);
      }),
    },
  );
}
