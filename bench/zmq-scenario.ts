// Section 4: a real ZeroMQ PUB socket (in the peers process) publishes a mix of MISP frames, most
// on topics no subscriber wants, to the daemon's SUB socket (daemon.createBus(), as `run` does). The
// SUB socket subscribes by prefix to the wanted topics only, so libzmq filters the rest on the
// publisher's side: they never cross the socket. The MISP stand-in echoes every write on the same
// PUB socket, as MISP does, and the daemon must recognise those echoes as its own.

import { tapBus } from "./bus-tap.js";
import { corpusFrame, isAdd, loadCorpus, type CorpusFrame } from "./corpus.js";
import { startBenchApp } from "./daemon-stack.js";
import { startMemorySampler, type MemoryPeaks } from "./memory.js";
import { framesByKind, growth, handlerRuns } from "./metric-read.js";
import { startPeers } from "./peers-client.js";
import type { MixResult, PeersStats } from "./peers-protocol.js";

export interface ZmqParams {
  readonly total: number;
  readonly wantedEvents: number;
  readonly wantedPerEvent: number;
  /** Held at a proxy in front of the modules stand-in, as in section 2. */
  readonly modulesDelayMs: number;
  /** Give up waiting for deliveries after this long once publishing ended. */
  readonly settleLimitMs: number;
}

export interface ZmqResult {
  readonly total: number;
  readonly subscriptions: readonly string[];
  readonly receiveHighWaterMark: number;
  readonly mix: MixResult;
  /** Frames published per topic, bench frames plus MISP's echoes. */
  readonly publishedByTopic: Readonly<Record<string, number>>;
  /** Frames the daemon received, per kind. */
  readonly deliveredByKind: Readonly<Record<string, number>>;
  readonly delivered: number;
  /** Subscribed frames published but never received (HWM drops or still in flight at the limit). */
  readonly lost: number;
  /** First publish → last delivery (echoes included). */
  readonly deliveryMs: number;
  /** The mix alone: first publish → its end marker received, and the frames received by then. */
  readonly intake: { readonly frames: number; readonly ms: number } | undefined;
  /** First publish → every wanted frame's work done; NaN when `settleLimitMs` passed first. */
  readonly completeMs: number;
  readonly attributeFramesPublished: number;
  readonly handlerRuns: Readonly<Record<string, number>>;
  readonly echoes: number;
  /** Attribute frames dropped unread because no route can match them (echoes of text, float… attributes). */
  readonly noRoute: number;
  readonly objectsCreated: number;
  readonly settled: boolean;
  readonly memory: MemoryPeaks;
  readonly peers: PeersStats;
}

export async function runZmq(params: ZmqParams): Promise<ZmqResult> {
  const peers = await startPeers({ misp: "standin", mispDelayMs: 0, modulesDelayMs: params.modulesDelayMs, zmq: true });
  const corpus = loadCorpus();
  try {
    // The peers keep these frames and spread them through the mix.
    await peers.seed({ set: "zmq", events: params.wantedEvents, attributesPerEvent: params.wantedPerEvent, firstOctet: 93, seed: 5 });
    const bench = await startBenchApp({
      mispUrl: peers.mispUrl,
      modulesUrl: peers.modulesUrl,
      overrides: { "bus.type": "zmq", "bus.zmq.url": peers.zmqUrl, "bus.zmq.silenceWarnMs": 60_000 },
    });
    const { daemon } = bench;
    try {
      const tap = tapBus(daemon.createBus());
      const running = daemon.pipeline.run(tap.bus);
      running.catch(() => undefined);
      await untilSubscribed(() => peers.heartbeat(), () => daemon.metrics.get("misp_enrichd_messages_total", { kind: "heartbeat" }) > 0);

      const delivered = (): number => daemon.metrics.total("misp_enrichd_frames_total");
      const before = delivered();
      const beforeByKind = framesByKind(daemon.metrics.snapshot());
      const runsBefore = handlerRuns(daemon.metrics.snapshot());
      const echoesBefore = daemon.metrics.total("misp_enrichd_echoes_total");
      const noRouteBefore = daemon.metrics.get("misp_enrichd_frames_dropped_total", { reason: "no-route" });
      const objectsBefore = daemon.metrics.get("misp_enrichd_objects_written_total", { outcome: "created" });
      await peers.reset();

      const tapBefore = tap.frames();
      const sampler = startMemorySampler();
      const started = performance.now();
      const mix = await peers.mix({
        total: params.total,
        wantedSet: "zmq",
        others: [
          // Unwanted topics (filtered by the socket): the bulk of a busy MISP's bus.
          { line: corpusFrame(corpus, "misp_json_tag", (p) => (p.action as string).includes("attribute")).line, share: 30 },
          { line: corpusFrame(corpus, "misp_json_tag", (p) => (p.action as string).includes("event")).line, share: 10 },
          { line: corpusFrame(corpus, "misp_json_object").line, share: 15 },
          { line: corpusFrame(corpus, "misp_json_object_reference").line, share: 10 },
          { line: corpusFrame(corpus, "misp_json_sighting").line, share: 15 },
          { line: corpusFrame(corpus, "misp_json_audit").line, share: 6 },
          { line: corpusFrame(corpus, "misp_json").line, share: 2 },
          // Wanted topic, decoded, then dropped: an analyst's domain attribute (no route) and MISP's
          // echo of the daemon's own attribute edit (the echo guard).
          { line: noRouteAttribute(corpusFrame(corpus, "misp_json_attribute", isAdd)), share: 6 },
          { line: corpusFrame(corpus, "misp_json_attribute", (p) => !isAdd(p)).line, share: 4 },
          { line: corpusFrame(corpus, "misp_json_self").line, share: 0.2 },
        ],
      });

      // Wait for every subscribed frame (ours and the echoes of the writes they cause) and the work.
      const deadline = performance.now() + params.settleLimitMs;
      let settled = false;
      let stats = await peers.stats("zmq");
      const subscribedTopics = daemon.pipeline.topics.zmqSubscriptions(daemon.pipeline.wantedKinds).map((p) => p.trim());
      const expected = (s: PeersStats): number => subscribedTopics.reduce((sum, t) => sum + (mix.sentByTopic[t] ?? 0) + (s.publishedByTopic[t] ?? 0), 0);
      let completeAt = Number.NaN; // stays NaN when the limit passes first
      while (performance.now() < deadline) {
        await peers.settled();
        await daemon.pipeline.idle();
        stats = await peers.stats("zmq");
        if (delivered() - before >= expected(stats) && daemon.metrics.get("misp_enrichd_in_flight") === 0) {
          settled = true;
          completeAt = performance.now();
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const memory = sampler.stop();
      const deliveredByKind = growth(beforeByKind, framesByKind(daemon.metrics.snapshot()));
      const runs = growth(runsBefore, handlerRuns(daemon.metrics.snapshot()));
      const publishedByTopic: Record<string, number> = { ...mix.sentByTopic };
      for (const [topic, count] of Object.entries(stats.publishedByTopic)) publishedByTopic[topic] = (publishedByTopic[topic] ?? 0) + count;
      const total = delivered() - before;
      return {
        total: params.total,
        subscriptions: subscribedTopics,
        receiveHighWaterMark: daemon.config.bus.zmq.receiveHighWaterMark,
        mix,
        publishedByTopic,
        deliveredByKind,
        delivered: total,
        lost: Math.max(0, expected(stats) - total),
        deliveryMs: tap.lastAt() - started,
        intake: intake(tap.marker(), tapBefore, started),
        completeMs: completeAt - started,
        attributeFramesPublished: mix.sentByTopic.misp_json_attribute ?? 0,
        handlerRuns: runs,
        echoes: daemon.metrics.total("misp_enrichd_echoes_total") - echoesBefore,
        noRoute: daemon.metrics.get("misp_enrichd_frames_dropped_total", { reason: "no-route" }) - noRouteBefore,
        objectsCreated: daemon.metrics.get("misp_enrichd_objects_written_total", { outcome: "created" }) - objectsBefore,
        settled,
        memory,
        peers: stats,
      };
    } finally {
      await bench.close();
    }
  } finally {
    await peers.close();
  }
}

function intake(marker: { at: number; frames: number } | undefined, before: number, started: number): { frames: number; ms: number } | undefined {
  return marker === undefined ? undefined : { frames: marker.frames - before, ms: marker.at - started };
}

/** The corpus's ip-dst attribute as a domain: a wanted topic that no route matches. */
function noRouteAttribute(frame: CorpusFrame): string {
  const payload = structuredClone(frame.payload) as { Attribute: Record<string, unknown> };
  Object.assign(payload.Attribute, { type: "domain", category: "Network activity", value: "phish.example.org", value1: "phish.example.org" });
  return `${frame.topic} ${JSON.stringify(payload)}`;
}

/** ZeroMQ's slow joiner: publish heartbeats until the daemon has received one. */
export async function untilSubscribed(beat: () => Promise<void>, received: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!received()) {
    if (Date.now() > deadline) throw new Error("the daemon's SUB socket never received a heartbeat");
    await beat();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
