import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";

// The built CLI, as systemd runs it (npm test builds first).
const CLI = join(import.meta.dirname, "../../dist/src/cli/main.js");

function run(args: string[], env: Record<string, string>): { status: number | null; stderr: string; stdout: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? "", ...env },
    encoding: "utf8",
    timeout: 20_000,
  });
  return { status: result.status, stderr: result.stderr, stdout: result.stdout };
}

describe("misp-enrichd run: configuration errors", () => {
  it("stops with one clear line naming the missing key and exit code 78", () => {
    const { status, stderr, stdout } = run(["run"], { MISP_KEY: "x".repeat(40) });
    expect(status).toBe(78);
    expect(stderr).toBe("misp-enrichd: invalid configuration: misp.url is required\n");
    expect(stdout).toBe("");
  });

  it("names every bad value of a config file on that one line, without echoing the key", () => {
    const dir = mkdtempSync(join(tmpdir(), "enrichd-cli-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, "config.yaml");
    const key = "s3cr3tk3y".repeat(4) + "abcd";
    writeFileSync(path, `misp:\n  url: misp.example.org\n  key: ${key}\nbus:\n  type: rabbitmq\n`);
    const { status, stderr } = run(["run", "--config", path], {});
    expect(status).toBe(78);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toContain("misp.url must be a URL with scheme http or https");
    expect(stderr).toMatch(/bus\.type .*zmq.*kafka/);
    expect(stderr).not.toContain(key);
  });

  it("says what a wrongly typed value should be and what it is, on that one line, never a secret's value", () => {
    const dir = mkdtempSync(join(tmpdir(), "enrichd-cli-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, "config.yaml");
    writeFileSync(path, "misp:\n  url: 5\n  key: 31415926535\n  timeoutMs: \"15000\"\n  verfyTls: no\n");
    const { status, stderr } = run(["run", "--config", path], {});
    expect(status).toBe(78);
    expect(stderr).toBe(
      "misp-enrichd: invalid configuration: misp.url must be a string, got the number 5; misp.key must be a string, got a number; misp.timeoutMs must be a number, got the string \"15000\"; misp.verfyTls is not a key of misp; did you mean verifyTls?\n",
    );
  });

  it("stops with one line when a subscriber option is unknown", () => {
    const dir = mkdtempSync(join(tmpdir(), "enrichd-cli-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, "config.yaml");
    writeFileSync(path, "subscribers:\n  settings:\n    geolocation:\n      options:\n        modul: geoip_city\n");
    const { status, stderr } = run(["run", "--config", path], { MISP_URL: "http://127.0.0.1:9", MISP_KEY: "k".repeat(40), STATE_DIRECTORY: dir });
    expect(status).toBe(78);
    expect(stderr).toMatch(/^misp-enrichd: subscribers are invalid: subscribers\.settings\.geolocation\.options\.modul is not an option of geolocation; permitted: module, types, objects, maxObjects\n$/);
  });
});
