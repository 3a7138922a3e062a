import { afterEach, describe, expect, it, vi } from "vitest";
import { getEventListeners } from "node:events";
import { createDeadline, onAbort } from "../src/deadline.js";

describe("createDeadline", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("aborts with a TimeoutError once the time is up, and says it timed out", () => {
    vi.useFakeTimers();
    const deadline = createDeadline(1_000);
    vi.advanceTimersByTime(999);
    expect(deadline.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.timedOut).toBe(true);
    expect((deadline.signal.reason as DOMException).name).toBe("TimeoutError");
  });

  it("aborts with a parent's reason, not as a timeout", () => {
    const parent = new AbortController();
    const other = new AbortController();
    const deadline = createDeadline(60_000, undefined, other.signal, parent.signal);
    parent.abort(new Error("shutdown"));
    expect(deadline.signal.reason).toEqual(new Error("shutdown"));
    expect(deadline.timedOut).toBe(false);
  });

  it("starts aborted under an aborted parent", () => {
    const parent = new AbortController();
    parent.abort("gone");
    expect(createDeadline(60_000, parent.signal).signal.reason).toBe("gone");
  });

  it("lets go of its parents and its timer once cleared", () => {
    vi.useFakeTimers();
    const parent = new AbortController();
    const added = vi.spyOn(parent.signal, "addEventListener");
    const removed = vi.spyOn(parent.signal, "removeEventListener");
    const deadline = createDeadline(1_000, parent.signal);
    deadline.clear();
    expect(removed.mock.calls[0]?.[1]).toBe(added.mock.calls[0]?.[1]);
    parent.abort();
    vi.advanceTimersByTime(5_000);
    expect(deadline.signal.aborted).toBe(false);
  });

  it("aborts on demand with the reason given, once", () => {
    const deadline = createDeadline(60_000);
    deadline.abort(new Error("shutdown"));
    deadline.abort(new Error("again"));
    expect(deadline.signal.reason).toEqual(new Error("shutdown"));
    expect(deadline.timedOut).toBe(false);
  });

  it("has no time limit when given none", () => {
    vi.useFakeTimers();
    const deadline = createDeadline(undefined);
    vi.advanceTimersByTime(365 * 86_400_000);
    expect(deadline.signal.aborted).toBe(false);
    deadline.abort("done");
    expect(deadline.signal.reason).toBe("done");
  });
});

describe("onAbort", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("tells a deadline's watchers the reason, once, without adding a listener to its signal", () => {
    vi.useFakeTimers();
    const deadline = createDeadline(1_000);
    const told: unknown[] = [];
    onAbort(deadline.signal, (reason) => told.push(reason));
    const stop = onAbort(deadline.signal, () => told.push("stopped one"));
    expect(getEventListeners(deadline.signal, "abort")).toHaveLength(0);
    stop();
    vi.advanceTimersByTime(1_000);
    deadline.abort("later");
    expect(told).toHaveLength(1);
    expect((told[0] as DOMException).name).toBe("TimeoutError");
  });

  it("tells a deadline's watchers when a parent aborts it", () => {
    const parent = new AbortController();
    const child = createDeadline(60_000, parent.signal);
    const grandchild = createDeadline(60_000, child.signal);
    const told: unknown[] = [];
    onAbort(grandchild.signal, (reason) => told.push(reason));
    parent.abort("shutdown");
    expect(told).toEqual(["shutdown"]);
    expect(grandchild.signal.reason).toBe("shutdown");
  });

  it("watches any other signal through an abort listener it removes when stopped", () => {
    const controller = new AbortController();
    const told: unknown[] = [];
    const stop = onAbort(controller.signal, (reason) => told.push(reason));
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(1);
    stop();
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    onAbort(controller.signal, (reason) => told.push(reason));
    controller.abort("gone");
    expect(told).toEqual(["gone"]);
  });
});
