import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "../support/harness.js";

describe("a module that finds nothing", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it("skips the attribute (dns NXDOMAIN), and after a restart does not ask the module about it again", async () => {
    h = await startHarness({ overrides: { "subscribers.settings": { enrich: { enabled: true, options: { module: "dns", types: ["hostname"] } } } } });
    const event = h.misp.seedEvent();
    const source = h.misp.seedAttribute(event.uuid, { type: "hostname", value: "nowhere.invalid" });
    await h.publish(source.message.topic, source.message.payload);
    await h.settle();

    expect(h.counter("misp_enrichd_handler_runs_total", { subscriber: "enrich", outcome: "skipped" })).toBe(1);
    expect(h.logs.find("message skipped")[0]).toMatchObject({ sub: "enrich", reason: "module dns found nothing for nowhere.invalid: NXDOMAIN" });
    expect(h.logs.find("handler failed permanently")).toEqual([]);
    expect(existsSync(join(h.stateDir, "dead-letters")) ? readdirSync(join(h.stateDir, "dead-letters")) : []).toEqual([]);
    expect(h.modules?.queryCount("dns")).toBe(1);

    // A new process gets the same attribute add again (a backfill overlap, a redelivery).
    await h.restartDaemon();
    await h.publish(source.message.topic, source.message.payload);
    await h.settle();
    expect(h.counter("misp_enrichd_handler_runs_total", { subscriber: "enrich", outcome: "duplicate" })).toBe(1);
    expect(h.modules?.queryCount("dns")).toBe(1);
    expect(h.restCalls({ writesOnly: true })).toEqual([]);
  });
});
