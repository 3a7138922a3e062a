// The stand-ins' fault controls, which the fault suite (faults/) drives: a MISP outage and slow
// writes, a module server killed and restarted on its port, mispzmq.py stopped and started again.

import { describe, expect, it, onTestFinished, vi } from "vitest";
import { request } from "undici";
import { startModulesStandin } from "@misp-enrichd/standins";
import { GEO_TEMPLATE, standin } from "../misp/helpers.js";
import { call } from "./helpers.js";
import { publisher, subscribe } from "./zmq-helpers.js";

const geolocation = (uuid: string): Record<string, unknown> => ({
  name: "geolocation",
  "meta-category": "misc",
  description: "geolocation",
  template_uuid: GEO_TEMPLATE,
  template_version: "1",
  uuid,
  Attribute: [{ object_relation: "country", type: "text", value: "Belgium" }],
});

describe("MISP stand-in faults", () => {
  it("answers every request with the proxy's 503 page during an outage, and normally once it recovers", async () => {
    const misp = await standin();
    const event = misp.seedEvent();
    misp.faults.outage(503);
    const read = await call(misp.url, "GET", "/servers/getVersion");
    const write = await call(misp.url, "POST", `/objects/add/${event.uuid}`, geolocation("0b6a2b5c-97f8-4b5e-9c46-33a1b5f3a001"));
    expect([read.status, read.headers["content-type"], write.status]).toEqual([503, "text/html", 503]);
    expect(misp.state.objects).toEqual([]);
    misp.faults.recover();
    expect((await call(misp.url, "GET", "/servers/getVersion")).status).toBe(200);
    expect((await call(misp.url, "POST", `/objects/add/${event.uuid}`, geolocation("0b6a2b5c-97f8-4b5e-9c46-33a1b5f3a001"))).status).toBe(200);
    expect(misp.calls.map((c) => c.status)).toEqual([503, 503, 200, 200]);
  });

  it("holds writes while slow, never reads or searches", async () => {
    const misp = await standin();
    const event = misp.seedEvent();
    misp.faults.slowWrites(3_600_000);
    const held = call(misp.url, "POST", `/objects/add/${event.uuid}`, geolocation("0b6a2b5c-97f8-4b5e-9c46-33a1b5f3a002")).catch((error: unknown) => error);
    await vi.waitFor(() => expect(misp.calls).toHaveLength(1));
    expect((await call(misp.url, "GET", "/servers/getVersion")).status).toBe(200);
    expect((await call(misp.url, "POST", "/attributes/restSearch", { type: "ip-dst" })).status).toBe(200);
    expect(misp.calls.map((c) => [c.path, c.status])).toEqual([
      [`/objects/add/${event.uuid}`, 0],
      ["/servers/getVersion", 200],
      ["/attributes/restSearch", 200],
    ]);
    expect(misp.state.objects).toEqual([]);
    await misp.close(); // cuts the held write
    await held;
  });

  it("keeps no calls and no bus messages with record: false", async () => {
    const misp = await standin({ record: false });
    const event = misp.seedEvent();
    expect((await call(misp.url, "POST", `/objects/add/${event.uuid}`, geolocation("0b6a2b5c-97f8-4b5e-9c46-33a1b5f3a003"))).status).toBe(200);
    expect(misp.state.objects).toHaveLength(1);
    expect([misp.calls, misp.published]).toEqual([[], []]);
  });

  it("finds an attribute whose value an edit changed when it checks for a similar one", async () => {
    const misp = await standin();
    const event = misp.seedEvent();
    const seeded = misp.seedAttribute(event.uuid, { type: "ip-dst", value: "5.0.0.1" });
    expect((await call(misp.url, "POST", `/attributes/edit/${seeded.uuid}`, { value: "5.0.0.2" })).status).toBe(200);
    const again = await call(misp.url, "POST", `/attributes/add/${event.uuid}`, { type: "ip-dst", value: "5.0.0.2" });
    expect(again.status).toBe(403);
    expect(again.text).toContain("A similar attribute already exists for this event.");
    expect((await call(misp.url, "POST", `/attributes/add/${event.uuid}`, { type: "ip-dst", value: "5.0.0.1" })).status).toBe(200);
  });
});

describe("module stand-in faults", () => {
  it("refuses connections once killed and answers on the same URL once restarted", async () => {
    const modules = await startModulesStandin();
    onTestFinished(() => modules.close());
    await modules.kill();
    await expect(request(`${modules.url}/healthcheck`)).rejects.toMatchObject({ code: "ECONNREFUSED" });
    await modules.restart();
    const answer = await request(`${modules.url}/healthcheck`);
    expect(await answer.body.json()).toEqual({ status: true });
  });

  it("counts queries without keeping them with record: false", async () => {
    const modules = await startModulesStandin({ record: false });
    onTestFinished(() => modules.close());
    const body = JSON.stringify({ module: "mmdb_lookup", attribute: { type: "ip-dst", value: "8.8.8.8", uuid: "0b6a2b5c-97f8-4b5e-9c46-33a1b5f3a004" } });
    await (await request(`${modules.url}/query`, { method: "POST", body })).body.text();
    expect([modules.requests.length, modules.queryCount(), modules.queryCount("mmdb_lookup"), modules.queryCount("dns")]).toEqual([0, 1, 1, 0]);
  });
});

describe("mispzmq.py stand-in stop and start", () => {
  it("takes messages while stopped and publishes again on the same URL once started", async () => {
    const p = await publisher();
    const received = await subscribe(p);
    await p.stop();
    await p.publish("misp_json_attribute", { while: "stopped" });
    await p.start();
    // The subscriber reconnects on its own; probe until a message published now reaches it.
    await vi.waitFor(
      async () => {
        await p.publish("misp_json_attribute", { after: "start" });
        expect(received.frames.map((f) => f[0]?.toString())).toContain('misp_json_attribute {"after":"start"}');
      },
      { timeout: 10_000, interval: 100 },
    );
  });
});
