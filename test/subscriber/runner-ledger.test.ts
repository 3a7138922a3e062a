import { describe, expect, it } from "vitest";
import { EnrichdError, PermanentError } from "../../src/errors.js";
import { attributeAdd, handlerOf, runnerKit } from "./helpers.js";

const nxdomain = (): EnrichdError =>
  new EnrichdError("ENRICHD_MODULE_NOTHING_FOUND", "module dns found nothing for nowhere.example: NXDOMAIN", {
    details: { module: "dns", moduleMessage: "NXDOMAIN" },
  });

/** A handler that throws what `fail` gives, and counts its calls. */
function throwing(fail: () => unknown) {
  const calls = { n: 0 };
  const handler = handlerOf(async () => {
    calls.n++;
    throw fail();
  });
  return { handler, calls };
}

describe("the handled ledger and permanent answers", () => {
  it("skips a message whose module found nothing, with the module's words, and never asks again", async () => {
    const kit = runnerKit();
    const { handler, calls } = throwing(nxdomain);
    const { message, frame } = attributeAdd();
    expect(await kit.runner.run(handler, message, frame)).toBe("skipped");
    expect(kit.logs.find("message skipped")[0]).toMatchObject({ reason: "module dns found nothing for nowhere.example: NXDOMAIN" });
    expect(kit.deadLetters).toEqual([]);
    expect(kit.sleeps).toEqual([]);
    expect(kit.metrics.get("misp_enrichd_handler_runs_total", { subscriber: "sub", outcome: "skipped" })).toBe(1);

    // The next backfill or redelivery of the same attribute add.
    expect(await kit.runner.run(handler, message, frame)).toBe("duplicate");
    expect(calls.n).toBe(1);
  });

  it("remembers an attribute dead-lettered for good, so that a redelivery does not query again", async () => {
    const kit = runnerKit();
    const { handler, calls } = throwing(() => new EnrichdError("ENRICHD_MODULE_ERROR", "module dns failed: DNS resolving error"));
    const { message, frame } = attributeAdd();
    expect(await kit.runner.run(handler, message, frame)).toBe("dead-lettered");
    expect(kit.deadLetters).toHaveLength(1);
    expect(kit.handled.has(`sub|${message.kind === "attribute" ? message.attribute.uuid : ""}`)).toBe(true);
    expect(await kit.runner.run(handler, message, frame)).toBe("duplicate");
    expect(calls.n).toBe(1);
    expect(kit.deadLetters).toHaveLength(1);
  });

  it("remembers per subscriber: another subscriber still handles the same attribute", async () => {
    const kit = runnerKit();
    const { message, frame } = attributeAdd();
    expect(await kit.runner.run(throwing(() => new PermanentError("no")).handler, message, frame)).toBe("dead-lettered");
    const other = handlerOf(async () => undefined, "other");
    expect(await kit.runner.run(other, message, frame)).toBe("done");
  });

  it("does not remember work that failed for a reason a retry may fix, even when the spool could not keep it", async () => {
    const kit = runnerKit({
      spool: {
        dir: "spool",
        put: async () => {
          throw new Error("disk full");
        },
        list: async () => [],
        remove: async () => undefined,
        count: async () => 0,
        usage: () => ({ entries: 0, bytes: 0, full: false }),
        refresh: async () => ({ entries: 0, bytes: 0, full: false }),
      },
    });
    const { handler, calls } = throwing(() => new EnrichdError("ENRICHD_MODULE_UNAVAILABLE", "misp-modules answered HTTP 503"));
    const { message, frame } = attributeAdd();
    expect(await kit.runner.run(handler, message, frame)).toBe("dead-lettered");
    expect(kit.handled.size).toBe(0);
    await kit.runner.run(handler, message, frame);
    expect(calls.n).toBe(6); // three attempts each time
  });
});
