// `--pretty` on every verb: human log lines (pino-pretty) instead of JSON for journald.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pumpHeartbeats, runCli, startCli, startPeers, tempDir, waitForLine } from "./cli.js";

/** pino-pretty's line: `[HH:MM:SS.mmm] LEVEL: message`, and not one JSON line anywhere. */
function expectPretty(text: string, level: string, msg: string): void {
  const lines = text.split("\n");
  expect(lines.some((l) => l.startsWith(`[`) && l.includes(`] ${level}: ${msg}`))).toBe(true);
  expect(lines.filter((l) => l.startsWith("{"))).toEqual([]);
}

describe("--pretty", () => {
  it("run: pretty lines on stdout", async () => {
    const peers = await startPeers();
    const cli = startCli(["run", "--dry-run", "--pretty"], peers.env);
    await waitForLine(cli, /INFO: misp-enrichd starting/);
    cli.child.kill("SIGTERM");
    expect(await cli.exited).toBe(0);
    expectPretty(cli.stdout(), "INFO", "misp-enrichd starting");
  });

  it("tail, check and modules: pretty lines on stderr, their output untouched on stdout", async () => {
    const peers = await startPeers();
    pumpHeartbeats(peers.publisher);
    const tail = await runCli(["tail", "--pretty", "--log-level", "info", "--count", "1"], peers.env);
    expect(tail.code).toBe(0);
    expectPretty(tail.stderr, "INFO", "bus subscribed");
    expect(tail.stdout).toMatch(/^\d\d:\d\d:\d\d\.\d{3} misp_json_self /);

    const check = await runCli(["check", "--pretty", "--log-level", "info", "--bus-timeout", "5"], peers.env);
    expect(check.code).toBe(0);
    expectPretty(check.stderr, "INFO", "bus subscribed");
    expect(check.stdout).toMatch(/\nall checks passed, 1 warning\n$/);

    const modules = await runCli(["modules", "--pretty", "--log-level", "debug"], peers.env);
    expect(modules.code).toBe(0);
    expectPretty(modules.stderr, "DEBUG", "discovered misp-modules");
  });

  it("replay: pretty lines on stderr, JSON lines without it", async () => {
    const peers = await startPeers();
    const path = join(tempDir(), "frames.txt");
    writeFileSync(path, 'misp_json_self {"status":"alive","uptime":1}\n');
    const pretty = await runCli(["replay", path, "--dry-run", "--pretty"], peers.env);
    expect(pretty.code).toBe(0);
    expectPretty(pretty.stderr, "INFO", "replay finished");

    const plain = await runCli(["replay", path, "--dry-run"], peers.env);
    const lines = plain.stderr.trimEnd().split("\n");
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toContain("replay finished");
  });
});
