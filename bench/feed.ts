// The producer side of a scenario: hands frames to `pipeline.accept` one after the other, as a bus
// does (each `accept` awaited before the next frame), and times every frame from the call to its
// `done`. It counts accepted-but-unfinished frames itself, which is the keyed queue's `pending`
// when, as here, every frame matches exactly one handler.

import type { FrameSink } from "../src/bus/types.js";
import type { BusFrame } from "../src/decode/types.js";

export interface FeedOptions {
  readonly accept: FrameSink;
  /** Whole ZeroMQ frames on misp_json_attribute (`misp_json_attribute <json>`). */
  readonly frames: readonly Buffer[];
  /** Stop offering frames after this long (the frames already accepted still finish). */
  readonly timeBoxMs?: number;
  /** Read on every accepted frame, e.g. the daemon's in-flight gauge. */
  readonly probe?: () => number;
}

export interface FeedResult {
  /** Frames accepted (offered and taken) before the frames or the time box ran out. */
  readonly accepted: number;
  readonly timedOut: boolean;
  /** From the first accept() call to the last accept() resolving. */
  readonly offerMs: number;
  /** Sum over frames of the time accept() took to resolve: the producer held back. */
  readonly acceptWaitMs: number;
  readonly maxAcceptWaitMs: number;
  readonly peakPending: number;
  readonly peakProbe: number;
  /** Per frame, call → done, ms. Filled as frames finish. */
  readonly latencies: number[];
  /** Per frame, call → accepted, ms. */
  readonly waits: number[];
  /** Resolves when every accepted frame is done; the time it settled, performance.now(). */
  readonly allDone: Promise<number>;
}

export async function feed(options: FeedOptions): Promise<FeedResult> {
  const { accept, frames } = options;
  const latencies: number[] = [];
  const waits: number[] = [];
  let pending = 0;
  let peakPending = 0;
  let peakProbe = 0;
  let acceptWaitMs = 0;
  let maxAcceptWaitMs = 0;
  let accepted = 0;
  let finished = 0;
  let lastDoneAt = 0;
  let offerDone = false;
  let resolveAll!: (at: number) => void;
  const allDone = new Promise<number>((resolve) => (resolveAll = resolve));
  const started = performance.now();
  const deadline = options.timeBoxMs === undefined ? Infinity : started + options.timeBoxMs;
  let timedOut = false;

  for (const payload of frames) {
    if (performance.now() >= deadline) {
      timedOut = true;
      break;
    }
    const frame: BusFrame = { topic: "misp_json_attribute", payload, transport: "zmq", receivedAt: Date.now() };
    const calledAt = performance.now();
    const { done } = await accept(frame);
    const acceptedAt = performance.now();
    const wait = acceptedAt - calledAt;
    acceptWaitMs += wait;
    if (wait > maxAcceptWaitMs) maxAcceptWaitMs = wait;
    waits.push(wait);
    accepted++;
    pending++;
    if (pending > peakPending) peakPending = pending;
    if (options.probe) peakProbe = Math.max(peakProbe, options.probe());
    void done.then(() => {
      lastDoneAt = performance.now();
      latencies.push(lastDoneAt - calledAt);
      pending--;
      finished++;
      if (offerDone && finished === accepted) resolveAll(lastDoneAt);
    });
  }
  const offerMs = performance.now() - started;
  offerDone = true;
  if (finished === accepted) resolveAll(lastDoneAt || performance.now());
  return { accepted, timedOut, offerMs, acceptWaitMs, maxAcceptWaitMs, peakPending, peakProbe, latencies, waits, allDone };
}
