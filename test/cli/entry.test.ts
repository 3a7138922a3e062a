// The installed `misp-enrichd` command (package.json `bin`): a Node.js version check that runs
// before anything an old Node cannot load, with one clear line and exit 78 (no systemd restart loop).

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");
const PACKAGE = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string; bin: Record<string, string>; engines: { node: string } };
const ENTRY = join(ROOT, PACKAGE.bin["misp-enrichd"] as string);

/** Runs the built command on this Node, with `process.versions.node` made to say `nodeVersion`. */
function runAs(nodeVersion: string | undefined, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const pretend = nodeVersion === undefined ? [] : ["--import", `data:text/javascript,Object.defineProperty(process.versions,"node",{value:${JSON.stringify(nodeVersion)}})`];
  const result = spawnSync(process.execPath, [...pretend, ENTRY, ...args], { env: { PATH: process.env.PATH ?? "" }, encoding: "utf8", timeout: 20_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("the misp-enrichd command", () => {
  it("is the entry file with the version check", () => {
    expect(PACKAGE.bin["misp-enrichd"]).toBe("dist/src/cli/entry.js");
  });

  it("refuses Debian 12's Node.js 18 with one line naming the minimum of package.json's engines, exit 78", () => {
    const minimum = PACKAGE.engines.node.replace(/^>=/, "");
    const { status, stdout, stderr } = runAs("18.19.0", ["run"]);
    expect(status).toBe(78);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      `misp-enrichd: needs Node.js ${minimum} or later, but ${process.execPath} is Node.js 18.19.0. ` +
        "Debian 12 and Ubuntu 22.04/24.04 ship older ones: install Node.js 20 or 22 LTS (for example from NodeSource) as the first `node` on PATH.\n",
    );
    expect(runAs("20.18.0", ["--version"]).status).toBe(78);
  });

  it("runs the CLI on a Node.js at or above the minimum", () => {
    expect(runAs(PACKAGE.engines.node.replace(/^>=/, ""), ["--version"])).toEqual({ status: 0, stdout: `${PACKAGE.version}\n`, stderr: "" });
    expect(runAs(undefined, ["--version"])).toEqual({ status: 0, stdout: `${PACKAGE.version}\n`, stderr: "" });
  });
});
