// SIGHUP with the built CLI: a good configuration is validated and swapped in and changes what the
// daemon does; a bad one is refused in one error line while the old one keeps running; work in
// flight at the swap is finished by the next daemon, never lost.

import { writeFileSync } from "node:fs";
import { describe, expect, it, vi } from "vitest";
import { jsonLines, pumpHeartbeats, startCli, startPeers, tempDir, waitForLine, writeConfig, type CliProcess, type Peers } from "./cli.js";

const msgs = (cli: CliProcess, msg: string): Record<string, unknown>[] => jsonLines(cli.stdout()).filter((l) => l.msg === msg);

/** Publishes an attribute add until the daemon has heard it (ZeroMQ's slow joiner after each bus start). */
async function publishUntil(peers: Peers, value: string, heard: () => boolean): Promise<void> {
  const event = peers.misp.seedEvent();
  const source = peers.misp.seedAttribute(event.uuid, { type: "ip-dst", value });
  await vi.waitFor(
    async () => {
      if (!heard()) await peers.publisher.publish(source.message.topic, source.message.payload);
      expect(heard()).toBe(true);
    },
    { timeout: 10_000, interval: 200 },
  );
}

/** The built daemon on the stand-ins with this config file, once it reads the bus. */
async function startWith(yaml: string): Promise<{ peers: Peers; dir: string; path: string; cli: CliProcess }> {
  const peers = await startPeers();
  pumpHeartbeats(peers.publisher);
  const dir = tempDir();
  const path = writeConfig(dir, yaml);
  const cli = startCli(["run", "--config", path], peers.env);
  await waitForLine(cli, /"msg":"bus subscribed"/);
  return { peers, dir, path, cli };
}

async function stopsCleanly(cli: CliProcess): Promise<void> {
  cli.child.kill("SIGTERM");
  expect(await cli.exited).toBe(0);
}

async function reloaded(cli: CliProcess, count: number): Promise<void> {
  await vi.waitFor(() => expect(msgs(cli, "configuration reloaded").length + jsonLines(cli.stdout()).filter((l) => String(l.msg).startsWith("configuration reload refused")).length).toBe(count), { timeout: 15_000, interval: 20 });
}

describe("misp-enrichd run on SIGHUP", () => {
  it("applies a good configuration: a new log level and new subscriber options take effect", async () => {
    const { peers, dir, cli } = await startWith("log:\n  level: info\n");
    expect(msgs(cli, "misp heartbeat")).toEqual([]);

    writeConfig(dir, "log:\n  level: debug\nsubscribers:\n  settings:\n    geolocation:\n      options:\n        types: [ip-src]\n");
    cli.child.kill("SIGHUP");
    await reloaded(cli, 1);
    expect(msgs(cli, "configuration reloaded")).toEqual([expect.objectContaining({ level: "info", changed: ["log.level", "subscribers.settings.geolocation"] })]);
    // Debug lines now, and geolocation no longer wants ip-dst.
    await vi.waitFor(() => expect(msgs(cli, "misp heartbeat").length).toBeGreaterThan(0), { timeout: 10_000 });
    // The prefilter drops it before parsing (no route takes an ip-dst now), or the router turns it down.
    const unwanted = (): number => msgs(cli, "no subscriber wants this message").length + msgs(cli, "no subscriber wants this message (dropped before parsing)").length;
    await publishUntil(peers, "8.8.8.8", () => unwanted() > 0);
    expect(peers.misp.state.objects).toHaveLength(0);
    expect(cli.child.exitCode).toBe(null);
    await stopsCleanly(cli);
  });

  it("refuses a bad configuration in one error line and keeps running the old one", async () => {
    const { peers, dir, cli } = await startWith("log:\n  level: info\n");

    writeConfig(dir, "pipeline:\n  concurrency: none\nsubscribers:\n  settings:\n    geolocation:\n      options:\n        mdule: geoip_city\n");
    cli.child.kill("SIGHUP");
    await reloaded(cli, 1);
    const errors = jsonLines(cli.stdout()).filter((l) => l.level === "error");
    expect(errors).toEqual([
      expect.objectContaining({
        code: "ENRICHD_CONFIG_INVALID",
        msg: 'configuration reload refused, the running configuration stays: invalid configuration: pipeline.concurrency must be a number, got the string "none"',
      }),
    ]);
    // A subscriber option that does not exist is refused the same way.
    writeConfig(dir, "subscribers:\n  settings:\n    geolocation:\n      options:\n        mdule: geoip_city\n");
    cli.child.kill("SIGHUP");
    await reloaded(cli, 2);
    expect(jsonLines(cli.stdout()).filter((l) => l.level === "error")[1]).toMatchObject({ code: "ENRICHD_SUBSCRIBER_INVALID", msg: expect.stringContaining("mdule") });
    expect(msgs(cli, "misp-enrichd starting")).toHaveLength(1);
    // Still the first daemon, enriching as before.
    await publishUntil(peers, "8.8.8.8", () => peers.misp.state.objects.length === 1);
    await stopsCleanly(cli);
  });

  it("finishes work in flight at the swap: what the old daemon could not finish, the new one writes", async () => {
    const yaml = "misp:\n  timeoutMs: 60000\npipeline:\n  drainTimeoutMs: 300\nbackfill:\n  enabled: false\n";
    const { peers, path, cli } = await startWith(yaml);
    // MISP takes the object write and never answers it: the enrichment is in flight.
    peers.misp.failNext(1, "hang", "/objects/add/");
    await publishUntil(peers, "8.8.8.8", () => peers.misp.calls.some((c) => c.path.startsWith("/objects/add/")));

    writeFileSync(path, `${yaml}log:\n  level: info\n`);
    cli.child.kill("SIGHUP");
    await reloaded(cli, 1);
    // The old daemon's drain time ran out: the work went to the spool; the new daemon re-drove it.
    await vi.waitFor(() => expect(peers.misp.state.objects).toHaveLength(1), { timeout: 15_000, interval: 50 });
    expect(msgs(cli, "drain timeout: aborting handlers, their work goes to the spool")).toHaveLength(1);
    await vi.waitFor(() => expect(msgs(cli, "spool re-driven")).toEqual([expect.objectContaining({ cleared: 1 })]), { timeout: 5_000, interval: 20 });
    expect(msgs(cli, "handler failed; work kept in the spool for a later retry")).toEqual([
      expect.objectContaining({ value: "8.8.8.8", err: "the daemon stopped before the handler finished (pipeline.drainTimeoutMs 300 ms)" }),
    ]);
    await stopsCleanly(cli);
  });
});
