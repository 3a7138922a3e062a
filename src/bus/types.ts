// The one bus contract every transport (ZeroMQ, Kafka, replay) implements.

import type { BusFrame, MessageKind } from "../decode/types.js";

/**
 * Handed each frame by a bus. Resolves once the pipeline has room for it (backpressure: a bus
 * awaits this before reading on). `done` settles when everything the frame caused is written to
 * MISP or durably queued on disk; it never rejects. Kafka commits offsets on `done`.
 */
export type FrameSink = (frame: BusFrame) => Promise<{ readonly done: Promise<void> }>;

export interface BusStatus {
  readonly connected: boolean;
  /** Epoch ms of the last frame of any topic, heartbeat included; 0 when none yet. */
  readonly lastFrameAt: number;
}

export interface Bus {
  /** "zmq", "kafka" or "replay". */
  readonly transport: string;
  /** Where it reads from, for logs: never contains a password. */
  readonly describe: string;
  /**
   * Subscribes to the kinds given (ZeroMQ: socket-level prefixes; Kafka: the mapped topics) and
   * feeds frames to `sink` until `signal` aborts or `close()` is called. Resolves when intake stopped.
   */
  run(kinds: ReadonlySet<MessageKind>, sink: FrameSink, signal: AbortSignal): Promise<void>;
  status(): BusStatus;
  /** Idempotent: every call returns the same promise. */
  close(): Promise<void>;
}
