// `misp-enrichd enrich --event`: the attribute:add rules and subscribers over attributes that
// already exist and were never published on the bus, with the daemon's idempotency, and beside a
// running daemon on the same config and state folder (two processes: neither repeats or loses
// what the other did).

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { jsonLines, KEY, pumpHeartbeats, runCli, startCli, startPeers, tempDir, waitForLine, writeConfig } from "./cli.js";

describe("misp-enrichd enrich --event", () => {
  it("enriches the attributes of an event no bus ever carried, once, and prints what it did", async () => {
    const peers = await startPeers();
    const event = peers.misp.seedEvent({ info: "old case" });
    const ip = peers.misp.seedAttribute(event.uuid, { type: "ip-dst", value: "8.8.8.8" });
    const onion = peers.misp.seedAttribute(event.uuid, { type: "onion-address", value: "expyuzz4wqqyqhjn.onion" });
    peers.misp.seedAttribute(event.uuid, { type: "domain", value: "evil.example" });

    const first = await runCli(["enrich", "--event", event.uuid], peers.env);
    expect(jsonLines(first.stderr).filter((l) => l.level === "error" || l.level === "warn")).toEqual([]);
    expect(first.code).toBe(0);
    expect(first.stdout.split("\n")[0]).toBe(`enriched event ${event.uuid} ("old case"): 3 attributes; ran geolocation, onion-lookup`);
    expect(first.stdout).toMatch(/handled +2 \(geolocation 1, onion-lookup 1\)/);
    expect(peers.misp.state.objects.map((o) => o.name).sort()).toEqual(["geolocation", "tor-hiddenservice"]);
    expect(peers.misp.state.references.map((r) => r.referencedUuid).sort()).toEqual([ip.uuid, onion.uuid].sort());

    // Again, by id this time: the handled ledger knows both; no module query, no write.
    const queries = peers.modules.queryCount();
    const writes = peers.misp.calls.filter((c) => c.method === "POST" && c.path !== "/attributes/restSearch" && c.path !== "/events/index").length;
    const second = await runCli(["enrich", "--event", String(event.id)], peers.env);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/before +2 \(geolocation 1, onion-lookup 1\) handled already/);
    expect(peers.modules.queryCount()).toBe(queries);
    expect(peers.misp.calls.filter((c) => c.method === "POST" && c.path !== "/attributes/restSearch" && c.path !== "/events/index").length).toBe(writes);
  });

  it("narrows by type and rule, previews with --dry-run, and names what it cannot run", async () => {
    const peers = await startPeers();
    const event = peers.misp.seedEvent();
    peers.misp.seedAttribute(event.uuid, { type: "ip-dst", value: "8.8.8.8" });
    peers.misp.seedAttribute(event.uuid, { type: "onion-address", value: "expyuzz4wqqyqhjn.onion" });
    const config = writeConfig(tempDir(), "rules:\n  - name: tag-ips\n    on: attribute:add\n    where: { type: ip-dst }\n    do: [ { add-tag: 'triage:new' } ]\n");

    const dry = await runCli(["enrich", "--config", config, "--event", event.uuid, "--rule", "tag-ips", "--type", "ip-dst", "--dry-run"], peers.env);
    expect(dry.code).toBe(0);
    expect(dry.stdout.split("\n")[0]).toBe(`enriched event ${event.uuid} ("stand-in event"): 1 attribute of type ip-dst; ran tag-ips`);
    expect(dry.stdout).toContain("would call:\n  POST /tags/attachTagToObject");
    expect(peers.misp.state.attributeTags).toEqual([]);
    expect(peers.misp.calls.filter((c) => c.path === "/attributes/restSearch").map((c) => c.body)).toEqual([
      { returnFormat: "json", includeEventUuid: true, type: ["ip-dst"], eventid: String(event.id), limit: 100, page: 1 },
    ]);

    const unknown = await runCli(["enrich", "--config", config, "--event", event.uuid, "--rule", "tag-ip"], peers.env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe("misp-enrichd enrich: no attribute:add rule or subscriber named tag-ip; those that do: geolocation, onion-lookup, tag-ips\n");
    const missing = await runCli(["enrich", "--event", "5f2a8c1e-0000-4000-8000-00000000dead"], peers.env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^misp-enrichd enrich: MISP has no event 5f2a8c1e-0000-4000-8000-00000000dead/);
  });

  it("runs beside the daemon on the same state folder: each skips what the other handled, and both ledgers keep every record", async () => {
    const peers = await startPeers();
    pumpHeartbeats(peers.publisher);
    const event = peers.misp.seedEvent();
    const seen = peers.misp.seedAttribute(event.uuid, { type: "ip-dst", value: "8.8.8.8" });
    const unseen = peers.misp.seedAttribute(event.uuid, { type: "ip-dst", value: "1.1.1.1" });
    const daemon = startCli(["run"], { ...peers.env, LOG_LEVEL: "debug" });
    await vi.waitFor(() => expect(jsonLines(daemon.stdout()).some((l) => l.msg === "misp heartbeat")).toBe(true), { timeout: 10_000 });

    // The daemon handles one from the bus; enrich, meanwhile, the event.
    await peers.publisher.publish(seen.message.topic, seen.message.payload);
    await vi.waitFor(() => expect(peers.misp.state.objects).toHaveLength(1), { timeout: 10_000 });
    const enrich = await runCli(["enrich", "--event", event.uuid], peers.env);
    expect(enrich.code).toBe(0);
    expect(enrich.stdout).toMatch(/handled +1 \(geolocation 1\)/);
    expect(enrich.stdout).toMatch(/before +1 \(geolocation 1\) handled already/);
    expect(peers.misp.state.objects).toHaveLength(2);

    // The bus now brings the one enrich handled: the daemon knows it from enrich's ledger.
    const queries = peers.modules.queryCount("mmdb_lookup");
    await peers.publisher.publish(unseen.message.topic, unseen.message.payload);
    await vi.waitFor(() => expect(jsonLines(daemon.stdout()).some((l) => l.msg === "attribute already handled by this subscriber; redelivery ignored" && l.attributeUuid === unseen.uuid)).toBe(true), { timeout: 10_000 });
    expect(peers.modules.queryCount("mmdb_lookup")).toBe(queries);

    daemon.child.kill("SIGTERM");
    expect(await daemon.exited).toBe(0);
    const daemonLedger = readFileSync(join(peers.stateDir, "handled.jsonl"), "utf8");
    const manualLedger = readFileSync(join(peers.stateDir, "handled.manual.jsonl"), "utf8");
    expect(daemonLedger).toContain(`geolocation|${seen.uuid}`);
    expect(manualLedger).toContain(`geolocation|${unseen.uuid}`);
    expect(existsSync(join(peers.stateDir, "enrich.lock"))).toBe(false);
  });

  it("refuses to run while another enrich holds the state folder", async () => {
    const peers = await startPeers();
    const event = peers.misp.seedEvent();
    const lock = join(peers.stateDir, "enrich.lock");
    writeFileSync(lock, String(process.pid)); // this test process: alive
    const { code, stderr } = await runCli(["enrich", "--event", event.uuid], { ...peers.env, MISP_KEY: KEY });
    expect(code).toBe(1);
    expect(stderr).toBe(`misp-enrichd enrich: another misp-enrichd enrich (pid ${process.pid}) is running on ${peers.stateDir}; wait for it to finish\n`);
  });
});
