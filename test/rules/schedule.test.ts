// Scheduled rules, on an injected clock: a sweep over the attributes changed in the window, every
// `every`, through the same runner; an add-rule catches up on what it never handled, any other rule
// re-applies where its actions still change something.

import { afterEach, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "../support/harness.js";

const DAY = 86_400;

describe("a scheduled rule", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it("sweeps the window's attributes when due, never in between, and skips what it handled", async () => {
    let t = Math.floor(Date.now() / 1000);
    const rules = [
      { name: "sweep-ips", on: "attribute:add", where: { type: "ip-dst" }, schedule: { every: "24h", window: "7d" }, do: [{ "add-tag": "sweep:seen" }] },
      { name: "restrict-red", on: "tag:attached-to-attribute", where: { tags: { any: ["tlp:red"] } }, schedule: { every: "1h", window: "1d" }, do: [{ "set-distribution": 0 }] },
    ];
    h = await startHarness({ overrides: { rules }, now: () => t });
    const event = h.misp.seedEvent();
    const ip = h.misp.seedAttribute(event.uuid, { type: "ip-dst", value: "198.51.100.1" });
    h.misp.seedAttribute(event.uuid, { type: "domain", value: "not-an-ip.example" });
    const red = h.misp.seedAttribute(event.uuid, { type: "domain", value: "red.example", distribution: 3, tags: [{ name: "tlp:red" }] });

    expect(await h.daemon.scheduler.tick()).toEqual({ "sweep-ips": 1, "restrict-red": 1 });
    await h.settle();
    const searches = () => h?.misp.calls.filter((c) => c.path === "/attributes/restSearch").map((c) => c.body as Record<string, unknown>) ?? [];
    expect(searches().map((b) => [b.timestamp, b.type])).toEqual([[t - 7 * DAY, ["ip-dst"]], [t - DAY, undefined]]);
    expect(h.misp.state.attributeTags.filter((l) => l.tagName === "sweep:seen").map((l) => l.attributeUuid)).toEqual([ip.uuid]);
    expect(h.misp.state.attributes.find((a) => a.uuid === red.uuid)?.distribution).toBe(0);

    t += 3_600 - 1;
    expect(await h.daemon.scheduler.tick()).toEqual({});
    t += 1;
    expect(await h.daemon.scheduler.tick()).toEqual({ "restrict-red": 1 }); // its distribution is 0 already: nothing written
    await h.settle();
    expect(h.logs.find("message skipped").at(-1)).toMatchObject({ sub: "restrict-red", reason: "distribution already 0" });

    const later = h.misp.seedAttribute(event.uuid, { type: "ip-dst", value: "198.51.100.2" });
    t += DAY;
    // A day on, the red attribute last changed outside restrict-red's one-day window.
    expect(await h.daemon.scheduler.tick()).toEqual({ "sweep-ips": 2, "restrict-red": 0 });
    await h.settle();
    expect(h.misp.state.attributeTags.filter((l) => l.tagName === "sweep:seen").map((l) => l.attributeUuid)).toEqual([ip.uuid, later.uuid]);
    expect(h.counter("misp_enrichd_handler_runs_total", { subscriber: "sweep-ips", outcome: "duplicate" })).toBe(1);
  });

  it("remembers its last run across a restart", async () => {
    let t = Math.floor(Date.now() / 1000);
    const rules = [{ name: "sweep-ips", on: "attribute:add", where: { type: "ip-dst" }, schedule: { every: "24h", window: "7d" }, do: [{ "add-tag": "sweep:seen" }] }];
    h = await startHarness({ overrides: { rules }, now: () => t });
    expect(await h.daemon.scheduler.tick()).toEqual({ "sweep-ips": 0 });
    await h.restartDaemon();
    t += 60;
    expect(await h.daemon.scheduler.tick()).toEqual({});
  });
});
