import { afterEach, describe, expect, it, vi } from "vitest";
import { createDeadline } from "../src/deadline.js";

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
});
