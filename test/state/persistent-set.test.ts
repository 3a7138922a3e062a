import { appendFileSync, mkdtempSync, rmSync, readFileSync } from "node:fs";
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
