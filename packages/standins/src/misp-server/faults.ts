// Faults a MISP shows in production, switched on and off while the stand-in runs (the fault suite,
// faults/): an outage behind its reverse proxy (every request answered 502/503/504, nothing reaches
// MISP) and slow writes (each POST held before MISP handles it, as a loaded database does).

import { setTimeout as delay } from "node:timers/promises";
import { parsePath } from "./dispatch.js";

export type OutageStatus = 502 | 503 | 504;

export interface MispFaults {
  /** Until `recover()`, every request is answered with this status by the proxy in front of MISP. */
  outage(status?: OutageStatus): void;
  /** Ends an outage. */
  recover(): void;
  /** Every write (a POST other than a search) waits this long before MISP handles it; 0 ends it. */
  slowWrites(delayMs: number): void;
}

export interface FaultGate extends MispFaults {
  /**
   * Applies the faults to one request: resolves with the status to answer instead of handling it
   * (an outage, also one that began while a write was held), or undefined to handle it.
   */
  admit(method: string, path: string): Promise<OutageStatus | undefined>;
}

const isWrite = (method: string, path: string): boolean => method === "POST" && !parsePath(path).route.endsWith("/restSearch");

export function createFaultGate(): FaultGate {
  let outageStatus: OutageStatus | undefined;
  let writeDelayMs = 0;
  return {
    outage(status = 503) {
      outageStatus = status;
    },
    recover() {
      outageStatus = undefined;
    },
    slowWrites(delayMs) {
      if (!Number.isFinite(delayMs) || delayMs < 0) throw new RangeError(`slowWrites takes a delay in ms ≥ 0, got ${delayMs}`);
      writeDelayMs = delayMs;
    },
    async admit(method, path) {
      if (outageStatus === undefined && writeDelayMs > 0 && isWrite(method, path)) await delay(writeDelayMs);
      return outageStatus;
    },
  };
}
