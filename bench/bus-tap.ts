// A tap between a bus and the daemon: the bus hands each frame to the tap, which notes when it
// arrived and passes it on untouched. It costs one closure call per frame; it is how section 4
// times intake without reaching into src/.

import type { Bus, FrameSink } from "../src/bus/types.js";

/** The heartbeat the peers process publishes last in a mix. */
export const END_MARKER = { status: "bench mix ends here", uptime: 424242 } as const;
const MARKER_BYTES = Buffer.from(`"uptime":${END_MARKER.uptime}`);

export interface BusTap {
  readonly bus: Bus;
  /** Frames handed to the daemon so far. */
  readonly frames: () => number;
  readonly firstAt: () => number;
  readonly lastAt: () => number;
  /** performance.now() when the end marker arrived, and how many frames had arrived by then. */
  readonly marker: () => { readonly at: number; readonly frames: number } | undefined;
}

export function tapBus(inner: Bus): BusTap {
  let frames = 0;
  let firstAt = 0;
  let lastAt = 0;
  let marker: { at: number; frames: number } | undefined;
  const bus: Bus = {
    transport: inner.transport,
    describe: inner.describe,
    status: () => inner.status(),
    close: () => inner.close(),
    run(kinds, sink, signal) {
      const tapped: FrameSink = (frame) => {
        const now = performance.now();
        frames++;
        if (firstAt === 0) firstAt = now;
        lastAt = now;
        if (frame.topic === "misp_json_self" && frame.payload.includes(MARKER_BYTES)) marker = { at: now, frames };
        return sink(frame);
      };
      return inner.run(kinds, tapped, signal);
    },
  };
  return { bus, frames: () => frames, firstAt: () => firstAt, lastAt: () => lastAt, marker: () => marker };
}
