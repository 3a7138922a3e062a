// The shape most scenarios share: a steady stream of messages with a fault in its middle. The stream
// runs for `beforeMs + faultMs + afterMs` at `perSecond`; the fault begins after `beforeMs` and ends
// `faultMs` later, whatever the stream is doing.

import { setTimeout as delay } from "node:timers/promises";
import { faultEndsNow, type FaultEnd } from "./settle.js";
import type { Stack } from "./stack.js";

export interface FaultWindow {
  readonly perSecond: number;
  readonly beforeMs: number;
  readonly faultMs: number;
  readonly afterMs: number;
}

export interface Fault {
  /** Starts the fault; what it returns is said in the progress line. */
  begin(): Promise<string>;
  end(): Promise<string>;
}

/** Resolves once the stream is over, with when the fault ended. */
export async function streamThroughFault(stack: Stack, window: FaultWindow, fault: Fault, progress: (text: string) => void): Promise<FaultEnd> {
  const count = Math.round((window.perSecond * (window.beforeMs + window.faultMs + window.afterMs)) / 1000);
  const streaming = stack.stream({ count, perSecond: window.perSecond });
  await delay(window.beforeMs);
  const begun = Date.now();
  progress(`${await fault.begin()} (${stack.sent} sent so far)`);
  await delay(Math.max(0, window.faultMs - (Date.now() - begun)));
  progress(`${await fault.end()} (${stack.sent} sent so far)`);
  const ended = faultEndsNow(stack);
  await streaming;
  return ended;
}
