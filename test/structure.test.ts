// The layout rules of src/, read from the import statements themselves: no cycle between its
// top-level folders (a folder may lean on the ones before it in the pipeline, never back), and the
// daemon imports nothing from the stand-ins or the demo.

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");
const SRC = join(ROOT, "src");

/** Where the stand-ins and the demo live (packages/standins): never imported by the daemon. */
const STANDIN_DIR = /(^|\/)(standin|demo)\//;
const STANDIN_PACKAGE = /stand-?in|demo/i;

interface Import {
  /** Importing file, relative to the repository root, with `/`. */
  readonly from: string;
  readonly specifier: string;
  /** Target relative to the repository root, for relative specifiers. */
  readonly to?: string;
}

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^;]*?\sfrom\s*["']([^"']+)["']|(?:^|[\s;(])import\s*\(\s*["']([^"']+)["']\s*\)|^\s*import\s*["']([^"']+)["']/gm;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(".ts") && !name.endsWith(".d.ts"))
    .map((name) => join(dir, name));
}

function posix(path: string): string {
  return path.split(sep).join("/");
}

/** Every static import, re-export and literal dynamic import of the files given. */
function importsOf(files: readonly string[]): Import[] {
  const out: Import[] = [];
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(IMPORT)) {
      const specifier = (match[1] ?? match[2] ?? match[3]) as string;
      const from = posix(relative(ROOT, file));
      if (!specifier.startsWith(".")) {
        out.push({ from, specifier });
        continue;
      }
      const to = posix(relative(ROOT, resolve(dirname(file), specifier))).replace(/\.js$/, ".ts");
      out.push({ from, specifier, to });
    }
  }
  return out;
}

/** `src/route/router.ts` → `route`; `src/daemon.ts` → `daemon.ts`; outside src/ → undefined. */
function topLevel(path: string): string | undefined {
  if (!path.startsWith("src/")) return undefined;
  return path.slice(4).split("/")[0];
}

/** Strongly connected groups of more than one folder, each with the imports that tie it together. */
function folderCycles(imports: readonly Import[]): string[] {
  const edges = new Map<string, Map<string, string>>();
  for (const imp of imports) {
    const a = topLevel(imp.from);
    const b = imp.to === undefined ? undefined : topLevel(imp.to);
    if (a === undefined || b === undefined || a === b) continue;
    const out = edges.get(a) ?? new Map<string, string>();
    if (!out.has(b)) out.set(b, `${imp.from} imports ${imp.to}`);
    edges.set(a, out);
  }
  // Tarjan's algorithm.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node) as number);
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node)?.keys() ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) as number, index.get(next) as number));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const group: string[] = [];
    let member: string;
    do {
      member = stack.pop() as string;
      onStack.delete(member);
      group.push(member);
    } while (member !== node);
    if (group.length > 1) groups.push(group.sort());
  };
  for (const node of edges.keys()) if (!index.has(node)) visit(node);
  return groups.map((group) => {
    const ties = group.flatMap((a) => group.flatMap((b) => edges.get(a)?.get(b) ?? []));
    return `${group.join(" ↔ ")}: ${ties.join("; ")}`;
  });
}

/** Imports from the daemon's own code into a stand-in or the demo. */
function standinImports(imports: readonly Import[]): string[] {
  return imports
    .filter((imp) => imp.from.startsWith("src/") && !STANDIN_DIR.test(imp.from))
    .filter((imp) => (imp.to === undefined ? STANDIN_PACKAGE.test(imp.specifier) : STANDIN_DIR.test(imp.to) || imp.to.startsWith("packages/")))
    .map((imp) => `${imp.from} imports ${imp.specifier}`);
}

describe("the layout of src/", () => {
  const imports = importsOf(sourceFiles(SRC));

  it("reads every import (the reader finds the router's own imports)", () => {
    expect(imports.filter((imp) => imp.from === "src/route/router.ts").map((imp) => imp.to)).toContain("src/route/where.ts");
    expect(imports.length).toBeGreaterThan(200);
  });

  it("has no import cycle between its top-level folders", () => {
    expect(folderCycles(imports)).toEqual([]);
  });

  it("imports nothing from the stand-ins or the demo into the daemon", () => {
    expect(standinImports(imports)).toEqual([]);
  });

  it("catches a cycle and a stand-in import when there is one", () => {
    const made: Import[] = [
      { from: "src/route/router.ts", specifier: "../subscriber/types.js", to: "src/subscriber/types.ts" },
      { from: "src/subscriber/types.ts", specifier: "../route/types.js", to: "src/route/types.ts" },
      { from: "src/cli/run.ts", specifier: "../standin/listen.js", to: "src/standin/listen.ts" },
      { from: "src/cli/run.ts", specifier: "misp-enrichd-standins", to: undefined },
      { from: "src/cli/run.ts", specifier: "../../packages/demo/run.js", to: "packages/demo/run.ts" },
    ];
    expect(folderCycles(made)).toEqual([
      "route ↔ subscriber: src/route/router.ts imports src/subscriber/types.ts; src/subscriber/types.ts imports src/route/types.ts",
    ]);
    expect(standinImports(made)).toHaveLength(3);
  });
});
