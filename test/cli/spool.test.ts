// `misp-enrichd spool` from the built CLI: what an operator sees of the spool and the dead letters,
// and re-driving a dead letter through a running daemon after the cause was fixed.

import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { createDeadLetterBox } from "../../src/state/dead-letter.js";
import { createSpool } from "../../src/state/spool.js";
import { jsonLines, pumpHeartbeats, runCli, startCli, startPeers, tempDir, waitForLine } from "./cli.js";

const ATTRIBUTE_FRAME = Buffer.from(
  `misp_json_attribute ${JSON.stringify({
    Attribute: { id: "12", event_id: "3", object_id: "0", object_relation: null, category: "Network activity", type: "ip-dst", value: "8.8.4.4", to_ids: false, uuid: "5a0c4f1e-2b3d-4c5e-8f90-1a2b3c4d5e6f", timestamp: "1700000000", distribution: "5", sharing_group_id: "0", comment: "", deleted: false, disable_correlation: false, first_seen: null, last_seen: null },
    Event: { id: "3", uuid: "0c4f1e5a-2b3d-4c5e-8f90-1a2b3c4d5e6f", info: "phishing wave", date: "2026-01-01", published: false, org_id: "1", orgc_id: "1", distribution: "1", sharing_group_id: "0" },
    action: "add",
  })}`,
).toString("base64");

const work = (code: string, message: string) => ({
  subscriber: "geolocation",
  routeIndex: 0,
  frame: { topic: "misp_json_attribute", transport: "zmq" as const, payload: ATTRIBUTE_FRAME },
  attempts: 5,
  error: { code, message },
});

const env = (stateDir: string): Record<string, string> => ({ STATE_DIRECTORY: stateDir });

describe("misp-enrichd spool, without a daemon", () => {
  it("lists each entry with its reason and the input it is about, and shows one whole", async () => {
    const stateDir = tempDir();
    const entry = await createSpool({ dir: join(stateDir, "spool") }).put(work("ENRICHD_MISP_UNAVAILABLE", "MISP answered 503 to POST /objects/add/…"));
    const list = await runCli(["spool", "list"], env(stateDir));
    expect(list.code).toBe(0);
    const [line, footer] = list.stdout.trimEnd().split("\n");
    expect(line).toMatch(new RegExp(`^${entry.id}  +\\d+s  geolocation  ENRICHD_MISP_UNAVAILABLE after 5 attempts  misp_json_attribute add ip-dst "8\\.8\\.4\\.4" attribute 5a0c4f1e-2b3d-4c5e-8f90-1a2b3c4d5e6f event 0c4f1e5a-2b3d-4c5e-8f90-1a2b3c4d5e6f "phishing wave"  — MISP answered 503 to POST /objects/add/…$`));
    expect(footer).toMatch(new RegExp(`^1 spooled entry, \\d+ bytes in ${join(stateDir, "spool")}$`));
    const json = JSON.parse((await runCli(["spool", "list", "--json"], env(stateDir))).stdout) as { id: string; input: string }[];
    expect(json).toMatchObject([{ id: entry.id, error: { code: "ENRICHD_MISP_UNAVAILABLE" }, input: expect.stringContaining('ip-dst "8.8.4.4"') }]);
    const shown = JSON.parse((await runCli(["spool", "show", entry.id], env(stateDir))).stdout) as Record<string, unknown>;
    expect(shown).toMatchObject({ id: entry.id, input: { Attribute: { value: "8.8.4.4" }, action: "add" } });
    const missing = await runCli(["spool", "show", "00000000000000-000000-deadbeef"], env(stateDir));
    expect([missing.code, missing.stderr]).toEqual([1, `misp-enrichd: no spool entry 00000000000000-000000-deadbeef in ${join(stateDir, "spool")}\n`]);
  });

  it("drops an entry, purges the dead letters only when told --dead, and moves a dead letter back into the spool", async () => {
    const stateDir = tempDir();
    const spooled = await createSpool({ dir: join(stateDir, "spool") }).put(work("ENRICHD_MODULE_TIMEOUT", "t"));
    const box = createDeadLetterBox({ dir: join(stateDir, "dead-letters") });
    const [a, b, c] = [await box.put(work("ENRICHD_MODULE_ERROR", "a")), await box.put(work("ENRICHD_MODULE_ERROR", "b")), await box.put(work("ENRICHD_MODULE_ERROR", "c"))];
    expect((await runCli(["spool", "list", "--dead"], env(stateDir))).stdout).toContain("3 dead letters, ");

    expect((await runCli(["spool", "drop", spooled.id], env(stateDir))).stdout).toBe(`dropped ${spooled.id}\n`);
    expect((await runCli(["spool", "drop", spooled.id], env(stateDir))).code).toBe(1);

    const retried = await runCli(["spool", "retry", "--dead", a.id, "--wait", "0"], env(stateDir));
    expect(retried.stdout).toBe("1 dead letter moved into the spool\nno running daemon took the request within 0 s: the spool is re-driven when the daemon starts (or every pipeline.spoolRetryMs)\n");
    expect(readdirSync(join(stateDir, "spool")).filter((n) => n.endsWith(".json"))).toEqual([`${a.id}.json`]);
    const shown = JSON.parse((await runCli(["spool", "show", a.id], env(stateDir))).stdout) as Record<string, unknown>;
    expect(shown).toMatchObject({ retriedFromDead: a.id, attempts: 0, error: { code: "ENRICHD_MODULE_ERROR" } });

    const refused = await runCli(["spool", "purge"], env(stateDir));
    expect(refused.code).toBe(1);
    expect((await runCli(["spool", "purge", "--dead"], env(stateDir))).stdout).toBe(`2 dead letters removed from ${join(stateDir, "dead-letters")}\n`);
    expect(existsSync(join(stateDir, "dead-letters", `${b.id}.json`)) || existsSync(join(stateDir, "dead-letters", `${c.id}.json`))).toBe(false);
    expect(readdirSync(join(stateDir, "spool")).filter((n) => n.endsWith(".json"))).toEqual([`${a.id}.json`]);
  });
});

describe("misp-enrichd spool, beside a running daemon", () => {
  it("re-drives a dead letter once the cause is fixed: the daemon takes the request at once and writes", async () => {
    const peers = await startPeers();
    pumpHeartbeats(peers.publisher);
    const daemon = startCli(["run"], peers.env);
    await waitForLine(daemon, /"msg":"bus subscribed"/);
    await vi.waitFor(() => expect(jsonLines(daemon.stdout()).some((l) => l.msg === "misp heartbeat" || l.msg === "bus connected")).toBe(true), { timeout: 10_000 });

    // The module answers an error once (say, a missing API key): the work is dead-lettered.
    peers.modules.failNext(1, "generic-error");
    const event = peers.misp.seedEvent();
    const source = peers.misp.seedAttribute(event.uuid, { type: "ip-dst", value: "8.8.8.8" });
    await vi.waitFor(
      async () => {
        await peers.publisher.publish(source.message.topic, source.message.payload);
        expect(readdirSync(join(peers.stateDir, "dead-letters")).filter((n) => n.endsWith(".json"))).toHaveLength(1);
      },
      { timeout: 10_000, interval: 200 },
    );
    const listed = await runCli(["spool", "list", "--dead"], peers.env);
    expect(listed.stdout).toMatch(/geolocation  ENRICHD_MODULE_ERROR after 1 attempt  misp_json_attribute add ip-dst "8\.8\.8\.8"/);
    const id = listed.stdout.split(" ")[0] as string;
    expect(peers.misp.state.objects).toHaveLength(0);

    // Fixed: the stand-in answers normally again. The letter goes back, the daemon takes it now.
    const retried = await runCli(["spool", "retry", "--dead", id], peers.env);
    expect(retried.stdout).toBe("1 dead letter moved into the spool\nthe daemon took the request and is re-driving the spool now (misp-enrichd spool list shows what is left)\n");
    await vi.waitFor(() => expect(peers.misp.state.objects).toHaveLength(1), { timeout: 10_000, interval: 50 });
    await vi.waitFor(() => expect(readdirSync(join(peers.stateDir, "spool"))).toEqual([]), { timeout: 5_000, interval: 50 });
    expect((await runCli(["spool", "list", "--dead"], peers.env)).stdout).toMatch(/^0 dead letters, 0 bytes/);
    daemon.child.kill("SIGTERM");
    expect(await daemon.exited).toBe(0);
  });
});
