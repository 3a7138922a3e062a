// The spool re-drive: each spooled entry's frame decoded again and handed to the handler it failed
// in, that handler only. An entry leaves the spool once its handler succeeded or failed for good;
// one that fails again, or whose route no longer exists, stays for the next re-drive.

import type { BusFrame, MessageKind } from "../decode/types.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics/metrics.js";
import type { Routing } from "../route/routing.js";
import type { Spool } from "../state/spool.js";
import type { HandlerRunner } from "../subscriber/runner.js";
import type { Handler } from "../subscriber/types.js";

export interface SpoolRedriveOptions {
  readonly spool: Spool;
  readonly routing: Routing<Handler<MessageKind>>;
  readonly runner: HandlerRunner;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** Stops between entries (shutdown). */
  readonly signal: AbortSignal;
}

/**
 * Returns a function that re-drives the spool once and resolves to how many entries it cleared. A
 * call while a pass runs (the timer's next tick during a long outage) joins that pass: two passes
 * would run one entry twice at once, and two concurrent write-backs of one object can both find its
 * reference missing and add it twice.
 */
export function createSpoolRedrive(options: SpoolRedriveOptions): () => Promise<number> {
  const { spool, routing, runner, metrics, log, signal } = options;
  let running: Promise<number> | undefined;
  const pass = async (): Promise<number> => {
    let cleared = 0;
    const entries = await spool.list();
    metrics.set("misp_enrichd_spool_entries", entries.length);
    for (const entry of entries) {
      if (signal.aborted) break;
      const frame: BusFrame = {
        topic: entry.frame.topic,
        transport: entry.frame.transport,
        payload: Buffer.from(entry.frame.payload, "base64"),
        receivedAt: Date.now(),
        ...(entry.frame.position ? { position: entry.frame.position } : {}),
      };
      const outcome = routing.decoder.decodeFrame(frame);
      const handler = routing.router.find(entry.subscriber, entry.routeIndex);
      if (outcome.status !== "message" || !handler) {
        log.warn({ spoolId: entry.id, subscriber: entry.subscriber }, "spooled work no longer matches a subscriber; kept in the spool");
        continue;
      }
      const result = await runner.run(handler, outcome.message, frame, { respool: false, depth: entry.depth ?? 0 });
      if (result !== "retry-later") {
        await spool.remove(entry.id);
        cleared++;
      }
    }
    if (cleared > 0) log.info({ cleared, remaining: entries.length - cleared }, "spool re-driven");
    metrics.set("misp_enrichd_spool_entries", entries.length - cleared);
    return cleared;
  };
  return () => {
    running ??= pass().finally(() => {
      running = undefined;
    });
    return running;
  };
}
