// The documented install (README "Install as a service") done for real, into a temporary prefix:
// `npm pack` → `npm install --global --prefix <prefix> <tarball>` → `<prefix>/bin/misp-enrichd`, the
// command the unit's ExecStart runs with /opt/misp-enrichd as the prefix. The installed command
// prints its version and passes `check` against the stand-ins; `systemd-analyze verify` accepts the
// unit once that command exists, and `systemd-analyze security` rates it 1.5 or better.

import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pumpHeartbeats, startPeers, tempDir } from "../cli/cli.js";

const ROOT = join(import.meta.dirname, "../..");
const UNIT = join(ROOT, "systemd/misp-enrichd.service");
const README = readFileSync(join(ROOT, "README.md"), "utf8");
const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
/** The prefix README installs into and the unit's ExecStart runs from. */
const PREFIX = "/opt/misp-enrichd";

const analyze = spawnSync("systemd-analyze", ["--version"], { encoding: "utf8" });
const hasAnalyze = analyze.status === 0;
// `security --offline` came with systemd 250.
const hasOffline = hasAnalyze && spawnSync("systemd-analyze", ["security", "--offline=true", UNIT], { encoding: "utf8" }).status === 0;
if (!hasAnalyze) process.stderr.write("skipping the systemd-analyze checks of the unit: systemd-analyze is not installed (apt-get install systemd)\n");
else if (!hasOffline) process.stderr.write("skipping the unit's exposure score: this systemd-analyze has no `security --offline` (systemd < 250)\n");

function npm(args: string[], cwd: string): string {
  const result = spawnSync("npm", args, { cwd, encoding: "utf8", timeout: 180_000 });
  if (result.status !== 0) throw new Error(`npm ${args.join(" ")} failed (${String(result.status)}):\n${result.stderr}`);
  return result.stdout;
}

async function run(command: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(command, args, { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "inherit"] });
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  const [code] = (await once(child, "close")) as [number | null];
  return { code, stdout };
}

/** The unit's `ExecStart=` command line. */
const execStart = (unit: string): string => /^ExecStart=(.*)$/m.exec(unit)?.[1] ?? "";

describe("the documented install", () => {
  it("reloads with SIGHUP: `systemctl reload` sends it to the daemon", () => {
    expect(readFileSync(UNIT, "utf8")).toMatch(/^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
  });

  it("README's commands install into the prefix the unit's ExecStart runs from", () => {
    expect(execStart(readFileSync(UNIT, "utf8"))).toBe(`${PREFIX}/bin/misp-enrichd run --config /etc/misp-enrichd/config.yaml`);
    expect(README).toContain(`sudo npm install --global --prefix ${PREFIX} ./misp-enrichd-${version}.tgz`);
    expect(README).toContain(`sudo ln -sf ${PREFIX}/bin/misp-enrichd /usr/local/bin/misp-enrichd`);
  });

  it("npm pack, then npm install --global --prefix: the command runs, passes check, and is what the unit starts", { timeout: 240_000 }, async () => {
    const dir = tempDir();
    // `npm test` has built dist/ already: pack it as is (prepack would rebuild it under running tests).
    const [packed] = JSON.parse(npm(["pack", "--ignore-scripts", "--json", "--pack-destination", dir], ROOT)) as { filename: string }[];
    expect(packed?.filename).toBe(`misp-enrichd-${version}.tgz`);
    const prefix = join(dir, "opt");
    npm(["install", "--global", "--prefix", prefix, "--no-audit", "--no-fund", join(dir, packed?.filename ?? "")], dir);
    const command = join(prefix, "bin/misp-enrichd");

    expect(await run(command, ["--version"], {})).toEqual({ code: 0, stdout: `${version}\n` });
    const peers = await startPeers({ role: { name: "Site Admin", permSiteAdmin: true } });
    pumpHeartbeats(peers.publisher);
    const check = await run(command, ["check", "--bus-timeout", "5"], peers.env);
    expect(check.stdout.trimEnd().split("\n").at(-1)).toBe("all checks passed");
    expect(check.code).toBe(0);

    if (!hasAnalyze) return;
    // The unit as installed, with this test's prefix standing for /opt/misp-enrichd.
    const unit = join(dir, "misp-enrichd.service");
    writeFileSync(unit, readFileSync(UNIT, "utf8").replaceAll(`${PREFIX}/`, `${prefix}/`));
    const verify = spawnSync("systemd-analyze", ["verify", unit], { encoding: "utf8" });
    expect([verify.status, verify.stdout + verify.stderr]).toEqual([0, ""]);
  });

  it.skipIf(!hasOffline)("systemd-analyze security rates the unit's exposure 1.5 or better", () => {
    const { stdout } = spawnSync("systemd-analyze", ["security", "--offline=true", "--no-pager", UNIT], { encoding: "utf8" });
    const score = Number(/Overall exposure level for misp-enrichd\.service: (\d+\.\d+)/.exec(stdout)?.[1]);
    expect(score).toBeLessThanOrEqual(1.5);
  });
});
