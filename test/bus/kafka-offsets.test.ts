import { describe, it, expect } from "vitest";
import { createOffsetTracker, type OffsetCommit } from "../../src/bus/kafka-offsets.js";

const offsets = (commits: readonly OffsetCommit[]): Record<string, string> =>
  Object.fromEntries(commits.map((c) => [`${c.topic}/${c.partition}`, c.offset]));

describe("createOffsetTracker", () => {
  it("commits only up to the first unfinished message of a partition", () => {
    const tracker = createOffsetTracker();
    const finish = ["0", "1", "2", "3"].map((offset) => tracker.track("t", 0, offset));
    finish[1]?.();
    finish[3]?.();
    expect(tracker.pendingCommits()).toEqual([]);
    finish[0]?.();
    expect(offsets(tracker.pendingCommits())).toEqual({ "t/0": "2" });
    finish[2]?.();
    expect(offsets(tracker.pendingCommits())).toEqual({ "t/0": "4" });
  });

  it("follows gaps in offsets, as compaction and transaction markers leave them", () => {
    const tracker = createOffsetTracker();
    const a = tracker.track("t", 0, "10");
    const b = tracker.track("t", 0, "17");
    b();
    a();
    expect(offsets(tracker.pendingCommits())).toEqual({ "t/0": "18" });
  });

  it("keeps partitions and topics apart", () => {
    const tracker = createOffsetTracker();
    tracker.track("t", 0, "0")();
    tracker.track("t", 1, "0");
    tracker.track("u", 0, "5")();
    expect(offsets(tracker.pendingCommits())).toEqual({ "t/0": "1", "u/0": "6" });
    expect(tracker.inFlight("t", 1)).toBe(1);
    expect(tracker.inFlight("t", 0)).toBe(0);
    expect(tracker.totalInFlight()).toBe(1);
  });

  it("stops offering a commit once it is marked, and offers the next advance", () => {
    const tracker = createOffsetTracker();
    tracker.track("t", 0, "0")();
    const due = tracker.pendingCommits();
    tracker.markCommitted(due);
    expect(tracker.pendingCommits()).toEqual([]);
    tracker.track("t", 0, "1")();
    expect(offsets(tracker.pendingCommits())).toEqual({ "t/0": "2" });
  });

  it("offers a failed commit again when it was not marked", () => {
    const tracker = createOffsetTracker();
    tracker.track("t", 0, "0")();
    expect(offsets(tracker.pendingCommits())).toEqual({ "t/0": "1" });
    expect(offsets(tracker.pendingCommits())).toEqual({ "t/0": "1" });
  });

  it("never commits for messages of a previous generation, but still counts them in flight", () => {
    const tracker = createOffsetTracker();
    const old = tracker.track("t", 0, "5");
    tracker.newGeneration();
    // Redelivered from the committed offset after the rebalance.
    const again = tracker.track("t", 0, "5");
    old();
    expect(tracker.pendingCommits()).toEqual([]);
    expect(tracker.inFlight("t", 0)).toBe(1);
    again();
    expect(offsets(tracker.pendingCommits())).toEqual({ "t/0": "6" });
  });

  it("ignores a commit mark from a forgotten generation", () => {
    const tracker = createOffsetTracker();
    tracker.track("t", 0, "0")();
    const stale = tracker.pendingCommits();
    tracker.newGeneration();
    tracker.track("t", 0, "0")();
    tracker.markCommitted(stale);
    expect(offsets(tracker.pendingCommits())).toEqual({ "t/0": "1" });
  });

  it("starts over when a partition rewinds, so an old message cannot hold up or skip the new sequence", () => {
    const tracker = createOffsetTracker();
    const first = tracker.track("t", 0, "3");
    tracker.track("t", 0, "1")();
    expect(offsets(tracker.pendingCommits())).toEqual({ "t/0": "2" });
    first();
    expect(offsets(tracker.pendingCommits())).toEqual({ "t/0": "2" });
  });

  it("resolves drained() once the last message in flight finishes, and counts each finish once", async () => {
    const tracker = createOffsetTracker();
    await tracker.drained();
    const a = tracker.track("t", 0, "0");
    const b = tracker.track("t", 0, "1");
    let drained = false;
    const waiting = tracker.drained().then(() => {
      drained = true;
    });
    a();
    a();
    await Promise.resolve();
    expect(drained).toBe(false);
    expect(tracker.totalInFlight()).toBe(1);
    b();
    await waiting;
    expect(drained).toBe(true);
  });

  it("handles offsets beyond 2^53 exactly", () => {
    const tracker = createOffsetTracker();
    tracker.track("t", 0, "9007199254740993")();
    expect(offsets(tracker.pendingCommits())).toEqual({ "t/0": "9007199254740994" });
  });

  it("keeps committing correctly after dropping a long finished prefix", () => {
    const tracker = createOffsetTracker();
    for (let i = 0; i < 3000; i += 1) tracker.track("t", 0, String(i))();
    const last = tracker.track("t", 0, "3000");
    expect(offsets(tracker.pendingCommits())).toEqual({ "t/0": "3000" });
    last();
    expect(offsets(tracker.pendingCommits())).toEqual({ "t/0": "3001" });
  });
});
