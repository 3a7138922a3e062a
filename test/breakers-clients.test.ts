// The circuit breakers wired into the real clients, on real sockets: what counts against a peer,
// what does not, and that an open breaker keeps the call off the wire.

import { describe, expect, it, onTestFinished } from "vitest";
import { startModulesStandin } from "@misp-enrichd/standins";
import { createCircuitBreaker, type CircuitBreaker } from "../src/circuit-breaker.js";
import { errorCode } from "../src/errors.js";
import { createMetrics } from "../src/metrics/metrics.js";
import { createModulesClient } from "../src/modules/client.js";
import { client, standin } from "./misp/helpers.js";
import { makeAttribute } from "./modules/helpers.js";
import { captureLogs } from "./support/log-capture.js";

function breaker(peer: string, failureThreshold = 2): CircuitBreaker {
  const b = createCircuitBreaker({ peer, failureThreshold, openMs: 3_600_000, halfOpenProbes: 1, logger: captureLogs().logger, metrics: createMetrics() });
  onTestFinished(() => b.close());
  return b;
}

describe("the MISP client behind its breaker", () => {
  it("opens on consecutive 503s and then refuses without calling MISP", async () => {
    const misp = await standin();
    const b = breaker("misp");
    const { client: c } = client(misp.url, { breaker: b });
    misp.failNext(2, 503);
    for (let i = 0; i < 2; i++) expect(errorCode(await c.getVersion().catch((e: unknown) => e))).toBe("ENRICHD_MISP_UNAVAILABLE");
    const callsBefore = misp.calls.length;
    expect(errorCode(await c.getVersion().catch((e: unknown) => e))).toBe("ENRICHD_CIRCUIT_OPEN");
    expect(misp.calls.length).toBe(callsBefore);
  });

  it("takes a refusal (4xx) as a sign MISP is up", async () => {
    const misp = await standin();
    const b = breaker("misp");
    const { client: c } = client(misp.url, { breaker: b });
    misp.failNext(1, 503);
    misp.failNext(1, 403);
    misp.failNext(1, 503);
    for (let i = 0; i < 3; i++) await c.getVersion().catch(() => undefined);
    expect(b.state()).toBe("closed");
  });

  it("does not count calls the caller aborted", async () => {
    const misp = await standin();
    const b = breaker("misp");
    const { client: c } = client(misp.url, { breaker: b });
    misp.failNext(3, "hang");
    for (let i = 0; i < 3; i++) {
      const controller = new AbortController();
      const call = c.getVersion(controller.signal).catch((e: unknown) => e);
      controller.abort(new Error("shutdown"));
      await call;
    }
    expect(b.state()).toBe("closed");
    expect(b.status().consecutiveFailures).toBe(0);
  });
});

describe("the modules client behind its breaker", () => {
  it("opens on consecutive 5xx answers and then refuses /query without reaching the server", async () => {
    const modules = await startModulesStandin();
    onTestFinished(() => modules.close());
    const b = breaker("modules");
    const metrics = createMetrics();
    const c = createModulesClient({ url: modules.url, logger: captureLogs().logger, metrics, breaker: b, timeoutMs: 5_000 });
    onTestFinished(() => c.close());
    await c.list(); // discovery answered: the server is up
    modules.failNext(2, "http500");
    for (let i = 0; i < 2; i++) expect(errorCode(await c.query("mmdb_lookup", makeAttribute()).catch((e: unknown) => e))).toBe("ENRICHD_MODULE_UNAVAILABLE");
    expect(b.state()).toBe("open");
    const queriesBefore = modules.requests.length;
    expect(errorCode(await c.query("mmdb_lookup", makeAttribute()).catch((e: unknown) => e))).toBe("ENRICHD_CIRCUIT_OPEN");
    expect(modules.requests.length).toBe(queriesBefore);
    expect(metrics.get("misp_enrichd_module_queries_total", { module: "mmdb_lookup", outcome: "circuit_open" })).toBe(1);
  });

  it("takes a module's own error answer as a sign the server is up", async () => {
    const modules = await startModulesStandin();
    onTestFinished(() => modules.close());
    const b = breaker("modules");
    const c = createModulesClient({ url: modules.url, logger: captureLogs().logger, metrics: createMetrics(), breaker: b, timeoutMs: 5_000 });
    onTestFinished(() => c.close());
    modules.failNext(1, "http500");
    modules.failNext(1, "generic-error");
    modules.failNext(1, "http500");
    for (let i = 0; i < 3; i++) await c.query("mmdb_lookup", makeAttribute()).catch(() => undefined);
    expect(b.state()).toBe("closed");
  });
});
