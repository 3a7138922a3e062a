// The shipped unit's seccomp confinement, applied to the built daemon: unit-seccomp.py reads
// systemd/misp-enrichd.service (SystemCallFilter with this machine's @groups, RestrictRealtime,
// RestrictAddressFamilies), loads those filters as systemd would, and execs `node … run` under
// them. The daemon subscribes to a real ZeroMQ publisher (libzmq's I/O thread starts), enriches one
// message through the module stand-in into the MISP stand-in, serves /metrics, reloads on SIGHUP,
// and stops on SIGTERM with exit 0.
// The daemon gets the unit's Environment= lines (NODE_OPTIONS) as under systemd.
// `--kill` ignores the unit's SystemCallErrorNumber: any filtered call kills the daemon, so a pass
// shows that nothing on this path relies on a call failing with EPERM.

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { jsonLines as json, startCli, startPeers, tempDir, writeConfig } from "../cli/cli.js";

const UNIT = join(import.meta.dirname, "../../systemd/misp-enrichd.service");
const WRAPPER = join(import.meta.dirname, "unit-seccomp.py");
// Debian's python3-seccomp is built for the system interpreter, not for a pyenv or venv one.
const PYTHON = "/usr/bin/python3";

function missingTools(): string | undefined {
  const seccomp = spawnSync(PYTHON, ["-c", "import seccomp"], { encoding: "utf8" });
  if (seccomp.status !== 0) return `${PYTHON} cannot import seccomp (apt-get install python3-seccomp)`;
  const analyze = spawnSync("systemd-analyze", ["syscall-filter", "@default"], { encoding: "utf8" });
  if (analyze.status !== 0) return "systemd-analyze is not installed (apt-get install systemd)";
  return undefined;
}

/** The unit's `Environment=NAME=value` lines: the daemon runs with them, as under systemd. */
function unitEnvironment(unit: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [, name, value] of unit.matchAll(/^Environment=([A-Z_]+)=(.*)$/gm)) env[name!] = value!.replace(/^"|"$/g, "");
  return env;
}

const missing = missingTools();
if (missing) process.stderr.write(`skipping the unit's seccomp test: ${missing}\n`);

describe.skipIf(missing !== undefined)("systemd/misp-enrichd.service's system-call filter", () => {
  it("lets the built daemon start, enrich a message from ZeroMQ, serve its metrics, reload on SIGHUP and stop on SIGTERM with exit 0", { timeout: 60_000 }, async () => {
    const peers = await startPeers();
    // With the metrics endpoint: scraping reads the process figures (getrusage, /proc) under the filter too.
    const config = writeConfig(tempDir(), "metrics:\n  listen: 127.0.0.1:0\n");
    const environment = unitEnvironment(readFileSync(UNIT, "utf8"));
    expect(environment.NODE_OPTIONS).toMatch(/--max-semi-space-size=\d+/);
    const cli = startCli(["run", "--config", config, "--log-level", "debug"], { ...peers.env, ...environment }, [PYTHON, WRAPPER, UNIT, "--kill", "--"]);
    const exit = (): string => `exit ${String(cli.child.exitCode)}, signal ${String(cli.child.signalCode)}\n${cli.stderr()}`;
    const logged = (msg: string): boolean => json(cli.stdout()).some((l) => l.msg === msg);
    // Until `done` holds; a daemon killed by the filter (SIGSYS) fails the test at once.
    const until = (done: () => Promise<boolean> | boolean): Promise<unknown> =>
      Promise.race([
        vi.waitFor(async () => expect(await done()).toBe(true), { timeout: 20_000, interval: 100 }),
        cli.exited.then(() => expect.fail(`the daemon ended: ${exit()}`)),
      ]);
    await until(() => logged("bus subscribed"));
    // Node took the unit's options (an option it refuses would have stopped it before this line).
    expect(json(cli.stdout()).find((l) => l.msg === "misp-enrichd starting")?.nodeOptions).toBe(environment.NODE_OPTIONS);

    const event = peers.misp.seedEvent();
    const source = peers.misp.seedAttribute(event.uuid, { type: "ip-dst", value: "8.8.8.8" });
    // ZeroMQ's slow joiner: publish until the daemon has it (a repeat is idempotent).
    await until(async () => {
      await peers.publisher.publish(source.message.topic, source.message.payload);
      return logged("enrichment written");
    });
    expect(peers.misp.state.objects.map((o) => o.name)).toContain("geolocation");

    const url = String(json(cli.stdout()).find((l) => l.msg === "metrics listening")?.url);
    expect(await (await fetch(url)).text()).toContain("misp_enrichd_process_cpu_seconds_total");
    expect((await fetch(url.replace(/\/metrics$/, "/readyz"))).status).toBe(200);
    // A reload builds a new daemon (new sockets, a new folder watch) under the same filter.
    cli.child.kill("SIGHUP");
    await until(() => logged("configuration reloaded"));

    cli.child.kill("SIGTERM");
    expect(await cli.exited, exit()).toBe(0);
    expect(cli.child.signalCode).toBe(null);
    expect(json(cli.stdout()).map((l) => l.msg)).toContain("stopped");
  });

  it("answers a call outside the list with EPERM instead of killing the process (SystemCallErrorNumber)", () => {
    // setpriority() is in @resources, which the unit refuses; unconfined, root may lower its priority.
    const script = "try { require('node:os').setPriority(19); console.log('allowed') } catch (e) { console.log(e.info?.code ?? e.code) }";
    const confined = (extra: string[]): ReturnType<typeof spawnSync> =>
      spawnSync(PYTHON, [WRAPPER, UNIT, ...extra, "--", process.execPath, "-e", script], { encoding: "utf8", timeout: 20_000 });
    const unit = confined([]);
    expect([unit.status, String(unit.stdout).trim()]).toEqual([0, "EPERM"]);
    const killing = confined(["--kill"]);
    expect(killing.signal).toBe("SIGSYS");
  });
});
