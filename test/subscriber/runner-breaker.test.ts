import { describe, expect, it } from "vitest";
import { EnrichdError } from "../../src/errors.js";
import { attributeAdd, handlerOf, runnerKit } from "./helpers.js";

const circuitOpen = (): EnrichdError => new EnrichdError("ENRICHD_CIRCUIT_OPEN", "the misp circuit breaker is open", { details: { peer: "misp" } });

describe("a handler meeting an open circuit breaker", () => {
  it("is parked in the spool at once, without retries", async () => {
    const kit = runnerKit({ retryAttempts: 5 });
    const { message, frame } = attributeAdd();
    let calls = 0;
    const handler = handlerOf(async () => {
      calls++;
      throw circuitOpen();
    });
    expect(await kit.runner.run(handler, message, frame)).toBe("spooled");
    expect(calls).toBe(1);
    expect(kit.sleeps).toEqual([]);
    expect(kit.spooled[0]).toMatchObject({ attempts: 1, error: { code: "ENRICHD_CIRCUIT_OPEN" }, frame: { topic: "misp_json_attribute", receivedAt: frame.receivedAt } });
    expect(kit.logs.find("work parked in the spool")).toHaveLength(1);
    expect(kit.handled.size).toBe(0);
  });

  it("stays in the spool when a re-drive meets the breaker again", async () => {
    const kit = runnerKit();
    const { message, frame } = attributeAdd();
    const handler = handlerOf(async () => {
      throw circuitOpen();
    });
    expect(await kit.runner.run(handler, message, frame, { respool: false })).toBe("retry-later");
    expect(kit.spooled).toEqual([]);
  });
});

describe("the latency histograms", () => {
  it("time each handler run and, for work done, the way from the bus to written", async () => {
    const kit = runnerKit();
    const { message, frame } = attributeAdd();
    await kit.runner.run(handlerOf(async () => undefined), message, { ...frame, receivedAt: Date.now() - 5_000 });
    await kit.runner.run(handlerOf(async (ctx) => ctx.skip("nothing")), message, frame, { ignoreHandled: true });
    expect(kit.metrics.get("misp_enrichd_handler_duration_seconds", { subscriber: "sub" })).toBe(2);
    expect(kit.metrics.get("misp_enrichd_bus_to_written_seconds", { subscriber: "sub" })).toBe(1);
    expect(kit.metrics.snapshot()['misp_enrichd_bus_to_written_seconds_sum{subscriber="sub"}']).toBeGreaterThanOrEqual(5);
  });
});

describe("a re-driven dead letter", () => {
  it("runs even though the handled ledger remembers the attribute", async () => {
    const kit = runnerKit();
    const { message, frame } = attributeAdd();
    let calls = 0;
    const handler = handlerOf(async () => void calls++);
    await kit.runner.run(handler, message, frame);
    expect(await kit.runner.run(handler, message, frame)).toBe("duplicate");
    expect(await kit.runner.run(handler, message, frame, { respool: false, ignoreHandled: true })).toBe("done");
    expect(calls).toBe(2);
  });
});
