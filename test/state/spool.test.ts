import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { createSpool } from "../../src/state/spool.js";

describe("spool", () => {
  it("keeps entries on disk in order until removed", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "enrichd-spool-")), "spool");
    onTestFinished(() => rmSync(join(dir, ".."), { recursive: true, force: true }));
    const spool = createSpool({ dir });
    const frame = { topic: "misp_json_attribute", transport: "zmq" as const, payload: Buffer.from("x").toString("base64") };
    const a = await spool.put({ subscriber: "geolocation", routeIndex: 0, frame, attempts: 5, error: { code: "ENRICHD_MISP_UNAVAILABLE", message: "503" } });
    const b = await spool.put({ subscriber: "onion-lookup", routeIndex: 0, frame, attempts: 5, error: { code: "ENRICHD_MODULE_TIMEOUT", message: "t" } });
    const reopened = createSpool({ dir });
    expect((await reopened.list()).map((e) => e.id)).toEqual([a.id, b.id]);
    await reopened.remove(a.id);
    expect(await reopened.count()).toBe(1);
    expect((await reopened.list())[0]?.subscriber).toBe("onion-lookup");
  });
});
