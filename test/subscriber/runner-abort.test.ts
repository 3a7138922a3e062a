import { getEventListeners, once } from "node:events";
import { describe, expect, it } from "vitest";
import { isRetriable } from "../../src/errors.js";
import { attributeAdd, handlerOf, runnerKit } from "./helpers.js";

/**
 * A handler that never finishes on its own: it ends when its signal aborts, with the signal's reason.
 * Its signals are held here: a composite AbortSignal that only a pending listener refers to may be
 * garbage-collected before its timeout fires (real handlers are held by their sockets).
 */
const held: AbortSignal[] = [];
const hanging = handlerOf(async (ctx) => {
  held.push(ctx.signal);
  if (!ctx.signal.aborted) await once(ctx.signal, "abort");
  throw ctx.signal.reason;
});

describe("an aborted handler", () => {
  it("is an error nothing retries by itself: an AbortError has no code", () => {
    expect(isRetriable(new DOMException("This operation was aborted", "AbortError"))).toBe(false);
  });

  it("is tried again when its own timeout aborted it, then dead-lettered", async () => {
    const kit = runnerKit({ handlerTimeoutMs: 20 });
    const { message, frame } = attributeAdd();
    expect(await kit.runner.run(hanging, message, frame)).toBe("dead-lettered");
    expect(kit.sleeps).toHaveLength(2); // three attempts
    expect(kit.spooled).toEqual([]);
  });

  it("is spooled, not retried, when the daemon stops under it", async () => {
    const shutdown = new AbortController();
    const kit = runnerKit({ shutdown: shutdown.signal });
    const { message, frame } = attributeAdd();
    const running = kit.runner.run(hanging, message, frame);
    shutdown.abort();
    expect(await running).toBe("spooled");
    expect(kit.sleeps).toEqual([]);
    expect(kit.deadLetters).toEqual([]);
  });

  it("leaves nothing per run attached to the daemon's shutdown signal", async () => {
    const shutdown = new AbortController();
    const kit = runnerKit({ shutdown: shutdown.signal });
    const { message, frame } = attributeAdd();
    const attached = (): { kept: number; listeners: number } => {
      // Node 20's AbortSignal.any keeps one reference per derived signal on the source, for good.
      const dependants = Object.getOwnPropertySymbols(shutdown.signal).find((s) => s.description === "kDependantSignals");
      const kept = dependants === undefined ? 0 : ((shutdown.signal as unknown as Record<symbol, Set<unknown> | undefined>)[dependants]?.size ?? 0);
      return { kept, listeners: getEventListeners(shutdown.signal, "abort").length };
    };
    // Distinct subscribers, so that the handled-ledger lets every run through.
    expect(await kit.runner.run(handlerOf(async () => undefined, "sub-first"), message, frame)).toBe("done");
    const afterOne = attached();
    for (let i = 0; i < 50; i++) expect(await kit.runner.run(handlerOf(async () => undefined, `sub-${i}`), message, frame)).toBe("done");
    expect(attached()).toEqual(afterOne);
    expect(afterOne.kept).toBe(0);
  });
});
