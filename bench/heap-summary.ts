// Sums a sampling heap profile (.heapprofile, from BENCH_PHASE_HEAP_PROFILE_DIR) by the function that
// allocated and by its file: `node dist/bench/heap-summary.js <file> [enrichments] [rows]`. With the
// number of enrichments of the phase, the figures are KB per enrichment; without it, MB in all.

import { readFileSync } from "node:fs";

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}
interface HeapNode {
  readonly callFrame: CallFrame;
  readonly selfSize: number;
  readonly children: readonly HeapNode[];
}

/** Self bytes per key (function, file), summed over every node of the tree. */
export function sumBy(root: HeapNode, key: (frame: CallFrame) => string): Map<string, number> {
  const sums = new Map<string, number>();
  const stack: HeapNode[] = [root];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (node.selfSize > 0) {
      const k = key(node.callFrame);
      sums.set(k, (sums.get(k) ?? 0) + node.selfSize);
    }
    stack.push(...node.children);
  }
  return sums;
}

const shortFile = (url: string): string => {
  if (url === "") return "(native / V8)";
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) return url.slice(nm + "node_modules/".length);
  const dist = url.indexOf("/dist/");
  return dist >= 0 ? url.slice(dist + 1) : url.replace(/^file:\/\//, "");
};

function table(title: string, sums: Map<string, number>, total: number, divisor: number, unit: string, rows: number): string {
  const sorted = [...sums].sort((a, b) => b[1] - a[1]).slice(0, rows);
  const lines = sorted.map(([k, bytes]) => `${(bytes / divisor).toFixed(1).padStart(9)} ${unit}  ${((100 * bytes) / total).toFixed(1).padStart(5)} %  ${k}`);
  return [`${title}`, ...lines].join("\n");
}

const [file, enrichmentsArg, rowsArg] = process.argv.slice(2);
if (file === undefined) {
  console.error("usage: node dist/bench/heap-summary.js <file.heapprofile> [enrichments] [rows]");
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, "utf8")) as { head: HeapNode };
const enrichments = Number(enrichmentsArg ?? 0);
const rows = Number(rowsArg ?? 30);
const [divisor, unit] = enrichments > 0 ? [1024 * enrichments, "KB/enr"] : [1_048_576, "MB"];
const byFunction = sumBy(profile.head, (f) => `${f.functionName || "(anonymous)"}  ${shortFile(f.url)}:${f.lineNumber + 1}`);
const byFile = sumBy(profile.head, (f) => shortFile(f.url));
const total = [...byFile.values()].reduce((a, b) => a + b, 0);
console.log(`allocated in all: ${(total / divisor).toFixed(1)} ${unit}\n`);
console.log(table("by function (self)", byFunction, total, divisor, unit, rows));
console.log();
console.log(table("by file (self)", byFile, total, divisor, unit, rows));
