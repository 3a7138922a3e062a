// What /healthz and /readyz say about a running daemon, judged from what it already knows: the
// bus's status, each peer's circuit breaker, the spool. Health follows the daemon's own calls (it
// probes nothing): with no traffic, the periodic gap backfill is what still calls MISP.

import type { BusStatus } from "./bus/types.js";
import type { BreakerStatus } from "./circuit-breaker.js";
import type { Verdict } from "./metrics/server.js";
import type { SpoolUsage } from "./state/spool.js";

export interface HealthFacts {
  readonly now: number;
  /** Undefined until the daemon runs a bus. */
  readonly bus?: { readonly transport: string; readonly status: BusStatus; readonly startedAt: number };
  /** ZeroMQ: MISP heartbeats every 10 s, so a silence longer than this means the publisher is gone. */
  readonly busSilenceMs: number;
  readonly breakers: readonly BreakerStatus[];
  readonly spool: SpoolUsage;
  readonly stopping: boolean;
}

export function judgeHealth(facts: HealthFacts): Verdict {
  const reasons: string[] = [];
  const { bus } = facts;
  if (facts.stopping) reasons.push("stopping");
  if (bus === undefined) {
    reasons.push("bus not started");
  } else if (bus.transport === "zmq") {
    const since = bus.status.lastFrameAt || bus.startedAt;
    const silentMs = facts.now - since;
    if (silentMs > facts.busSilenceMs) reasons.push(`bus silent for ${Math.round(silentMs / 1000)} s (no message, no misp_json_self heartbeat)`);
  } else if (bus.transport === "kafka" && !bus.status.connected && facts.now - bus.startedAt > facts.busSilenceMs) {
    reasons.push("kafka consumer not in its group");
  }
  for (const b of facts.breakers) {
    if (b.state === "open") reasons.push(`${b.peer} circuit breaker open (${b.consecutiveFailures} consecutive failures; last: ${b.lastError ?? "?"})`);
    else if (b.state === "half-open") reasons.push(`${b.peer} circuit breaker half-open: probing after failures (last: ${b.lastError ?? "?"})`);
    else if (b.consecutiveFailures > 0) reasons.push(`${b.peer} unreachable: the last ${b.consecutiveFailures} call(s) failed (${b.lastError ?? "?"})`);
  }
  if (facts.spool.full) reasons.push(`spool full (${facts.spool.entries} entries, ${facts.spool.bytes} bytes): new work is held`);
  return { ok: reasons.length === 0, reasons };
}

export function judgeReadiness(facts: Pick<HealthFacts, "bus" | "stopping">): Verdict {
  if (facts.stopping) return { ok: false, reasons: ["stopping"] };
  if (facts.bus === undefined) return { ok: false, reasons: ["starting: subscribers loaded, bus not started"] };
  if (!facts.bus.status.connected && facts.bus.status.lastFrameAt === 0) return { ok: false, reasons: [`starting: ${facts.bus.transport} bus not connected yet`] };
  return { ok: true, reasons: [] };
}
