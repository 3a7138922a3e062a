import { describe, expect, it } from "vitest";
import { createLabelCache } from "../../src/metrics/labels.js";
import { createMetrics } from "../../src/metrics/metrics.js";

describe("createLabelCache", () => {
  it("hands out one frozen object per set of values, counted as the same series", () => {
    const labels = createLabelCache();
    const a = labels({ endpoint: "objects/add", outcome: "ok" });
    expect(labels({ endpoint: "objects/add", outcome: "ok" })).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(labels({ endpoint: "objects/add", outcome: "exists" })).not.toBe(a);
    expect(labels({ endpoint: "objects/add\u0000outcome", outcome: "" })).not.toBe(a);
    const metrics = createMetrics();
    metrics.inc("m_total", a);
    metrics.inc("m_total", { endpoint: "objects/add", outcome: "ok" });
    expect(metrics.get("m_total", { outcome: "ok", endpoint: "objects/add" })).toBe(2);
  });
});

describe("createLabelCache, its lookup", () => {
  it("tells apart values that a joined key could confuse, and label sets that are prefixes of others", () => {
    const labels = createLabelCache();
    const sets: Readonly<Record<string, string>>[] = [{}, { a: "" }, { a: "x" }, { a: "x", b: "" }, { a: "x", b: "y" }, { a: "x\u0000b", b: "y" }, { a: "xy" }, { b: "x" }, { a: "x", b: "y", c: "z" }];
    const first = sets.map((set) => labels(set));
    expect(new Set(first).size).toBe(sets.length);
    sets.forEach((set, i) => {
      const again = labels({ ...set });
      expect(again).toBe(first[i]);
      expect(again).toEqual(set);
    });
  });
});
