// Recorded bus frames as a bus: one `<topic> <json>` frame per line, exactly as `tail --json`
// writes them (ZeroMQ frames as they arrived, Kafka records with their topic in front). Blank lines
// and lines starting with `#` (the notes `tail --json --explain` adds) are skipped. `run` resolves
// only once every frame was handed over and every `done` settled: a replay ends when its work does.

import { createReadStream } from "node:fs";
import { basename } from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { splitFrame } from "../decode/frame.js";
import type { BusFrame, MessageKind } from "../decode/types.js";
import { EnrichdError } from "../errors.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics/metrics.js";
import type { Bus, BusStatus, FrameSink } from "./types.js";

export interface ReplayBusOptions {
  /** A file of recorded frames; "-" reads standard input. */
  readonly file: string;
  /** Tests may hand a stream instead of a file; `file` then only names it in positions. */
  readonly input?: Readable;
  /**
   * Topic → kind (the daemon's TopicTable.kindOf). When given, frames of kinds not asked for are
   * skipped as a ZeroMQ subscription would skip them; frames on unknown topics still pass, so the
   * decoder reports them.
   */
  readonly kindOf?: (topic: string) => MessageKind | undefined;
  readonly logger: Logger;
  readonly metrics?: Metrics;
}

export interface ReplayStats {
  /** Frames handed to the pipeline. */
  readonly frames: number;
  /** Frames left out because their kind was not subscribed. */
  readonly skipped: number;
}

export interface ReplayBus extends Bus {
  stats(): ReplayStats;
}

export function createReplayBus(options: ReplayBusOptions): ReplayBus {
  const log = options.logger.child({ bus: "replay" });
  const name = options.file === "-" ? "stdin" : basename(options.file);
  const stop = new AbortController();
  let connected = false;
  let lastFrameAt = 0;
  let frames = 0;
  let skipped = 0;
  let running: Promise<void> | undefined;
  let closing: Promise<void> | undefined;

  function open(): Readable {
    if (options.input) return options.input;
    if (options.file === "-") return process.stdin;
    return createReadStream(options.file);
  }

  async function run(kinds: ReadonlySet<MessageKind>, sink: FrameSink, signal: AbortSignal): Promise<void> {
    const input = open();
    const opened = new Promise<void>((resolve, reject) => {
      if (input === process.stdin || options.input) return resolve();
      input.once("open", () => resolve());
      input.once("error", reject);
    });
    try {
      await opened;
    } catch (error) {
      throw new EnrichdError("ENRICHD_BUS_FAILED", `cannot read replay file ${options.file}: ${(error as Error).message}`, { cause: error });
    }
    connected = true;
    const lines = createInterface({ input, crlfDelay: Infinity });
    const stopped = AbortSignal.any([signal, stop.signal]);
    const onAbort = (): void => lines.close();
    stopped.addEventListener("abort", onAbort, { once: true });
    // Bounded: a counter and one waiter, not an array of every frame's `done`.
    let pending = 0;
    let drained: (() => void) | undefined;
    let lineNo = 0;
    try {
      for await (const line of lines) {
        lineNo++;
        if (stopped.aborted) break;
        if (line.trim() === "" || line.startsWith("#")) continue;
        const payload = Buffer.from(line, "utf8");
        const topic = splitFrame(payload)?.topic ?? "";
        const kind = options.kindOf?.(topic);
        if (kind !== undefined && kind !== "heartbeat" && !kinds.has(kind)) {
          skipped++;
          continue;
        }
        lastFrameAt = Date.now();
        const frame: BusFrame = { topic, payload, transport: "replay", receivedAt: lastFrameAt, position: `${name}:${lineNo}` };
        frames++;
        const { done } = await sink(frame);
        pending++;
        void done.finally(() => {
          pending--;
          if (pending === 0) drained?.();
        });
      }
    } catch (error) {
      if (!stopped.aborted) {
        throw new EnrichdError("ENRICHD_BUS_FAILED", `reading replay file ${options.file} failed: ${(error as Error).message}`, { cause: error });
      }
    } finally {
      stopped.removeEventListener("abort", onAbort);
      lines.close();
      if (input !== process.stdin && !options.input) input.destroy();
      connected = false;
    }
    // Closing stops the wait too: the daemon's stop() drains in-flight work on its own terms.
    if (pending > 0 && !stopped.aborted) {
      await new Promise<void>((resolve) => {
        drained = resolve;
        stopped.addEventListener("abort", () => resolve(), { once: true });
      });
    }
    log.info({ file: options.file, frames, skipped, interrupted: stopped.aborted }, "replay finished");
  }

  return {
    transport: "replay",
    describe: `replay ${options.file === "-" ? "(stdin)" : options.file}`,
    run(kinds, sink, signal) {
      running = run(kinds, sink, signal);
      return running;
    },
    status(): BusStatus {
      return { connected, lastFrameAt };
    },
    stats: () => ({ frames, skipped }),
    close() {
      closing ??= (async () => {
        stop.abort();
        await running?.catch(() => undefined);
      })();
      return closing;
    },
  };
}
