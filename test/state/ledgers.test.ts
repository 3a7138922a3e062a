import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { LEDGER_FILES, openLedgers } from "../../src/state/ledgers.js";
import { captureLogs } from "../support/log-capture.js";

function configIn(dir: string, overrides: Record<string, unknown>) {
  const path = join(dir, "config.yaml");
  writeFileSync(path, "{}\n");
  return loadConfig({
    path,
    env: { MISP_URL: "https://misp.invalid", MISP_KEY: "k3yk3yk3yk3yk3yk3yk3yk3yk3yk3yk3yk3yk3y0", STATE_DIRECTORY: dir },
    overrides,
  });
}

const expiry = (file: string): number => (JSON.parse(readFileSync(file, "utf8").split("\n")[0] as string) as { e: number }).e;

describe("the daemon's ledgers", () => {
  it("keep own uuids for pipeline.echoTtlSeconds and handled adds for pipeline.handledTtlSeconds", () => {
    const dir = mkdtempSync(join(tmpdir(), "enrichd-ledgers-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const ledgers = openLedgers(configIn(dir, { "pipeline.echoTtlSeconds": 60, "pipeline.handledTtlSeconds": 6_000 }), captureLogs().logger);
    const before = Date.now();
    ledgers.own.add("own");
    ledgers.handled.add("geolocation|attribute");
    ledgers.close();
    expect(expiry(join(dir, LEDGER_FILES.own)) - before).toBeLessThanOrEqual(60_000 + 1_000);
    expect(expiry(join(dir, LEDGER_FILES.handled)) - before).toBeGreaterThanOrEqual(6_000_000);
  });

  it("stay in memory in dry-run: nothing is written, so nothing is remembered as written", () => {
    const dir = mkdtempSync(join(tmpdir(), "enrichd-ledgers-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const ledgers = openLedgers(configIn(dir, { dryRun: true }), captureLogs().logger);
    ledgers.own.add("own");
    expect(ledgers.own.has("own")).toBe(true);
    ledgers.close();
    for (const name of Object.values(LEDGER_FILES)) expect(existsSync(join(dir, name))).toBe(false);
  });

  it("say in one error line that a ledger cannot be written (a full disk) and in one info line that it can again", () => {
    const dir = mkdtempSync(join(tmpdir(), "enrichd-ledgers-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, LEDGER_FILES.handled);
    const first = openLedgers(configIn(dir, {}), captureLogs().logger);
    first.handled.add("geolocation|before");
    first.close();
    // The start-up compaction rewrites the file through this link: /dev/full answers ENOSPC.
    symlinkSync("/dev/full", `${file}.tmp`);
    const logs = captureLogs();
    const ledgers = openLedgers(configIn(dir, {}), logs.logger);
    ledgers.handled.add("geolocation|attribute");
    ledgers.handled.add("geolocation|another");
    ledgers.close();
    expect(logs.lines().filter((l) => l.level === "error" || l.msg === "state file writable again")).toEqual([
      expect.objectContaining({ level: "error", file, err: expect.stringContaining("ENOSPC"), msg: expect.stringContaining("state file not writable") }),
      expect.objectContaining({ file, msg: "state file writable again" }),
    ]);
  });
});
