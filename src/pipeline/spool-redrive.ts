// The spool re-drive: each spooled entry's frame decoded again and handed to the handler it failed
// in, that handler only, taking turns with the pipeline's queue on each key (redrive-turns.ts). An
// entry leaves the spool once its handler succeeded or failed for good; one that fails again, or
// whose route no longer exists, stays for the next re-drive. One pass runs at a time (a call during
// a pass runs one more pass after it); entries an operator asked for (`misp-enrichd spool retry`) go
// first; and a pass stops while a peer's circuit breaker refuses calls, so parked work waits for the
// breaker instead of failing again at once.

import type { CircuitBreaker } from "../circuit-breaker.js";
import type { BusFrame, MessageKind, MispMessage } from "../decode/types.js";
import type { Logger } from "../log.js";
import type { Routing } from "../route/routing.js";
import { takeRetryRequests } from "../state/retry-requests.js";
import type { Spool, SpoolEntry } from "../state/spool.js";
import type { RunOptions, RunOutcome } from "../subscriber/runner.js";
import type { Handler, RegisteredHandler } from "../subscriber/types.js";

export interface SpoolRedriveOptions {
  readonly spool: Spool;
  readonly routing: Routing<Handler<MessageKind>>;
  /** Runs one handler on one message in order with the pipeline's work on its key ("retry-later" while that is busy). */
  readonly run: (handler: RegisteredHandler, message: MispMessage, frame: BusFrame, options: RunOptions) => Promise<RunOutcome>;
  readonly log: Logger;
  /** Stops between entries (the pipeline stopping: what is left stays in the spool). */
  readonly signal: AbortSignal;
  /** The peers' breakers: a pass waits while any refuses calls. */
  readonly breakers?: readonly CircuitBreaker[];
}

/** Returns a function that re-drives the spool once and resolves to how many entries it cleared. */
export function createSpoolRedrive(options: SpoolRedriveOptions): () => Promise<number> {
  const { spool, routing, run, log, signal } = options;
  const breakers = options.breakers ?? [];
  let running: Promise<number> | undefined;
  let again = false;
  let pausedFor: string | undefined;

  /** The first breaker that refuses calls, logged once per pause. */
  function blocked(): CircuitBreaker | undefined {
    const refusing = breakers.find((b) => !b.allows());
    if (refusing && pausedFor !== refusing.peer) log.info({ peer: refusing.peer, state: refusing.state() }, "spool re-drive waits for the circuit breaker");
    pausedFor = refusing?.peer;
    return refusing;
  }

  async function redriveOne(entry: SpoolEntry): Promise<boolean> {
    const frame: BusFrame = {
      topic: entry.frame.topic,
      transport: entry.frame.transport,
      payload: Buffer.from(entry.frame.payload, "base64"),
      receivedAt: entry.frame.receivedAt ?? Date.now(),
      ...(entry.frame.position ? { position: entry.frame.position } : {}),
    };
    const outcome = routing.decoder.decodeFrame(frame);
    const handler = routing.router.find(entry.subscriber, entry.routeIndex);
    if (outcome.status !== "message" || !handler) {
      log.warn({ spoolId: entry.id, subscriber: entry.subscriber }, "spooled work no longer matches a subscriber; kept in the spool");
      return false;
    }
    const result = await run(handler, outcome.message, frame, { respool: false, ignoreHandled: entry.retriedFromDead !== undefined, depth: entry.depth ?? 0 });
    if (result === "retry-later") return false;
    await spool.remove(entry.id);
    return true;
  }

  /** One walk over the entries there were at its start; resolves to how many it cleared. */
  async function pass(): Promise<number> {
    const { ids: first } = await takeRetryRequests(spool.dir);
    await spool.refresh();
    if (blocked()) return 0;
    const entries = await spool.list();
    const rank = new Map(first.map((id, i) => [id, i]));
    const ordered = [...entries].sort((a, b) => (rank.get(a.id) ?? Infinity) - (rank.get(b.id) ?? Infinity));
    let cleared = 0;
    for (const entry of ordered) {
      if (signal.aborted || blocked()) break;
      if (await redriveOne(entry)) cleared++;
    }
    if (cleared > 0) log.info({ cleared, remaining: spool.usage().entries }, "spool re-driven");
    return cleared;
  }

  return function redrive(): Promise<number> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let cleared = 0;
      do {
        again = false;
        cleared += await pass();
      } while (again && !signal.aborted);
      return cleared;
    })().finally(() => {
      running = undefined;
    });
    return running;
  };
}
