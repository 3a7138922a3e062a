import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { errorCode } from "../../src/errors.js";
import { createMetrics } from "../../src/metrics/metrics.js";
import { createDeadLetterBox, importLegacyDeadLetters } from "../../src/state/dead-letter.js";
import { openEntryFolder, type NewWorkEntry } from "../../src/state/entry-folder.js";
import { createSpool } from "../../src/state/spool.js";
import { captureLogs } from "../support/log-capture.js";

function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "enrichd-spool-"));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const frame = { topic: "misp_json_attribute", transport: "zmq" as const, payload: Buffer.from("x").toString("base64") };
const work = (subscriber = "geolocation", code = "ENRICHD_MISP_UNAVAILABLE"): NewWorkEntry => ({ subscriber, routeIndex: 0, frame, attempts: 5, error: { code, message: "503" } });

describe("spool", () => {
  it("keeps entries on disk in order until removed", async () => {
    const dir = join(stateDir(), "spool");
    const spool = createSpool({ dir });
    const a = await spool.put({ subscriber: "geolocation", routeIndex: 0, frame, attempts: 5, error: { code: "ENRICHD_MISP_UNAVAILABLE", message: "503" } });
    const b = await spool.put({ subscriber: "onion-lookup", routeIndex: 0, frame, attempts: 5, error: { code: "ENRICHD_MODULE_TIMEOUT", message: "t" } });
    const reopened = createSpool({ dir });
    expect((await reopened.list()).map((e) => e.id)).toEqual([a.id, b.id]);
    await reopened.remove(a.id);
    expect(await reopened.count()).toBe(1);
    expect((await reopened.list())[0]?.subscriber).toBe("onion-lookup");
  });

  it("counts what it holds at start and as it changes, in entries and bytes", async () => {
    const dir = join(stateDir(), "spool");
    await createSpool({ dir }).put(work());
    const metrics = createMetrics();
    const spool = createSpool({ dir, metrics });
    const entry = await spool.put(work());
    const one = Buffer.byteLength(JSON.stringify(entry));
    expect(spool.usage()).toEqual({ entries: 2, bytes: 2 * one, full: false });
    expect(metrics.get("misp_enrichd_spool_entries")).toBe(2);
    expect(metrics.get("misp_enrichd_spool_bytes")).toBe(2 * one);
    await spool.remove(entry.id);
    expect(spool.usage()).toEqual({ entries: 1, bytes: one, full: false });
  });

  it("when full, holds a new entry until the re-drive removes one, with one log line and the full gauge, and says when it parked it", async () => {
    const dir = join(stateDir(), "spool");
    const logs = captureLogs();
    const metrics = createMetrics();
    let heldParked = 0;
    const spool = createSpool({ dir, maxEntries: 2, logger: logs.logger, metrics, roomCheckMs: 3_600_000, onHeldWorkParked: () => heldParked++ });
    const first = await spool.put(work());
    await spool.put(work());
    let stored = false;
    const third = spool.put(work("onion-lookup")).then((entry) => ((stored = true), entry));
    const stop = new AbortController();
    const fourth = spool.put(work("onion-lookup"), { signal: stop.signal }).catch((e: unknown) => e);
    await new Promise((resolve) => setImmediate(resolve));
    expect(stored).toBe(false);
    expect(readdirSync(dir).filter((n) => n.endsWith(".json"))).toHaveLength(2);
    expect(spool.usage().full).toBe(true);
    expect(metrics.get("misp_enrichd_spool_full")).toBe(1);
    expect(logs.find("spool full")).toHaveLength(1);
    await spool.remove(first.id);
    expect((await third).subscriber).toBe("onion-lookup");
    expect(readdirSync(dir).filter((n) => n.endsWith(".json"))).toHaveLength(2);
    expect(stored).toBe(true);
    // The held work is parked now: the pipeline re-drives at once rather than a period later.
    expect(heldParked).toBe(1);
    stop.abort();
    expect(errorCode(await fourth)).toBe("ENRICHD_SPOOL_FULL");
  });

  it("finds room an operator made beside it (`spool drop`) on its next look", async () => {
    const dir = join(stateDir(), "spool");
    const spool = createSpool({ dir, maxEntries: 1, roomCheckMs: 10 });
    const first = await spool.put(work());
    const second = spool.put(work());
    rmSync(join(dir, `${first.id}.json`));
    expect((await second).subscriber).toBe("geolocation");
  });

  it("gives up waiting with ENRICHD_SPOOL_FULL when its signal aborts (shutdown)", async () => {
    const dir = join(stateDir(), "spool");
    const spool = createSpool({ dir, maxEntries: 1, roomCheckMs: 3_600_000 });
    await spool.put(work());
    const shutdown = new AbortController();
    const waiting = spool.put(work(), { signal: shutdown.signal }).catch((e: unknown) => e);
    shutdown.abort();
    expect(errorCode(await waiting)).toBe("ENRICHD_SPOOL_FULL");
    expect(await spool.count()).toBe(1);
  });

  it("holds an entry while the disk is full (ENOSPC) and writes it once there is room, with one line each way", async () => {
    const dir = join(stateDir(), "spool");
    const disk = openEntryFolder(dir);
    let refusals = 3;
    const full = Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    const folder = { ...disk, write: async (entry: Parameters<typeof disk.write>[0]) => (refusals-- > 0 ? Promise.reject(new Error("spool write failed", { cause: full })) : disk.write(entry)) };
    const logs = captureLogs();
    let parked = 0;
    const spool = createSpool({ dir, folder, logger: logs.logger, roomCheckMs: 5, onHeldWorkParked: () => parked++ });
    const entry = await spool.put(work());
    expect(refusals).toBe(-1);
    expect((await openEntryFolder(dir).list()).map((e) => e.id)).toEqual([entry.id]);
    expect(logs.find("state disk full: the spool cannot write; work is held in the pipeline and written as soon as there is room")).toHaveLength(1);
    expect(logs.find("state disk has room again: the spool writes")).toHaveLength(1);
    expect(parked).toBe(1);
  });

  it("gives the full disk's error back when its signal aborts (shutdown) while it waits", async () => {
    const dir = join(stateDir(), "spool");
    const disk = openEntryFolder(dir);
    const full = Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    const folder = { ...disk, write: async () => Promise.reject(new Error("spool write failed", { cause: full })) };
    const stop = new AbortController();
    const spool = createSpool({ dir, folder, roomCheckMs: 5 });
    const put = spool.put(work(), { signal: stop.signal });
    setTimeout(() => stop.abort(), 30);
    await expect(put).rejects.toThrow("spool write failed");
    expect(spool.usage().entries).toBe(0);
  });

  it("refuses at once an entry larger than the whole byte bound", async () => {
    const spool = createSpool({ dir: join(stateDir(), "spool"), maxBytes: 100 });
    expect(errorCode(await spool.put(work()).catch((e: unknown) => e))).toBe("ENRICHD_SPOOL_FULL");
  });
});

describe("dead letters", () => {
  it("are one file each, in the spool's format", async () => {
    const dir = join(stateDir(), "dead-letters");
    const box = createDeadLetterBox({ dir });
    const letter = await box.put(work("geolocation", "ENRICHD_MODULE_ERROR"));
    expect(await openEntryFolder(dir).read(letter.id)).toEqual(letter);
  });

  it("stay within their bound by removing the oldest, each named in a warn line and counted", async () => {
    const dir = join(stateDir(), "dead-letters");
    const logs = captureLogs();
    const metrics = createMetrics();
    const box = createDeadLetterBox({ dir, maxEntries: 2, logger: logs.logger, metrics });
    const a = await box.put(work("a", "ENRICHD_MODULE_ERROR"));
    const b = await box.put(work("b", "ENRICHD_MODULE_ERROR"));
    const c = await box.put(work("c", "ENRICHD_MODULE_ERROR"));
    expect(await openEntryFolder(dir).ids()).toEqual([b.id, c.id]);
    expect(logs.find("dead letters over their bound")).toMatchObject([{ deadLetterId: a.id, subscriber: "a", code: "ENRICHD_MODULE_ERROR" }]);
    expect(metrics.get("misp_enrichd_dead_letters_evicted_total")).toBe(1);
    expect(metrics.get("misp_enrichd_dead_letters")).toBe(2);
  });

  it("of an older version (dead-letter.jsonl) are moved into the folder once", async () => {
    const state = stateDir();
    const zmqPayload = Buffer.from('misp_json_attribute {"Attribute":{}}').toString("base64");
    const kafkaPayload = Buffer.from('{"Attribute":{}}').toString("base64");
    writeFileSync(
      join(state, "dead-letter.jsonl"),
      [
        JSON.stringify({ at: "2026-01-01T00:00:00.000Z", subscriber: "geolocation", topic: "misp_json_attribute", code: "ENRICHD_MODULE_ERROR", message: "boom", payload: zmqPayload }),
        JSON.stringify({ at: "2026-01-01T00:00:01.000Z", subscriber: "geolocation", topic: "misp_attribute", position: "misp_attribute/0@7", code: "ENRICHD_MISP_REJECTED", message: "no", payload: kafkaPayload }),
        '{"torn',
      ].join("\n"),
    );
    const box = createDeadLetterBox({ dir: join(state, "dead-letters") });
    expect(await importLegacyDeadLetters(state, box)).toBe(2);
    const letters = await openEntryFolder(join(state, "dead-letters")).list();
    expect(letters.map((l) => [l.frame.transport, l.error.code, l.frame.position])).toEqual([
      ["zmq", "ENRICHD_MODULE_ERROR", undefined],
      ["kafka", "ENRICHD_MISP_REJECTED", "misp_attribute/0@7"],
    ]);
    expect(readdirSync(state)).not.toContain("dead-letter.jsonl");
    expect(await importLegacyDeadLetters(state, box)).toBe(0);
  });
});
