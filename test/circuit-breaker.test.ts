import { describe, expect, it } from "vitest";
import { createCircuitBreaker, type BreakerVerdict, type CircuitBreaker } from "../src/circuit-breaker.js";
import { errorCode, isRetriable } from "../src/errors.js";
import { createMetrics, type Metrics } from "../src/metrics/metrics.js";
import { captureLogs, type LogCapture } from "./support/log-capture.js";

interface Kit {
  readonly breaker: CircuitBreaker;
  readonly clock: { now: number };
  readonly logs: LogCapture;
  readonly metrics: Metrics;
  /** Wake-ups the breaker scheduled, in ms. */
  readonly wakes: number[];
  /** The wake-up functions, in the same order. */
  readonly wakeUps: (() => void)[];
}

function kit(settings: { failureThreshold?: number; openMs?: number; halfOpenProbes?: number } = {}): Kit {
  const clock = { now: 1_000_000 };
  const logs = captureLogs({ level: "debug" });
  const metrics = createMetrics();
  const wakes: number[] = [];
  const wakeUps: (() => void)[] = [];
  const breaker = createCircuitBreaker({
    peer: "misp",
    failureThreshold: settings.failureThreshold ?? 3,
    openMs: settings.openMs ?? 30_000,
    halfOpenProbes: settings.halfOpenProbes ?? 1,
    logger: logs.logger,
    metrics,
    now: () => clock.now,
    schedule: (ms, wake) => {
      wakes.push(ms);
      wakeUps.push(wake);
      return () => undefined;
    },
  });
  return { breaker, clock, logs, metrics, wakes, wakeUps };
}

const judged = (verdict: BreakerVerdict) => () => verdict;
const fail = (b: CircuitBreaker): Promise<unknown> => b.run(() => Promise.reject(new Error("ECONNREFUSED")), judged("failure")).catch((e: unknown) => e);
const succeed = (b: CircuitBreaker): Promise<unknown> => b.run(() => Promise.resolve("ok"), judged("success"));

describe("the circuit breaker", () => {
  it("opens after the threshold of consecutive failures and then refuses at once with a retriable ENRICHD_CIRCUIT_OPEN", async () => {
    const { breaker, metrics, wakes } = kit();
    await fail(breaker);
    await fail(breaker);
    expect(breaker.state()).toBe("closed");
    await fail(breaker);
    expect(breaker.state()).toBe("open");
    expect(wakes).toEqual([30_000]);
    let called = false;
    const refused = await breaker.run(async () => void (called = true), judged("success")).catch((e: unknown) => e);
    expect(called).toBe(false);
    expect(errorCode(refused)).toBe("ENRICHD_CIRCUIT_OPEN");
    expect(isRetriable(refused)).toBe(true);
    expect((refused as Error).message).toContain("ECONNREFUSED");
    expect(metrics.get("misp_enrichd_breaker_state", { peer: "misp" })).toBe(2);
    expect(metrics.get("misp_enrichd_breaker_rejections_total", { peer: "misp" })).toBe(1);
  });

  it("counts consecutive failures only: one success in between starts the count again", async () => {
    const { breaker } = kit();
    await fail(breaker);
    await fail(breaker);
    await succeed(breaker);
    await fail(breaker);
    await fail(breaker);
    expect(breaker.state()).toBe("closed");
    expect(breaker.status().consecutiveFailures).toBe(2);
  });

  it("lets the given number of probes through once the cool-down is over, and closes on a probe's success", async () => {
    const { breaker, clock, metrics } = kit({ halfOpenProbes: 2 });
    for (let i = 0; i < 3; i++) await fail(breaker);
    clock.now += 29_999;
    expect(breaker.allows()).toBe(false);
    clock.now += 1;
    expect(breaker.state()).toBe("half-open");
    let release!: () => void;
    const slow = breaker.run(() => new Promise<string>((resolve) => (release = () => resolve("ok"))), judged("success"));
    const second = breaker.run(() => new Promise<string>(() => undefined), judged("success"));
    void second;
    expect(breaker.allows()).toBe(false); // both probe slots taken
    expect(errorCode(await breaker.run(async () => "x", judged("success")).catch((e: unknown) => e))).toBe("ENRICHD_CIRCUIT_OPEN");
    release();
    await slow;
    expect(breaker.state()).toBe("closed");
    expect(metrics.get("misp_enrichd_breaker_state", { peer: "misp" })).toBe(0);
    expect(breaker.status().consecutiveFailures).toBe(0);
  });

  it("opens again for a whole cool-down when a probe fails", async () => {
    const { breaker, clock, wakes } = kit();
    for (let i = 0; i < 3; i++) await fail(breaker);
    clock.now += 30_000;
    expect(breaker.state()).toBe("half-open");
    await fail(breaker);
    expect(breaker.state()).toBe("open");
    expect(wakes).toEqual([30_000, 30_000]);
    clock.now += 29_000;
    expect(breaker.state()).toBe("open");
  });

  it("ignores a call its verdict says nothing about, and frees the probe slot it held", async () => {
    const { breaker, clock } = kit();
    for (let i = 0; i < 3; i++) await fail(breaker);
    clock.now += 30_000;
    await breaker.run(() => Promise.reject(new Error("aborted by the caller")), judged("ignore")).catch(() => undefined);
    expect(breaker.state()).toBe("half-open");
    expect(breaker.allows()).toBe(true);
  });

  it("does not take the outcome of a call started before the last change as evidence", async () => {
    const { breaker } = kit();
    let finish!: () => void;
    const early = breaker.run(() => new Promise<string>((resolve) => (finish = () => resolve("late"))), judged("success"));
    for (let i = 0; i < 3; i++) await fail(breaker);
    finish();
    await early;
    expect(breaker.state()).toBe("open");
  });

  it("logs each change of state once, and tells its listeners", async () => {
    const { breaker, clock, logs, metrics } = kit();
    const seen: string[] = [];
    breaker.subscribe((state) => seen.push(state));
    for (let i = 0; i < 5; i++) await fail(breaker);
    clock.now += 30_000;
    breaker.state();
    breaker.state();
    await succeed(breaker);
    expect(seen).toEqual(["open", "half-open", "closed"]);
    expect(logs.lines().map((l) => l.msg).filter((m) => String(m).startsWith("circuit breaker"))).toEqual([
      "circuit breaker opened: calls to misp fail at once for 30000 ms, work is parked in the spool",
      "circuit breaker half-open: probing misp",
      "circuit breaker closed: misp answers again",
    ]);
    expect(metrics.get("misp_enrichd_breaker_transitions_total", { peer: "misp", state: "open" })).toBe(1);
  });

  it("wakes its listeners when the cool-down is over, looking again if its timer fired early", async () => {
    const { breaker, clock, wakes, wakeUps } = kit();
    const seen: string[] = [];
    breaker.subscribe((state) => seen.push(state));
    for (let i = 0; i < 3; i++) await fail(breaker);
    clock.now += 29_998; // the timer fires 2 ms early by the wall clock
    wakeUps[0]?.();
    expect(seen).toEqual(["open"]);
    expect(wakes).toEqual([30_000, 2]);
    clock.now += 2;
    wakeUps[1]?.();
    expect(seen).toEqual(["open", "half-open"]);
  });
});
