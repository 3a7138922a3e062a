import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it, onTestFinished } from "vitest";
import { EnrichdError } from "../../src/errors.js";
import { createMetrics } from "../../src/metrics/metrics.js";
import { createMispClient } from "../../src/misp/client.js";
import { captureLogs } from "../support/log-capture.js";
import { attributeAdd, handlerOf, runnerKit } from "./helpers.js";

/** A MISP whose first answers are the given failures, then getVersion's success. */
async function mispFailingWith(...failures: ((res: ServerResponse) => void)[]): Promise<string> {
  const server = createServer((_req, res) => {
    const fail = failures.shift();
    if (fail) return fail(res);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ version: "2.5.1", perm_sync: false, perm_sighting: false }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const busy =
  (status: number, retryAfter?: string) =>
  (res: ServerResponse): void => {
    res.writeHead(status, { "content-type": "application/json", ...(retryAfter === undefined ? {} : { "retry-after": retryAfter }) });
    res.end(JSON.stringify({ name: "Too many requests", message: "Too many requests", url: "/servers/getVersion" }));
  };

function mispClient(url: string) {
  const client = createMispClient({ url, key: "k".repeat(40), logger: captureLogs().logger, metrics: createMetrics(), timeoutMs: 5_000 });
  onTestFinished(() => client.close());
  return client;
}

describe("handler retries", () => {
  it("waits at least what MISP's 429 Retry-After: 1 asked before the next attempt", async () => {
    const misp = mispClient(await mispFailingWith(busy(429, "1")));
    const kit = runnerKit();
    const { message, frame } = attributeAdd();
    const outcome = await kit.runner.run(handlerOf(async (ctx) => void (await misp.getVersion(ctx.signal))), message, frame);
    expect(outcome).toBe("done");
    expect(kit.sleeps).toHaveLength(1);
    expect(kit.sleeps[0]).toBeGreaterThanOrEqual(1000);
    expect(kit.logs.find("handler failed, will retry")[0]).toMatchObject({ code: "ENRICHD_MISP_UNAVAILABLE", retryInMs: kit.sleeps[0] });
  });

  it("reads Retry-After as an HTTP-date on a 503", async () => {
    const inOneMinute = new Date(Date.now() + 60_000).toUTCString();
    const misp = mispClient(await mispFailingWith(busy(503, inOneMinute)));
    const kit = runnerKit({ retryMaxDelayMs: 3_600_000 });
    const { message, frame } = attributeAdd();
    expect(await kit.runner.run(handlerOf(async (ctx) => void (await misp.getVersion(ctx.signal))), message, frame)).toBe("done");
    // The date has a one-second resolution and a little time passes before it is read.
    expect(kit.sleeps[0]).toBeGreaterThanOrEqual(55_000);
    expect(kit.sleeps[0]).toBeLessThanOrEqual(60_000);
  });

  it("caps an absurd Retry-After at the longest retry delay", async () => {
    const misp = mispClient(await mispFailingWith(busy(429, "999999999")));
    const kit = runnerKit({ retryMaxDelayMs: 2_000 });
    const { message, frame } = attributeAdd();
    expect(await kit.runner.run(handlerOf(async (ctx) => void (await misp.getVersion(ctx.signal))), message, frame)).toBe("done");
    expect(kit.sleeps).toEqual([2_000]);
  });

  it("without Retry-After, backs off exponentially from the initial delay", async () => {
    const kit = runnerKit({ retryAttempts: 4, retryInitialDelayMs: 100 });
    const { message, frame } = attributeAdd();
    const failing = handlerOf(async () => {
      throw new EnrichdError("ENRICHD_MODULE_UNAVAILABLE", "down");
    });
    expect(await kit.runner.run(failing, message, frame)).toBe("spooled");
    expect(kit.sleeps).toHaveLength(3);
    kit.sleeps.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual((100 * 2 ** i) / 2);
      expect(ms).toBeLessThanOrEqual(100 * 2 ** i);
    });
  });
});
