// Two processes on one state folder (the daemon and `misp-enrichd enrich`): each writes its own
// ledger file, compacting it by rename while the other reads it as a peer. Run as two real Node
// processes on the built module: every record of both survives, and each sees the other's.

import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it, onTestFinished } from "vitest";
import { createPersistentSet } from "../../src/state/persistent-set.js";

const MODULE = pathToFileURL(join(import.meta.dirname, "../../dist/src/state/persistent-set.js")).href;

/**
 * A child that adds `count` values `<name>-<i>` (its file compacted every 50 adds), half of them, then
 * waits for the peer to have written its half (a rendezvous through the files themselves), counts
 * how many of the peer's half it sees, and writes its second half while the peer writes its own.
 */
function writer(dir: string, name: string, peer: string, count: number): Promise<{ code: number | null; out: string }> {
  const script = `
    const { createPersistentSet } = await import(${JSON.stringify(MODULE)});
    const set = createPersistentSet({ file: ${JSON.stringify(join(dir, `${name}.jsonl`))}, peers: [${JSON.stringify(join(dir, `${peer}.jsonl`))}], ttlSeconds: 3600, compactAfter: 50 });
    const half = ${count / 2};
    for (let i = 0; i < half; i++) set.add("${name}-" + i);
    set.add("${name}-half");
    while (!set.has("${peer}-half")) await new Promise((r) => setTimeout(r, 5));
    let seen = 0;
    for (let i = 0; i < half; i++) if (set.has("${peer}-" + i)) seen++;
    for (let i = half; i < ${count}; i++) {
      set.add("${name}-" + i);
      if (i % 25 === 0) await new Promise((r) => setImmediate(r));
    }
    set.close();
    console.log(JSON.stringify({ seen }));
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
  return once(child, "close").then(([code]) => ({ code: code as number | null, out }));
}

describe("ledgers shared by two processes", () => {
  it("lose no record of either writer through concurrent appends and compactions, and see each other's", async () => {
    const dir = mkdtempSync(join(tmpdir(), "enrichd-shared-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const [daemon, manual] = await Promise.all([writer(dir, "handled", "handled.manual", 2_000), writer(dir, "handled.manual", "handled", 2_000)]);
    expect([daemon.code, manual.code]).toEqual([0, 0]);
    // Each saw all of the other's first half while both were running (the peer is followed through its compactions).
    expect(JSON.parse(daemon.out)).toEqual({ seen: 1_000 });
    expect(JSON.parse(manual.out)).toEqual({ seen: 1_000 });

    const reader = createPersistentSet({ file: join(dir, "handled.jsonl"), peers: [join(dir, "handled.manual.jsonl")], ttlSeconds: 3600 });
    onTestFinished(() => reader.close());
    const missing = [...Array(2_000).keys()].flatMap((i) => [`handled-${i}`, `handled.manual-${i}`]).filter((v) => !reader.has(v));
    expect(missing).toEqual([]);
  });
});
