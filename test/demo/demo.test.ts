// The README's first set-up command, `npm run demo`: package.json runs `npm run build` (done by this
// project's global setup) and then the demo of the stand-ins package, packages/standins/dist/demo/
// main.js, which is spawned here as it is, with no config file and nothing of ours in the environment.

import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, inject, it, onTestFinished } from "vitest";

const ROOT = join(import.meta.dirname, "../..");
const DEMO_SCRIPT = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts.demo ?? "";

async function demo(args: readonly string[] = []): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  const [command, ...rest] = (DEMO_SCRIPT.split("&&").at(-1) ?? "").trim().split(/\s+/);
  expect(command).toBe("node");
  const env: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "TMPDIR", "LANG"]) if (process.env[name]) env[name] = process.env[name] as string;
  const child = spawn(process.execPath, [...rest, ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  const [code] = (await once(child, "close")) as [number | null];
  return { code, stdout, stderr, ms: Date.now() - started };
}

function expectTheWholeJob(stdout: string): void {
  expect(stdout).toMatch(/^1\. a public IPv4 ip-dst: ip-dst 188\.65\.220\.25 \(attribute [0-9a-f-]{36}\)\n   ✔ geolocation wrote a geolocation object [0-9a-f-]{36}: country Belgium, /m);
  expect(stdout).toMatch(/\n     reference ([0-9a-f-]{36}) related-to → this attribute\n2\. an IPv6 ip-src: ip-src 2001:4860:4860::8888 /);
  expect(stdout).toMatch(/\n2\. an IPv6 ip-src: .*\n   ✔ geolocation wrote a geolocation object [0-9a-f-]{36}: country United States, /);
  expect(stdout).toContain("\n   · geolocation skipped it: private or reserved address: nothing to locate\n");
  expect(stdout).toMatch(/\n   ✔ onion-lookup wrote a tor-hiddenservice object [0-9a-f-]{36}: address vugqd7hwj3rgope5bi7cj2vvsahm5l3agevcgnf… \(as text\), /);
  expect(stdout).toContain('\n   ⚠ MISP refused onion-address vugqd7hwj3rgope5bi7cj2vvsahm5l3agevcgnfxv2rbjlb42ueqaaid.onion: "Onion address has an invalid format."');
  expect(stdout).toContain('\n   ✔ tags attached to this attribute (local): dark-web:topic="legitimate", dark-web:motivation="information-sharing-reportage", infoleak:automatic-detection="onion"\n');
  expect(stdout).toContain("\n   · onion-lookup skipped it: onion not known to onion-lookup\n");
  expect(stdout).toContain("\n   ✘ rejected before routing, counted and logged: ENRICHD_FRAME_MALFORMED: payload on misp_json_attribute is not JSON\n");
  // Every echo it received was either dropped unread (types no subscriber takes) or recognised as its own.
  const echoes = /\n  The daemon subscribes to misp_json_attribute: it received (\d+) of them, dropped (\d+) unread \(no subscriber takes their type\)\n  and recognised (\d+) as its own writes \(echo guard\)\.\n  ✔ no subscriber ran on the daemon's own writes: no loop\n/.exec(stdout);
  expect(echoes, stdout).not.toBeNull();
  const [received, unread, recognised] = (echoes ?? []).slice(1).map(Number);
  expect(received).toBeGreaterThan(0);
  expect((unread ?? 0) + (recognised ?? 0)).toBe(received);
  expect(stdout).toMatch(/\n  3 objects \(geolocation 2, tor-hiddenservice 1\), 3 references, 6 tag attachments\n  REST writes answered 200: objects\/add 3, objectReferences\/add 3, tags\/attachTagToObject 1; refused by MISP: objects\/add 403 1\n/);
  expect(stdout).toMatch(/\n✔ demo done in \d+\.\d s: every sample went the expected way, nothing dead-lettered\.\n/);
}

describe("misp-enrichd demo (npm run demo)", () => {
  it("is what package.json's demo script runs after the build", () => {
    expect(DEMO_SCRIPT).toBe("npm run build && node packages/standins/dist/demo/main.js");
  });

  it("is the README's first set-up command, next to the test command", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const quickStart = readme.slice(readme.indexOf("## Quick start"), readme.indexOf("## What it does"));
    const commands = [...quickStart.matchAll(/^```sh\n([\s\S]*?)```/gm)].flatMap((m) => (m[1] ?? "").trim().split("\n"));
    expect(commands.map((c) => c.replace(/\s+#.*$/, ""))).toEqual(["npm ci && npm run demo", "npm test"]);
  });

  it("runs the main job end to end on 127.0.0.1, prints what was received, enriched and written, and exits 0 within 20 s", async () => {
    const { code, stdout, stderr, ms } = await demo();
    expect(code, stderr).toBe(0);
    expect(stdout.startsWith("misp-enrichd demo: the whole job once, on 127.0.0.1 only\n")).toBe(true);
    if (inject("mispModules") !== undefined) {
      // The test setup built the real misp-modules venv: the demo must have used it.
      expect(stdout).toMatch(/\nmodule server {6}the real misp-modules at http:\/\/127\.0\.0\.1:\d+ \(geoip_city on GeoLite2 City, /);
      expect(stdout).toContain("country Belgium, region Liège Province, city Saint-Nicolas, latitude 50.6284, longitude 5.5324");
    }
    expectTheWholeJob(stdout);
    expect(ms).toBeLessThan(20_000);
    // The daemon's JSON logs stay out of the report unless asked for.
    expect(stdout.split("\n").filter((l) => l.startsWith("{"))).toEqual([]);
  });

  it("does the same with the built-in module stand-in, and shows the daemon's logs with --pretty", async () => {
    const { code, stdout, stderr } = await demo(["--stand-in-modules", "--pretty"]);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/\nmodule server {6}the built-in misp-modules stand-in at http:\/\/127\.0\.0\.1:\d+ \(as asked\)\n/);
    expectTheWholeJob(stdout);
    expect(stderr).toMatch(/\] INFO: enrichment written\n/);
    expect(stderr).toMatch(/\] WARN: misp refused onion-address values: writing them as text\n/);
  });
});
