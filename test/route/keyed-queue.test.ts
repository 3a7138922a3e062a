import { describe, it, expect } from "vitest";
import { createKeyedQueue } from "../../src/route/keyed-queue.js";

interface Gate {
  readonly promise: Promise<void>;
  open(): void;
}
function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}
/** Lets every queued microtask and I/O callback run: a turn of the event loop, not a timed wait. */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("createKeyedQueue", () => {
  it("runs one key's tasks strictly in push order, one at a time, under concurrency", async () => {
    const queue = createKeyedQueue({ concurrency: 4, maxPending: 100 });
    const log: string[] = [];
    const running = new Map<string, number>();
    let overlapSeen = false;
    const dones: Promise<unknown>[] = [];
    for (let i = 0; i < 30; i++) {
      const key = `event-${i % 3}`;
      const { done } = await queue.push(key, async () => {
        if ((running.get(key) ?? 0) > 0) overlapSeen = true;
        running.set(key, (running.get(key) ?? 0) + 1);
        log.push(`${key}:${i}`);
        // Uneven task lengths, so a queue that ignored keys would reorder them.
        for (let spin = 0; spin < (i * 7) % 5; spin++) await flush();
        running.set(key, (running.get(key) ?? 1) - 1);
      });
      dones.push(done);
    }
    await Promise.all(dones);
    expect(overlapSeen).toBe(false);
    for (const key of ["event-0", "event-1", "event-2"]) {
      const order = log.filter((entry) => entry.startsWith(`${key}:`)).map((entry) => Number(entry.split(":")[1]));
      expect(order).toEqual([...order].sort((a, b) => a - b));
      expect(order).toHaveLength(10);
    }
  });

  it("overlaps different keys up to the concurrency limit and no further", async () => {
    const queue = createKeyedQueue({ concurrency: 3, maxPending: 100 });
    const release = gate();
    let active = 0;
    let maxActive = 0;
    const dones: Promise<unknown>[] = [];
    for (let i = 0; i < 8; i++) {
      const { done } = await queue.push(`key-${i}`, async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        await release.promise;
        active--;
      });
      dones.push(done);
    }
    await flush();
    expect(active).toBe(3);
    release.open();
    await Promise.all(dones);
    expect(maxActive).toBe(3);
  });

  it("makes push wait while maxPending tasks are unfinished (backpressure)", async () => {
    const queue = createKeyedQueue({ concurrency: 1, maxPending: 2 });
    const first = gate();
    const { done: firstDone } = await queue.push("a", () => first.promise);
    await queue.push("b", async () => {});
    let thirdAccepted = false;
    const third = queue.push("c", async () => "third").then((accepted) => {
      thirdAccepted = true;
      return accepted;
    });
    await flush();
    expect(thirdAccepted).toBe(false);
    expect(queue.size()).toBe(2);
    first.open();
    await firstDone;
    const { done } = await third;
    expect(thirdAccepted).toBe(true);
    expect(await done).toBe("third");
    await queue.idle();
    expect(queue.size()).toBe(0);
  });

  it("accepts waiting pushes in push order, keeping same-key order across the wait", async () => {
    const queue = createKeyedQueue({ concurrency: 2, maxPending: 1 });
    const order: number[] = [];
    const pushes = [0, 1, 2, 3].map((i) => queue.push("same", async () => void order.push(i)));
    const accepted = await Promise.all(pushes);
    await Promise.all(accepted.map((a) => a.done));
    expect(order).toEqual([0, 1, 2, 3]);
  });

  it("surfaces a task's error on done and keeps running the key's later tasks", async () => {
    const queue = createKeyedQueue({ concurrency: 2, maxPending: 10 });
    const failing = await queue.push("k", async () => {
      throw new Error("module down");
    });
    const throwingSync = await queue.push("k", (() => {
      throw new TypeError("sync bug");
    }) as () => Promise<never>);
    const after = await queue.push("k", async () => "still running");
    await expect(failing.done).rejects.toThrow("module down");
    await expect(throwingSync.done).rejects.toThrow(TypeError);
    await expect(after.done).resolves.toBe("still running");
  });

  it("says a key is busy from its first accepted task until its last one finished", async () => {
    const queue = createKeyedQueue({ concurrency: 1, maxPending: 10 });
    const first = gate();
    const second = gate();
    const a1 = await queue.push("a", () => first.promise);
    const b = await queue.push("b", () => second.promise);
    expect([queue.busy("a"), queue.busy("b"), queue.busy("c")]).toEqual([true, true, false]);
    first.open();
    await a1.done;
    await flush();
    expect([queue.busy("a"), queue.busy("b")]).toEqual([false, true]);
    second.open();
    await b.done;
    await flush();
    expect(queue.busy("b")).toBe(false);
  });

  it("resolves idle only when every accepted task has finished", async () => {
    const queue = createKeyedQueue({ concurrency: 2, maxPending: 10 });
    await queue.idle();
    const hold = gate();
    await queue.push("a", () => hold.promise);
    let idle = false;
    const idlePromise = queue.idle().then(() => {
      idle = true;
    });
    await flush();
    expect(idle).toBe(false);
    hold.open();
    await idlePromise;
    expect(idle).toBe(true);
  });

  it("on close, refuses new and waiting pushes, finishes accepted ones and returns the same promise", async () => {
    const queue = createKeyedQueue({ concurrency: 1, maxPending: 1 });
    const hold = gate();
    let finished = false;
    await queue.push("a", async () => {
      await hold.promise;
      finished = true;
    });
    const waiting = queue.push("b", async () => {});
    const closed = queue.close();
    expect(queue.close()).toBe(closed);
    await expect(waiting).rejects.toMatchObject({ name: "AbortError" });
    await expect(queue.push("c", async () => {})).rejects.toMatchObject({ name: "AbortError" });
    hold.open();
    await closed;
    expect(finished).toBe(true);
  });

  it("on abort, drops queued tasks with the reason and passes the aborted signal to running ones", async () => {
    const controller = new AbortController();
    const queue = createKeyedQueue({ concurrency: 1, maxPending: 10, signal: controller.signal });
    let seen: AbortSignal | undefined;
    const running = await queue.push("a", (signal) => {
      seen = signal;
      return new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
    });
    const queued = await queue.push("b", async () => "never");
    await flush();
    controller.abort(new Error("shutdown"));
    await expect(queued.done).rejects.toThrow("shutdown");
    await expect(running.done).rejects.toThrow("shutdown");
    expect(seen?.aborted).toBe(true);
    await queue.idle();
    await expect(queue.push("c", async () => {})).rejects.toThrow("shutdown");
  });

  it("refuses options that are not positive integers", () => {
    expect(() => createKeyedQueue({ concurrency: 0, maxPending: 1 })).toThrow(expect.objectContaining({ code: "ENRICHD_CONFIG_INVALID" }));
    expect(() => createKeyedQueue({ concurrency: 1, maxPending: 1.5 })).toThrow(/maxPending must be a positive integer/);
  });
});
