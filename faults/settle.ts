// The end of a scenario: wait until every expected effect is written (or the time allowed is up),
// then until the daemon holds no more work (nothing in flight, an empty spool, nothing uncommitted
// on Kafka), so that a late duplicate would still be seen; then count.

import { setTimeout as delay } from "node:timers/promises";
import type { DaemonProcess } from "./daemon-process.js";
import type { EffectCounts } from "./effects.js";
import type { KafkaBus } from "./misp-bus.js";
import { metricSum } from "./metrics-text.js";
import { spoolDepth } from "./observe.js";
import type { Stack } from "./stack.js";

/** When a fault ended, and how many messages had been sent by then. */
export interface FaultEnd {
  readonly at: number;
  readonly sent: number;
}

export function faultEndsNow(stack: Stack): FaultEnd {
  return { at: Date.now(), sent: stack.sent };
}

export interface Settled {
  readonly counts: EffectCounts;
  /**
   * From the fault's end until every message sent before it ended had its effect (0 when they all had
   * it already); undefined when one never did. Messages sent after the fault do not count: their
   * effects only say how long the stream went on.
   */
  readonly recoverMs: number | undefined;
  /** False when the time allowed ran out before every effect was written. */
  readonly complete: boolean;
}

const POLL_MS = 200;
/** How long the daemon may take to empty its hands once every effect is there. */
const QUIET_LIMIT_MS = 60_000;
/** A last look after quiet: a duplicate write in flight lands within this. */
const GRACE_MS = 1_000;

export async function settle(stack: Stack, daemon: DaemonProcess | undefined, timeoutMs: number, faultEnd: FaultEnd): Promise<Settled> {
  const deadline = Date.now() + timeoutMs;
  let complete = false;
  for (;;) {
    if (stack.effects.poll() >= stack.effects.expected) {
      complete = true;
      break;
    }
    if (Date.now() > deadline) break;
    await delay(POLL_MS);
  }
  await quiet(stack, daemon);
  await delay(GRACE_MS);
  await stack.misp.settled();
  const caughtUpAt = stack.effects.caughtUpAt(faultEnd.sent);
  return { counts: stack.effects.count(), recoverMs: caughtUpAt === undefined ? undefined : Math.max(0, caughtUpAt - faultEnd.at), complete };
}

async function quiet(stack: Stack, daemon: DaemonProcess | undefined): Promise<void> {
  const until = Date.now() + QUIET_LIMIT_MS;
  while (Date.now() < until && daemon?.running) {
    const inFlight = metricSum(await daemon.metrics().catch(() => []), "misp_enrichd_in_flight");
    const lag = stack.bus.transport === "kafka" ? await (stack.bus as KafkaBus).lag().catch(() => 0) : 0;
    if (inFlight === 0 && spoolDepth(stack.stateDir) === 0 && lag === 0) return;
    await delay(POLL_MS);
  }
}
