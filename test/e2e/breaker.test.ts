// The whole daemon on real ZeroMQ and the stand-ins: a module server outage opens its breaker, the
// work is parked in the spool without reaching the server, and once the cool-down is over the
// re-drive probes the server and writes everything. Also: the re-drive takes an operator's retry
// request, and waits while a breaker is open.

import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { requestRetry } from "../../src/state/retry-requests.js";
import { startHarness, type Harness } from "../support/harness.js";

describe("circuit breakers in the running daemon", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  async function publishIp(harness: Harness, value: string): Promise<void> {
    const event = harness.misp.seedEvent();
    const source = harness.misp.seedAttribute(event.uuid, { type: "ip-dst", value });
    await harness.publish(source.message.topic, source.message.payload);
  }

  const spoolFiles = (harness: Harness): string[] => readdirSync(join(harness.stateDir, "spool")).filter((n) => n.endsWith(".json"));

  it("parks work while the module server's breaker is open, then re-drives it once the server answers again", async () => {
    h = await startHarness({ overrides: { "breaker.failureThreshold": 2, "breaker.openMs": 400, "pipeline.retryAttempts": 5 } });
    const modules = h.modules;
    if (!modules) throw new Error("stand-in expected");
    modules.failNext(2, "http500");
    await publishIp(h, "8.8.8.8");
    await h.settle();
    // Two failures opened the breaker: the third attempt was refused at once and the work parked,
    // without the two attempts still left.
    expect(h.daemon.breakers.find((b) => b.peer === "modules")?.state()).not.toBe("closed");
    expect(h.counter("misp_enrichd_retries_total")).toBe(2);
    expect(h.counter("misp_enrichd_module_queries_total", { module: "mmdb_lookup", outcome: "circuit_open" })).toBe(1);
    const requestsWhileOpen = modules.requests.length;
    for (const value of ["188.65.220.25", "9.9.9.9", "1.1.1.1"]) await publishIp(h, value);
    await h.settle();
    expect(modules.requests.length).toBe(requestsWhileOpen);
    expect(h.counter("misp_enrichd_handler_runs_total", { subscriber: "geolocation", outcome: "spooled" })).toBe(4);
    expect(h.logs.find("circuit breaker opened")).toHaveLength(1);
    // The cool-down ends, the breaker lets a probe through, the re-drive takes it and the rest.
    await vi.waitFor(() => expect(h?.misp.state.objects).toHaveLength(4), { timeout: 10_000, interval: 25 });
    await vi.waitFor(() => expect(spoolFiles(h as Harness)).toEqual([]), { timeout: 5_000, interval: 25 });
    expect(h.logs.find("circuit breaker closed")).toHaveLength(1);
    expect(h.daemon.health()).toEqual({ ok: true, reasons: [] });
  });

  it("reports an open breaker in /healthz's verdict", async () => {
    h = await startHarness({ overrides: { "breaker.failureThreshold": 1, "breaker.openMs": 3_600_000 } });
    h.misp.failNext(1, 503, "/objects/add/");
    await publishIp(h, "8.8.8.8");
    await h.settle();
    const verdict = h.daemon.health();
    expect(verdict.ok).toBe(false);
    expect(verdict.reasons).toEqual([expect.stringMatching(/^misp circuit breaker open \(1 consecutive failures; last: MISP answered 503/)]);
  });

  it("re-drives on an operator's request at once, and not while a breaker refuses calls", async () => {
    h = await startHarness({ overrides: { "breaker.failureThreshold": 1, "breaker.openMs": 3_600_000, "pipeline.retryAttempts": 1 } });
    h.misp.failNext(1, 503, "/objects/add/");
    await publishIp(h, "8.8.8.8");
    await h.settle();
    expect(spoolFiles(h)).toHaveLength(1);
    // The breaker is open for an hour: a request is taken, and the re-drive waits.
    await requestRetry(join(h.stateDir, "spool"), []);
    await vi.waitFor(() => expect(h?.logs.find("spool re-drive waits for the circuit breaker").length).toBeGreaterThan(0), { timeout: 5_000, interval: 25 });
    expect(h.misp.state.objects).toHaveLength(0);
    expect(spoolFiles(h)).toHaveLength(1);
  });

  it("re-drives the spool at once when `misp-enrichd spool retry` leaves a request", async () => {
    h = await startHarness({ overrides: { "pipeline.retryAttempts": 1 } });
    h.misp.failNext(1, 503, "/objects/add/");
    await publishIp(h, "8.8.8.8");
    await h.settle();
    const [entry] = spoolFiles(h);
    expect(entry).toBeDefined();
    await requestRetry(join(h.stateDir, "spool"), [String(entry).replace(/\.json$/, "")]);
    await vi.waitFor(() => expect(h?.misp.state.objects).toHaveLength(1), { timeout: 5_000, interval: 25 });
    await vi.waitFor(() => expect(readdirSync(join((h as Harness).stateDir, "spool"))).toEqual([]), { timeout: 5_000, interval: 25 });
  });
});
