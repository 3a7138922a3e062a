// Section 6: a backlog of 1,000,000 messages drains against a slow MISP. The messages come through
// the daemon's replay bus (the path of `misp-enrichd replay`), read line by line from a stream that
// makes each line only when it is read, as a recorded file or a Kafka partition holds a backlog: the
// bus reads a line only once `accept` took the previous one, so a full pipeline stops the reading
// and the backlog stays where it is instead of in the daemon's memory. (ZeroMQ cannot hold a backlog:
// a PUB socket drops what does not fit in its and the subscriber's high-water marks, section 4.)

import { Readable } from "node:stream";
import { createReplayBus } from "../src/bus/replay.js";
import { corpusFrame, isAdd, loadCorpus } from "./corpus.js";
import { startBenchApp } from "./daemon-stack.js";
import { fullGc } from "./memory.js";
import { startPeers } from "./peers-client.js";

export interface BacklogParams {
  readonly messages: number;
  readonly mispDelayMs: number;
  readonly modulesLatencyMs: number;
  /** How long the backlog drains before the figures are taken. */
  readonly drainMs: number;
  readonly sampleMs: number;
}

export interface BacklogResult {
  readonly messages: number;
  readonly mispDelayMs: number;
  readonly modulesLatencyMs: number;
  readonly maxPending: number;
  readonly drainMs: number;
  /** Lines the bus had read (handed to the pipeline) when the time was up. */
  readonly read: number;
  readonly enrichments: number;
  readonly baseRss: number;
  readonly peakRss: number;
  readonly endRss: number;
  /** RSS every `sampleMs`, MiB. */
  readonly rssSeries: readonly number[];
  readonly peakInFlight: number;
  readonly heapAfterGc: number;
  readonly baseHeap: number;
}

/** `misp_json_attribute <json>` lines, each a distinct routable ip-dst, made as they are read. */
function backlogStream(count: number): Readable {
  const template = corpusFrame(loadCorpus(), "misp_json_attribute", isAdd).payload as { Attribute: Record<string, unknown> };
  let i = 0;
  return new Readable({
    read() {
      // A few hundred lines per read, then wait to be asked again: the reader's pace sets ours.
      for (let n = 0; n < 256 && i < count; n++, i++) {
        const value = `${20 + ((i >> 24) & 63)}.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
        const uuid = `7a0c4f1e-2b3d-4c5e-8f90-${i.toString(16).padStart(12, "0")}`;
        const attribute = { ...template.Attribute, id: String(2_000_000 + i), uuid, type: "ip-dst", value, value1: value };
        this.push(`misp_json_attribute ${JSON.stringify({ ...template, Attribute: attribute })}\n`);
      }
      if (i >= count) this.push(null);
    },
  });
}

export async function runBacklog(params: BacklogParams): Promise<BacklogResult> {
  const peers = await startPeers({ misp: "light", mispDelayMs: params.mispDelayMs, modulesDelayMs: 0, modulesLatencyMs: params.modulesLatencyMs, zmq: false });
  try {
    const bench = await startBenchApp({ mispUrl: peers.mispUrl, modulesUrl: peers.modulesUrl });
    const { daemon } = bench;
    try {
      fullGc();
      const base = process.memoryUsage();
      const bus = createReplayBus({ file: "backlog", input: backlogStream(params.messages), kindOf: daemon.pipeline.topics.kindOf, logger: daemon.logger });
      const running = daemon.pipeline.run(bus);
      running.catch(() => undefined);
      const rssSeries: number[] = [];
      let peakRss = base.rss;
      let peakInFlight = 0;
      const started = performance.now();
      while (performance.now() - started < params.drainMs) {
        await new Promise((resolve) => setTimeout(resolve, params.sampleMs));
        const rss = process.memoryUsage.rss();
        peakRss = Math.max(peakRss, rss);
        rssSeries.push(rss / 1_048_576);
        peakInFlight = Math.max(peakInFlight, daemon.metrics.get("misp_enrichd_in_flight"));
      }
      const endRss = process.memoryUsage.rss();
      fullGc();
      const heapAfterGc = process.memoryUsage().heapUsed;
      const result: BacklogResult = {
        messages: params.messages,
        mispDelayMs: params.mispDelayMs,
        modulesLatencyMs: params.modulesLatencyMs,
        maxPending: daemon.config.pipeline.maxPending,
        drainMs: params.drainMs,
        read: bus.stats().frames,
        enrichments: daemon.metrics.get("misp_enrichd_objects_written_total", { outcome: "created" }),
        baseRss: base.rss,
        peakRss,
        endRss,
        rssSeries,
        peakInFlight,
        heapAfterGc,
        baseHeap: base.heapUsed,
      };
      return result;
    } finally {
      // What is still in flight is spooled by the stop; a slow stop does not hold the figures back.
      await Promise.race([bench.close(), new Promise((resolve) => setTimeout(resolve, 10_000))]);
    }
  } finally {
    await peers.close();
  }
}
