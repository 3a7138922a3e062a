// The hand reader of misp_standard answers must mean what the schema means: on every sample it reads
// the answer, and on thousands of mutated answers it either gives up or agrees with the schema.

import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readStandardBySchema } from "../../src/modules/result.js";
import { readStandardFast } from "../../src/modules/standard-fast.js";
import { prng } from "@misp-enrichd/standins";

const DIRS = ["../fixtures/modules/pypi-3.1.0/", "../fixtures/modules/3.0.9/"].map((d) => new URL(d, import.meta.url));

/** Every recorded misp_standard `results` object. */
function samples(): { name: string; results: Record<string, unknown> }[] {
  const out = [];
  for (const dir of DIRS) {
    for (const name of readdirSync(dir).filter((n) => n.endsWith(".response.json"))) {
      const body = JSON.parse(readFileSync(new URL(name, dir), "utf8")) as { results?: unknown };
      if (typeof body.results === "object" && body.results !== null && !Array.isArray(body.results)) out.push({ name, results: body.results as Record<string, unknown> });
    }
  }
  return out;
}

const ODD_VALUES: readonly unknown[] = [null, undefined, "", "custom comment", 0, 1, "1", "0", "true", "false", true, false, 8.5, [], {}, ["x"], { name: "tlp:white" }, { name: "" }, "text"];

/** Replaces one random leaf or member somewhere in the value with an odd one (or deletes it). */
function mutate(value: unknown, random: () => number): unknown {
  const copy = structuredClone(value) as Record<string, unknown>;
  const containers: Record<string, unknown>[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === "object" && v !== null) {
      containers.push(v as Record<string, unknown>);
      for (const child of Object.values(v)) walk(child);
    }
  };
  walk(copy);
  const target = containers[Math.floor(random() * containers.length)] as Record<string, unknown>;
  const keys = Object.keys(target);
  const key = keys.length === 0 || random() < 0.1 ? ["Tag", "comment", "to_ids", "category", "value", "name", "object_relation"][Math.floor(random() * 7)] as string : (keys[Math.floor(random() * keys.length)] as string);
  if (random() < 0.15) delete target[key];
  else target[key] = ODD_VALUES[Math.floor(random() * ODD_VALUES.length)];
  return copy;
}

describe("readStandardFast", () => {
  it("reads every recorded answer, exactly as the schema does", () => {
    const all = samples();
    expect(all.length).toBeGreaterThanOrEqual(5);
    for (const { name, results } of all) {
      const schema = readStandardBySchema(results);
      expect(schema.ok, name).toBe(true);
      expect(readStandardFast(results), name).toEqual(schema.ok ? schema.value : undefined);
    }
  });

  it("gives up, or agrees with the schema, on 5,000 mutated answers", () => {
    const random = prng(0xfa57);
    const all = samples();
    let read = 0;
    for (let i = 0; i < 5_000; i++) {
      const base = all[i % all.length]?.results ?? {};
      let results = mutate(base, random) as Record<string, unknown>;
      if (random() < 0.5) results = mutate(results, random) as Record<string, unknown>;
      const fast = readStandardFast(results);
      if (fast === undefined) continue;
      read++;
      const schema = readStandardBySchema(results);
      expect(schema.ok, JSON.stringify(results).slice(0, 300)).toBe(true);
      expect(fast).toEqual(schema.ok ? schema.value : undefined);
    }
    // Most single mutations leave a readable answer: the comparison above ran, it did not pass vacuously.
    expect(read).toBeGreaterThan(1_500);
  });
});
