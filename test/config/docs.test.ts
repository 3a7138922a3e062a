import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { configKeys } from "../../src/config/keys.js";
import { ENV_OVERRIDES } from "../../src/config/schema.js";
import { ERROR_CODES } from "../../src/errors.js";

const README = readFileSync(join(import.meta.dirname, "../../README.md"), "utf8");
const EXAMPLE = readFileSync(join(import.meta.dirname, "../../config/misp-enrichd.example.yaml"), "utf8");

/** First-column entries of README table rows: "| `x` | ..." → x. */
function tableKeys(): Set<string> {
  return new Set([...README.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1] as string));
}

describe("the README stays in step with the code", () => {
  it("documents every configuration key, and no key that does not exist", () => {
    const documented = [...tableKeys()].filter((k) => /^[a-z]+(\.[a-zA-Z]+)+$|^dryRun$|^rules$/.test(k) && !k.startsWith("ENRICHD_"));
    expect(new Set(documented)).toEqual(new Set(configKeys()));
  });

  it("names the environment override of each key that has one", () => {
    for (const [env, key] of Object.entries(ENV_OVERRIDES)) {
      const row = README.split("\n").find((line) => line.startsWith(`| \`${key}\` |`));
      expect(row, `README row for ${key}`).toContain(`\`${env}\``);
    }
  });

  it("lists every error code with its retry verdict", () => {
    for (const [code, { retriable }] of Object.entries(ERROR_CODES)) {
      const row = README.split("\n").find((line) => line.startsWith(`| \`${code}\` |`));
      expect(row, `README row for ${code}`).toBeDefined();
      expect(row?.split("|")[2]?.trim()).toBe(retriable ? "yes" : "no");
    }
    const documented = [...tableKeys()].filter((k) => k.startsWith("ENRICHD_"));
    expect(new Set(documented)).toEqual(new Set(Object.keys(ERROR_CODES)));
  });

  it("keeps the example config's top-level sections those of the schema", () => {
    const sections = new Set([...EXAMPLE.matchAll(/^([a-zA-Z]+):/gm)].map((m) => m[1]));
    expect(sections).toEqual(new Set(configKeys().map((k) => k.split(".")[0])));
  });
});
