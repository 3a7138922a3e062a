// What `npm pack` publishes: the daemon and nothing else. No stand-in, demo, bench, test or
// workspace file, and every import of the packed code resolves inside the tarball, to Node or to a
// declared dependency (so `misp-enrichd run` cannot reach for the emulator, or for maxmind).

import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, posix } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const MANIFEST = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { bin: Record<string, string>; dependencies: Record<string, string> };

function packedFiles(): string[] {
  const json = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: ROOT, encoding: "utf8" });
  const [pack] = JSON.parse(json) as { files: { path: string }[] }[];
  return (pack?.files ?? []).map((f) => f.path).sort();
}

/** The module specifiers of tsc's ESM output: static imports and re-exports, and literal dynamic imports. */
function specifiers(code: string): string[] {
  const found = [...code.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s*"([^"]+)"|^import\s*"([^"]+)"|\bimport\(\s*"([^"]+)"\s*\)/gm)];
  return found.map((m) => m[1] ?? m[2] ?? m[3] ?? "");
}

/** `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
const packageOf = (specifier: string): string => specifier.split("/").slice(0, specifier.startsWith("@") ? 2 : 1).join("/");

describe("the published package (npm pack --dry-run)", () => {
  let files: string[] = [];
  beforeAll(() => {
    files = packedFiles();
  });

  it("holds only the daemon: built src/ and subscribers/, config, systemd, README", () => {
    expect(files.length).toBeGreaterThan(0);
    expect(files.filter((f) => !/^(dist\/src|dist\/subscribers|config|systemd)\/|^(README\.md|package\.json)$/.test(f))).toEqual([]);
    expect(files.filter((f) => /(^|\/)(standins?|demo|bench|packages|test)(\/|\.|$)/.test(f))).toEqual([]);
  });

  it("holds the bin, the public entry point and every built-in subscriber", () => {
    expect(files).toContain(MANIFEST.bin["misp-enrichd"]);
    expect(files).toEqual(expect.arrayContaining(["dist/src/index.js", "dist/src/index.d.ts", "systemd/misp-enrichd.service", "config/misp-enrichd.example.yaml"]));
    const builtins = readdirSync(join(ROOT, "subscribers")).filter((f) => f.endsWith(".ts"));
    expect(builtins.length).toBeGreaterThan(0);
    for (const source of builtins) expect(files).toContain(`dist/subscribers/${source.replace(/\.ts$/, ".js")}`);
  });

  it("imports nothing but packed files, Node's built-ins and the dependencies package.json declares", () => {
    const packed = new Set(files);
    const allowed = new Set([...Object.keys(MANIFEST.dependencies), ...builtinModules]);
    const outside: string[] = [];
    for (const file of files.filter((f) => f.endsWith(".js"))) {
      for (const specifier of specifiers(readFileSync(join(ROOT, file), "utf8"))) {
        const ok = specifier.startsWith(".")
          ? packed.has(posix.normalize(posix.join(posix.dirname(file), specifier)))
          : specifier.startsWith("node:") || allowed.has(packageOf(specifier));
        if (!ok) outside.push(`${file} imports ${specifier}`);
      }
    }
    expect(outside).toEqual([]);
  });
});
