import { describe, expect, it, vi } from "vitest";
import { jsonLines as json, pumpHeartbeats, startCli, startPeers, tempDir, writeConfig } from "./cli.js";

const GEOLOCATION_TEMPLATE = "cd6f2238-ba55-4888-82c4-104e6e1acf21";

describe("misp-enrichd run --dry-run", () => {
  it("logs the exact REST calls (method, path, body) instead of sending them, with no secret in any line", async () => {
    const peers = await startPeers();
    const moduleSecret = "m0dul3-s3cr3t-t0k3n";
    const config = writeConfig(tempDir(), `modules:\n  config:\n    mmdb_lookup:\n      custom_API: https://ip.example.org/\n      api_token: ${moduleSecret}\n`);
    const cli = startCli(["run", "--dry-run", "--config", config, "--log-level", "debug"], peers.env);
    pumpHeartbeats(peers.publisher);
    await vi.waitFor(() => expect(json(cli.stdout()).some((l) => l.msg === "misp heartbeat")).toBe(true), { timeout: 10_000 });

    const event = peers.misp.seedEvent();
    const source = peers.misp.seedAttribute(event.uuid, { type: "ip-dst", value: "8.8.8.8" });
    await peers.publisher.publish(source.message.topic, source.message.payload);
    await vi.waitFor(() => expect(json(cli.stdout()).filter((l) => l.msg === "would call")).toHaveLength(2), { timeout: 10_000 });
    cli.child.kill("SIGTERM");
    expect(await cli.exited).toBe(0);

    const calls = json(cli.stdout()).filter((l) => l.msg === "would call");
    expect(calls[0]).toMatchObject({
      level: "info",
      method: "POST",
      path: `/objects/add/${event.uuid}/${GEOLOCATION_TEMPLATE}`,
      body: { Object: { name: "geolocation", template_uuid: GEOLOCATION_TEMPLATE, comment: expect.stringMatching(/^misp-enrichd: /) } },
    });
    const objectUuid = (calls[0]?.body as { Object: { uuid: string } }).Object.uuid;
    expect(calls[1]).toMatchObject({
      method: "POST",
      path: `/objectReferences/add/${objectUuid}`,
      body: { referenced_uuid: source.uuid, relationship_type: "related-to" },
    });
    // Reads still went out; no write reached MISP.
    expect(peers.misp.calls.filter((c) => c.method === "POST")).toEqual([]);
    expect(json(cli.stdout()).some((l) => l.msg === "misp-enrichd starting" && l.dryRun === true)).toBe(true);
    expect(cli.stdout() + cli.stderr()).not.toContain(peers.env.MISP_KEY);
    expect(cli.stdout() + cli.stderr()).not.toContain(moduleSecret);
  });
});
