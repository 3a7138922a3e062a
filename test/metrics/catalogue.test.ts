// The metrics catalogue, the code that counts and README's metrics table stay in step: every metric
// the code names is catalogued, every catalogued metric has a README row with its type and labels,
// and README names no metric the daemon does not export.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { METRIC_CATALOGUE, type MetricSpec } from "../../src/metrics/catalogue.js";
import { createMetrics } from "../../src/metrics/metrics.js";

const ROOT = join(import.meta.dirname, "../..");
const README = readFileSync(join(ROOT, "README.md"), "utf8");

/** README rows of the metrics table: name → [type, labels]. */
function readmeRows(): Map<string, { type: string; labels: string[] }> {
  const rows = new Map<string, { type: string; labels: string[] }>();
  for (const m of README.matchAll(/^\| `(misp_enrichd_\w+)` \| (counter|gauge|histogram) \|([^|]*)\|/gm)) {
    rows.set(m[1] as string, { type: m[2] as string, labels: (m[3] as string).split(",").map((l) => l.trim()).filter(Boolean) });
  }
  return rows;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts")).map((f) => join(dir, f));
}

describe("the metrics catalogue", () => {
  it("names every metric the code counts", () => {
    const named = new Set<string>();
    for (const file of sourceFiles(join(ROOT, "src"))) {
      for (const m of readFileSync(file, "utf8").matchAll(/["'`](misp_enrichd_[a-z_]+)["'`]/g)) named.add(m[1] as string);
    }
    const catalogued = new Set(Object.keys(METRIC_CATALOGUE));
    expect([...named].filter((name) => !catalogued.has(name) && !name.endsWith("_"))).toEqual([]);
  });

  it("has a README row for every metric, with its type and labels", () => {
    const rows = readmeRows();
    for (const [name, spec] of Object.entries(METRIC_CATALOGUE) as [string, MetricSpec][]) {
      expect(rows.get(name), `README row for ${name}`).toEqual({ type: spec.type, labels: [...spec.labels] });
    }
  });

  it("and README names no metric the daemon does not export", async () => {
    const metrics = createMetrics();
    metrics.collectProcessMetrics();
    const text = await metrics.renderPrometheus();
    const exported = new Set([...text.matchAll(/^# TYPE (\w+) /gm)].map((m) => m[1]));
    const mentioned = new Set([...README.matchAll(/`(misp_enrichd_\w+)`/g)].map((m) => m[1] as string));
    expect([...mentioned].filter((name) => !exported.has(name))).toEqual([]);
  });
});
