// One MISP ZeroMQ frame is a single ZMQ frame `<topic> 0x20 <json>` (pubsub.md §2.1): no envelope,
// no multipart. Split on the first space; the JSON bytes stay a view of the same buffer.

const SPACE = 0x20;

/**
 * MISP topics are at most 26 bytes. Looking for the separator only in a short head keeps a
 * space-less multi-megabyte frame from being scanned end to end before it is rejected.
 */
export const MAX_TOPIC_BYTES = 128;

export interface SplitFrame {
  readonly topic: string;
  /** A view of the payload after the separator (no copy). */
  readonly json: Buffer;
}

/** Returns null when the frame has no separator in its head, or an empty topic. */
export function splitFrame(payload: Buffer): SplitFrame | null {
  const index = payload.subarray(0, MAX_TOPIC_BYTES + 1).indexOf(SPACE);
  if (index <= 0) return null;
  // Topics are ASCII; latin1 is the cheapest faithful decoding of them.
  return { topic: payload.toString("latin1", 0, index), json: payload.subarray(index + 1) };
}

/** The topic of a ZeroMQ frame, without touching its JSON; undefined when there is none. */
export function frameTopic(payload: Buffer): string | undefined {
  return splitFrame(payload)?.topic;
}
