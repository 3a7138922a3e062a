// Section 1: the decoder's hot path in a tight loop, on frames from the recorded corpus. Cases run
// interleaved in short rounds and each reports its median round, so a burst of load from another
// process on this machine skews one round, not a whole case.

import { createDecoder, type Decoder } from "../src/decode/decoder.js";
import { createPrefilter } from "../src/decode/prefilter.js";
import { createTopicTable } from "../src/decode/topic.js";
import type { BusFrame } from "../src/decode/types.js";
import { corpusFrame, isAdd, loadCorpus } from "./corpus.js";
import { startBenchApp } from "./daemon-stack.js";
import { median } from "./format.js";

export interface DecoderCase {
  readonly id: string;
  readonly label: string;
  readonly bytes: number;
  /** Median over rounds, frames per wall-clock second. */
  readonly wallOps: number;
  /** Median over rounds, frames per CPU second of this process (steadier on a shared machine). */
  readonly cpuOps: number;
  /** Lowest and highest round (CPU), to show the noise. */
  readonly minCpuOps: number;
  readonly maxCpuOps: number;
}

export interface DecoderBenchResult {
  readonly cases: readonly DecoderCase[];
  readonly rounds: number;
  readonly roundMs: number;
  /** Median over rounds of the ratio within a round (CPU based): `x/y` is how many times faster x is. */
  ratio(x: string, y: string): number;
}

interface Case {
  readonly id: string;
  readonly label: string;
  readonly bytes: number;
  /** Runs the operation n times; returns something to keep the work alive. */
  readonly run: (n: number) => number;
}

const BATCH = 500;

function frameOf(line: string): BusFrame {
  const payload = Buffer.from(line, "utf8");
  return { topic: line.slice(0, line.indexOf(" ")), payload, transport: "zmq", receivedAt: 0 };
}

function decodeLoop(decoder: Decoder, frame: BusFrame, expected: string): (n: number) => number {
  const check = decoder.decodeFrame(frame);
  if (check.status !== expected) throw new Error(`bench setup: ${frame.topic} decoded as ${check.status}, expected ${expected}`);
  return (n) => {
    let sink = 0;
    for (let i = 0; i < n; i++) sink += decoder.decodeFrame(frame).status.length;
    return sink;
  };
}

/** Operations per second of one round lasting about `roundMs`. */
function round(c: Case, roundMs: number): { wall: number; cpu: number } {
  let ops = 0;
  let sink = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < roundMs) {
    sink += c.run(BATCH);
    ops += BATCH;
    elapsed = performance.now() - start;
  }
  const used = process.cpuUsage(cpu);
  if (sink === -1) console.log("unreachable");
  return { wall: (ops * 1000) / elapsed, cpu: (ops * 1e6) / (used.user + used.system) };
}

export async function runDecoderBench(options: { rounds?: number; roundMs?: number } = {}): Promise<DecoderBenchResult> {
  const rounds = options.rounds ?? 7;
  const roundMs = options.roundMs ?? 120;
  const corpus = loadCorpus();
  const attribute = corpusFrame(corpus, "misp_json_attribute", isAdd);
  const tag = corpusFrame(corpus, "misp_json_tag");
  const publish = corpusFrame(corpus, "misp_json");

  const table = createTopicTable();
  // What the shipped subscribers want (geolocation, onion-lookup): attributes only.
  const attributesOnly = createDecoder({ table, wanted: new Set(["attribute"]), maxFrameBytes: 16 * 1024 * 1024 });
  const withPublish = createDecoder({ table, wanted: new Set(["attribute", "publish"]), maxFrameBytes: 16 * 1024 * 1024 });
  const attributeFrame = frameOf(attribute.line);
  const tagFrame = frameOf(tag.line);
  const publishFrame = frameOf(publish.line);
  const attributeJson = attributeFrame.payload.subarray(attributeFrame.payload.indexOf(0x20) + 1);
  // MISP's echo of one attribute of an object the daemon wrote (a geolocation's country, type text),
  // and a decoder with the prefilter the shipped subscribers' routes give (ip and onion types).
  const echo = structuredClone(attribute.payload) as { Attribute: Record<string, unknown>; Object?: Record<string, unknown> };
  Object.assign(echo.Attribute, { type: "text", category: "Other", object_id: "77", object_relation: "country", value: "Belgium", value1: "Belgium", comment: "misp-enrichd: geolocation via mmdb_lookup for 188.65.220.25" });
  echo.Object = { id: "77", name: "geolocation", "meta-category": "misc", description: "", template_uuid: "cd6f2238-ba55-4888-82c4-104e6e1acf21", template_version: "8", event_id: "42", uuid: "c0ffee00-0000-5000-8000-000000000077", timestamp: "1729501200", distribution: "5", sharing_group_id: "0", comment: "misp-enrichd: geolocation via mmdb_lookup for 188.65.220.25", deleted: false, first_seen: null, last_seen: null };
  const echoFrame = frameOf(`misp_json_attribute ${JSON.stringify(echo)}`);
  const prefilter = createPrefilter({ attribute: { types: new Set(["ip-src", "ip-dst", "ip-src|port", "ip-dst|port", "onion-address"]), inObject: true, standalone: true } });
  const prefiltered = createDecoder({ table, wanted: new Set(["attribute"]), maxFrameBytes: 16 * 1024 * 1024, ...(prefilter ? { prefilter } : {}) });

  // The full accept path of a real daemon (metrics, logging, router) for the same unwanted frame.
  // Its peers are never called: a dropped frame does no I/O.
  const bench = await startBenchApp({ mispUrl: "http://127.0.0.1:9", modulesUrl: "http://127.0.0.1:9" });
  const accept = bench.daemon.pipeline.accept;

  const cases: Case[] = [
    { id: "a", label: "decode: wanted attribute frame (full decode)", bytes: attributeFrame.payload.length, run: decodeLoop(attributesOnly, attributeFrame, "message") },
    { id: "b", label: "decode: unwanted topic (misp_json_tag, dropped)", bytes: tagFrame.payload.length, run: decodeLoop(attributesOnly, tagFrame, "dropped") },
    { id: "b2", label: "decode: unwanted topic (misp_json publish, dropped)", bytes: publishFrame.payload.length, run: decodeLoop(attributesOnly, publishFrame, "dropped") },
    { id: "c", label: "decode: misp_json publish frame (full decode)", bytes: publishFrame.payload.length, run: decodeLoop(withPublish, publishFrame, "message") },
    { id: "f", label: "decode: an echoed object attribute no route takes (prefilter drop)", bytes: echoFrame.payload.length, run: decodeLoop(prefiltered, echoFrame, "dropped") },
    { id: "g", label: "decode: the same echo without the prefilter (full decode)", bytes: echoFrame.payload.length, run: decodeLoop(attributesOnly, echoFrame, "message") },
    {
      id: "d",
      label: "reference: JSON.parse of the attribute JSON alone",
      bytes: attributeJson.length,
      run: (n) => {
        let sink = 0;
        for (let i = 0; i < n; i++) sink += (JSON.parse(attributeJson.toString("utf8")) as { action: string }).action.length;
        return sink;
      },
    },
    {
      id: "e",
      label: "pipeline.accept: unwanted topic (misp_json_tag)",
      bytes: tagFrame.payload.length,
      run: (n) => {
        let sink = 0;
        for (let i = 0; i < n; i++) {
          void accept(tagFrame);
          sink++;
        }
        return sink;
      },
    },
  ];

  // One discarded round warms the JIT for every case.
  for (const c of cases) round(c, roundMs / 2);
  const rows: Map<string, { wall: number; cpu: number }>[] = [];
  for (let r = 0; r < rounds; r++) {
    const row = new Map<string, { wall: number; cpu: number }>();
    for (const c of cases) row.set(c.id, round(c, roundMs));
    rows.push(row);
    await new Promise((resolve) => setImmediate(resolve)); // let accept()'s promises settle
  }
  await bench.close();
  const cpu = (id: string): number[] => rows.map((row) => row.get(id)?.cpu ?? Number.NaN);
  return {
    rounds,
    roundMs,
    cases: cases.map((c) => ({
      id: c.id,
      label: c.label,
      bytes: c.bytes,
      wallOps: median(rows.map((row) => row.get(c.id)?.wall ?? Number.NaN)),
      cpuOps: median(cpu(c.id)),
      minCpuOps: Math.min(...cpu(c.id)),
      maxCpuOps: Math.max(...cpu(c.id)),
    })),
    ratio: (x, y) => median(rows.map((row) => (row.get(x)?.cpu ?? Number.NaN) / (row.get(y)?.cpu ?? Number.NaN))),
  };
}
