import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { createPersistentSet } from "../../src/state/persistent-set.js";

describe("persistent set", () => {
  it("drops expired entries on load and survives a torn last line", () => {
    const file = join(mkdtempSync(join(tmpdir(), "enrichd-set-")), "s.jsonl");
    onTestFinished(() => rmSync(join(file, ".."), { recursive: true, force: true }));
    let t = 1_000_000;
    const set = createPersistentSet({ file, ttlSeconds: 10, now: () => t });
    set.add("old");
    t += 5_000;
    set.add("new");
    appendFileSync(file, '{"v":"torn","e":');
    t += 6_000; // "old" expired, "new" still live
    const reloaded = createPersistentSet({ file, ttlSeconds: 10, now: () => t });
    expect(reloaded.has("old")).toBe(false);
    expect(reloaded.has("new")).toBe(true);
    expect(reloaded.size).toBe(1);
    expect(readFileSync(file, "utf8").trim().split("\n")).toHaveLength(1);
  });
});

describe("persistent set, while running", () => {
  it("keeps its file and its memory proportional to the live entries, however many were added", () => {
    const file = join(mkdtempSync(join(tmpdir(), "enrichd-set-")), "s.jsonl");
    onTestFinished(() => rmSync(join(file, ".."), { recursive: true, force: true }));
    let t = 1_000_000;
    const set = createPersistentSet({ file, ttlSeconds: 1, now: () => t });
    // 50 000 distinct values, 100 per simulated 100 ms: about 1 000 are alive at any time.
    for (let i = 0; i < 50_000; i++) {
      set.add(`value-${i}`);
      if (i % 100 === 99) t += 100;
    }
    const lines = readFileSync(file, "utf8").split("\n").filter(Boolean).length;
    // Compaction keeps at most 10 000 appends (or as many as it kept) beyond the live entries.
    expect(lines).toBeLessThan(12_500);
    expect(set.size).toBeLessThan(12_500);
    expect(set.has("value-49999")).toBe(true);
    expect(set.has("value-0")).toBe(false);
    set.close();
    const reloaded = createPersistentSet({ file, ttlSeconds: 1, now: () => t });
    expect(reloaded.has("value-49999")).toBe(true);
    expect(reloaded.size).toBeLessThanOrEqual(1_000);
    reloaded.close();
  });

  it("opens read-only beside the daemon that owns the file: reads it, never writes it", () => {
    const dir = mkdtempSync(join(tmpdir(), "enrichd-set-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "own.jsonl");
    const owner = createPersistentSet({ file, ttlSeconds: 60 });
    owner.addAll(["written-before"]);
    const before = readFileSync(file, "utf8");
    const reader = createPersistentSet({ file, ttlSeconds: 60, readOnly: true });
    expect(reader.has("written-before")).toBe(true);
    reader.add("added-by-the-reader");
    expect(reader.has("added-by-the-reader")).toBe(true);
    expect(readFileSync(file, "utf8")).toBe(before);
    owner.add("written-after");
    expect(reader.has("written-after")).toBe(false);
    owner.close();
    reader.close();
    expect(createPersistentSet({ file: join(dir, "missing", "none.jsonl"), ttlSeconds: 60, readOnly: true }).size).toBe(0);
    expect(existsSync(join(dir, "missing"))).toBe(false);
  });

  it("goes on in memory when its file cannot be written (a full disk: ENOSPC), and says so once each way", () => {
    const dir = mkdtempSync(join(tmpdir(), "enrichd-set-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "own.jsonl");
    const before = createPersistentSet({ file, ttlSeconds: 60 });
    before.add("from-before");
    before.close();
    // The start-up compaction rewrites the file (not empty) through this link: /dev/full answers ENOSPC.
    symlinkSync("/dev/full", `${file}.tmp`);
    const states: unknown[] = [];
    const set = createPersistentSet({ file, ttlSeconds: 60, onWriteState: (failure) => states.push(failure) });
    expect(states).toHaveLength(1);
    expect((states[0] as NodeJS.ErrnoException).code).toBe("ENOSPC");
    expect(set.has("from-before")).toBe(true);
    // The old file is kept and appended to: the first append after the failure works again.
    set.add("after");
    expect(set.has("after")).toBe(true);
    expect(states).toEqual([states[0], undefined]);
    set.close();
    const reloaded = createPersistentSet({ file, ttlSeconds: 60 });
    expect(reloaded.has("from-before") && reloaded.has("after")).toBe(true);
    reloaded.close();
  });
});

describe("persistent set with a bound", () => {
  it("forgets the oldest entries beyond maxEntries, in memory and in its file, and keeps a re-added one", () => {
    const file = join(mkdtempSync(join(tmpdir(), "enrichd-set-")), "s.jsonl");
    onTestFinished(() => rmSync(join(file, ".."), { recursive: true, force: true }));
    const set = createPersistentSet({ file, ttlSeconds: 86_400, maxEntries: 1_000 });
    for (let i = 0; i < 30_000; i++) {
      set.add(`value-${i}`);
      if (i % 1_000 === 0) set.add("value-kept"); // used again and again: never the oldest
    }
    expect(set.size).toBe(1_000);
    expect(set.has("value-0")).toBe(false);
    expect(set.has("value-29999")).toBe(true);
    expect(set.has("value-kept")).toBe(true);
    expect(readFileSync(file, "utf8").split("\n").filter(Boolean).length).toBeLessThan(12_500);
    set.close();
    const reloaded = createPersistentSet({ file, ttlSeconds: 86_400, maxEntries: 500 });
    expect(reloaded.size).toBe(500);
    expect(reloaded.has("value-29999")).toBe(true);
    reloaded.close();
  });

  it("moves a value added again while it is held to the newest place: the oldest by their last add go first", () => {
    const set = createPersistentSet({ ttlSeconds: 86_400, maxEntries: 3 });
    set.addAll(["a", "b", "c"]);
    set.add("a"); // held: moved behind c
    set.add("d"); // one too many: b, now the oldest, goes
    expect(["a", "b", "c", "d"].filter((v) => set.has(v))).toEqual(["a", "c", "d"]);
    set.addAll(["c", "e"]); // c moved, then e: a goes
    expect(["a", "c", "d", "e"].filter((v) => set.has(v))).toEqual(["c", "d", "e"]);
  });
});

describe("persistent set, batched", () => {
  it("writes the adds of one event-loop turn in one append on the next turn, and the rest on close", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "enrichd-set-")), "s.jsonl");
    onTestFinished(() => rmSync(join(file, ".."), { recursive: true, force: true }));
    const set = createPersistentSet({ file, ttlSeconds: 60, batch: true });
    set.add("a");
    set.addAll(["b", "c"]);
    expect(set.has("b")).toBe(true);
    expect(readFileSync(file, "utf8")).toBe("");
    await new Promise((resolve) => setImmediate(resolve));
    expect(readFileSync(file, "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { v: string }).v)).toEqual(["a", "b", "c"]);
    set.add("d");
    set.close();
    const reloaded = createPersistentSet({ file, ttlSeconds: 60, readOnly: true });
    expect(["a", "b", "c", "d"].every((v) => reloaded.has(v))).toBe(true);
  });
});

describe("persistent set, its lines", () => {
  it("writes each value as JSON.stringify would, whatever characters it holds, and reads every one back", () => {
    const file = join(mkdtempSync(join(tmpdir(), "enrichd-set-")), "s.jsonl");
    onTestFinished(() => rmSync(join(file, ".."), { recursive: true, force: true }));
    const t = 1_700_000_000_000;
    const values = ["geolocation|5e0a2d3c-2f1e-4e5a-9a0b-1c2d3e4f5a6b", 'a "quoted" one', "back\\slash", "tab\tnew\nline\u0000nul\u001f", "lone \ud800 high", "lone \udc00 low", "pair 😀", "é ü ß", "\u2028\u2029", ""];
    const set = createPersistentSet({ file, ttlSeconds: 60, now: () => t });
    set.addAll(values);
    set.close();
    const expected = values.map((v) => `{"v":${JSON.stringify(v)},"e":${t + 60_000}}\n`).join("");
    expect(readFileSync(file, "utf8")).toBe(expected);
    const reloaded = createPersistentSet({ file, ttlSeconds: 60, now: () => t, readOnly: true });
    expect(values.filter((v) => !reloaded.has(v))).toEqual([]);
  });
});

describe("persistent set compaction", () => {
  it("rewrites every line as JSON.stringify would, across buffer boundaries and for a value longer than the buffer", () => {
    const file = join(mkdtempSync(join(tmpdir(), "enrichd-set-")), "s.jsonl");
    onTestFinished(() => rmSync(join(file, ".."), { recursive: true, force: true }));
    const t = 1_700_000_000_000;
    const values = [
      ...Array.from({ length: 3_000 }, (_, i) => `geolocation|${String(i).padStart(8, "0")}-2f1e-4e5a-9a0b-1c2d3e4f5a6b`),
      'a "quoted" one',
      "\u0001".repeat(10_000), // six bytes each once escaped: 60 KB of line from 10,000 characters
      "é ü ß 😀 lone \ud800",
      "x".repeat(70_000),
      "é".repeat(40_000),
      "after the long ones",
    ];
    const first = createPersistentSet({ file, ttlSeconds: 60, now: () => t });
    first.addAll(values.slice(0, 1_500));
    first.addAll(values.slice(1_500));
    first.close();
    // Opening a set compacts its file.
    const reopened = createPersistentSet({ file, ttlSeconds: 60, now: () => t + 1 });
    reopened.close();
    const expected = values.map((v) => `{"v":${JSON.stringify(v)},"e":${t + 60_000}}\n`).join("");
    expect(readFileSync(file, "utf8")).toBe(expected);
  });
});

describe("persistent set with a peer", () => {
  it("sees what the peer appended from the next turn of the event loop on, through every miss", async () => {
    const dir = mkdtempSync(join(tmpdir(), "enrichd-set-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const peer = join(dir, "peer.jsonl");
    const set = createPersistentSet({ file: join(dir, "own.jsonl"), ttlSeconds: 60, peers: [peer] });
    onTestFinished(() => set.close());
    const expiry = Date.now() + 60_000;
    appendFileSync(peer, `{"v":"first","e":${expiry}}\n`);
    expect(set.has("first")).toBe(true);
    for (const value of ["second", "third"]) {
      expect(set.has(value)).toBe(false);
      appendFileSync(peer, `{"v":${JSON.stringify(value)},"e":${expiry}}\n`);
      await new Promise((resolve) => setImmediate(resolve));
      expect(set.has(value)).toBe(true);
    }
  });
});
