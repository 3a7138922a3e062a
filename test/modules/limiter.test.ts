import { describe, it, expect } from "vitest";
import { createLimiter } from "../../src/modules/limiter.js";

/** A task the test finishes by hand. */
function gate<T>(value: T): { task: () => Promise<T>; open: () => void; started: () => boolean } {
  let release: () => void = () => undefined;
  let started = false;
  const opened = new Promise<void>((resolve) => (release = resolve));
  return {
    task: async () => {
      started = true;
      await opened;
      return value;
    },
    open: () => release(),
    started: () => started,
  };
}

describe("createLimiter", () => {
  it("runs at most `concurrency` tasks and starts the rest in arrival order", async () => {
    const limiter = createLimiter(2);
    const gates = [gate("a"), gate("b"), gate("c"), gate("d")];
    const order: string[] = [];
    const runs = gates.map((g, i) => limiter.run(g.task).then((v) => order.push(`${v}${i}`)));
    expect(gates.map((g) => g.started())).toEqual([true, true, false, false]);
    expect([limiter.active, limiter.queued]).toEqual([2, 2]);

    gates[1]?.open();
    await runs[1];
    expect(gates.map((g) => g.started())).toEqual([true, true, true, false]); // c before d
    gates[0]?.open();
    await runs[0];
    expect(gates[3]?.started()).toBe(true);
    gates[2]?.open();
    gates[3]?.open();
    await Promise.all(runs);
    expect(order).toEqual(["b1", "a0", "c2", "d3"]);
    expect([limiter.active, limiter.queued]).toEqual([0, 0]);
  });

  it("frees the slot when a task fails or throws synchronously", async () => {
    const limiter = createLimiter(1);
    await expect(limiter.run(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(
      limiter.run(() => {
        throw new Error("sync");
      }),
    ).rejects.toThrow("sync");
    await expect(limiter.run(async () => "ok")).resolves.toBe("ok");
    expect(limiter.active).toBe(0);
  });

  it("removes a waiting task when its signal aborts, without touching the others", async () => {
    const limiter = createLimiter(1);
    const first = gate(1);
    const running = limiter.run(first.task);
    const controller = new AbortController();
    let abortedStarted = false;
    const aborted = limiter.run(async () => {
      abortedStarted = true;
      return 2;
    }, controller.signal);
    const third = limiter.run(async () => 3);
    expect(limiter.queued).toBe(2);

    controller.abort(new Error("shutdown"));
    await expect(aborted).rejects.toThrow("shutdown");
    expect(limiter.queued).toBe(1);
    first.open();
    await expect(Promise.all([running, third])).resolves.toEqual([1, 3]);
    expect(abortedStarted).toBe(false);
  });

  it("rejects at once when the signal is already aborted", async () => {
    const limiter = createLimiter(1);
    await expect(limiter.run(async () => 1, AbortSignal.abort(new Error("gone")))).rejects.toThrow("gone");
    expect(limiter.active).toBe(0);
  });

  it("clear() rejects every waiting task and lets running ones finish", async () => {
    const limiter = createLimiter(1);
    const first = gate("done");
    const running = limiter.run(first.task);
    const waiting = limiter.run(async () => "never");
    limiter.clear(new Error("closed"));
    await expect(waiting).rejects.toThrow("closed");
    first.open();
    await expect(running).resolves.toBe("done");
  });

  it("refuses a limit that is not a positive integer", () => {
    expect(() => createLimiter(0)).toThrow(RangeError);
    expect(() => createLimiter(1.5)).toThrow(RangeError);
  });
});
