// ZeroMQ → daemon → the REAL misp-modules 3.1.0 (with its upstreams on loopback) → MISP stand-in.

import { afterEach, describe, expect, inject, it } from "vitest";
import { customModulesDir, startRealModules, type RealModules } from "@misp-enrichd/standins";
import { startHarness, type Harness, type HarnessOptions } from "../support/harness.js";

const real = inject("mispModules");
const V3_ONION = "vugqd7hwj3rgope5bi7cj2vvsahm5l3agevcgnfxv2rbjlb42ueqaaid.onion";
const V2_ONION = "expyuzz4wqqyqhjn.onion";

describe.runIf(real)("enrichment through the real misp-modules", () => {
  const ctx = real as NonNullable<typeof real>;
  let h: Harness | undefined;
  let ownServer: RealModules | undefined;
  afterEach(async () => {
    await h?.stop();
    await ownServer?.stop();
    h = undefined;
    ownServer = undefined;
  });

  function harness(options: HarnessOptions = {}): Promise<Harness> {
    return startHarness({
      modulesUrl: ctx.url,
      ...options,
      overrides: {
        "modules.config": {
          mmdb_lookup: { custom_API: ctx.mmdbUrl },
          geoip_city: { local_geolite_db: ctx.geoliteCityPath },
        },
        ...options.overrides,
      },
    });
  }

  async function enrich(t: Harness, type: string, value: string) {
    const event = t.misp.seedEvent();
    const source = t.misp.seedAttribute(event.uuid, { type, value });
    await t.publish(source.message.topic, source.message.payload);
    await t.settle();
    const objects = t.misp.state.objects.filter((o) => o.eventId === event.id);
    const attributesOf = (objectId: number) =>
      Object.fromEntries(t.misp.state.attributes.filter((a) => a.objectId === objectId).map((a) => [a.objectRelation, a.value]));
    return { event, source, objects, attributesOf };
  }

  it("geolocates an IPv4 and an IPv6 address with mmdb_lookup, one object each", async () => {
    h = await harness();
    const v4 = await enrich(h, "ip-dst", "8.8.8.8");
    const v6 = await enrich(h, "ip-src", "2001:4860:4860::8888");
    for (const { objects, attributesOf, source } of [v4, v6]) {
      expect(objects.map((o) => o.name)).toEqual(["geolocation"]);
      expect(attributesOf(objects[0]!.id)).toMatchObject({ countrycode: "US", country: "United States" });
      expect(h.misp.state.references.filter((r) => r.referencedUuid === source.uuid)).toEqual([
        expect.objectContaining({ sourceUuid: objects[0]!.uuid, relationshipType: "related-to" }),
      ]);
    }
    expect(h.counter("misp_enrichd_module_queries_total", { module: "mmdb_lookup", outcome: "ok" })).toBe(2);
  });

  it("skips a private address before any module query", async () => {
    h = await harness();
    const { objects } = await enrich(h, "ip-dst", "10.1.2.3");
    expect(objects).toEqual([]);
    expect(h.counter("misp_enrichd_module_queries_total")).toBe(0);
    expect(h.logs.find("message skipped")[0]).toMatchObject({ reason: expect.stringMatching(/private/), value: "10.1.2.3" });
  });

  it("geolocates to the city with geoip_city, coordinates written as MISP floats", async () => {
    h = await harness({ overrides: { "subscribers.settings": { geolocation: { options: { module: "geoip_city" } } } } });
    const { objects, attributesOf } = await enrich(h, "ip-src", "188.65.220.25");
    expect(objects).toHaveLength(1);
    const geo = attributesOf(objects[0]!.id);
    expect(geo).toMatchObject({ city: "Saint-Nicolas", countrycode: "BE" });
    expect(Number(geo.latitude)).toBeCloseTo(50.63, 1);
    expect(h.misp.calls.find((c) => c.path.startsWith("/objects/add/"))?.body).toMatchObject({
      Object: { Attribute: expect.arrayContaining([expect.objectContaining({ object_relation: "latitude", type: "float", value: expect.stringMatching(/^50\.6/) })]) },
    });
  });

  it("writes the onion's object and turns the module's echo of the input into tags on the source", async () => {
    h = await harness();
    const { objects, source } = await enrich(h, "onion-address", V2_ONION);
    expect(objects.map((o) => o.name)).toEqual(["tor-hiddenservice"]);
    expect(objects[0]!.comment).toMatch(/^misp-enrichd: onion-lookup via onion_lookup for expyuzz4wqqyqhjn\.onion/);
    expect(h.misp.state.attributes.map((a) => a.comment).join("\n")).not.toMatch(/custom comment|custom-comment2/);
    expect(h.misp.state.attributes.filter((a) => a.type === "onion-address" && a.objectId === 0)).toHaveLength(1);
    const tags = h.misp.state.attributeTags.filter((t) => t.attributeUuid === source.uuid);
    expect(tags.length).toBeGreaterThan(0);
    expect(tags.every((t) => t.local)).toBe(true);
    expect(h.misp.state.references).toEqual([expect.objectContaining({ referencedUuid: source.uuid, relationshipType: "expanded-from" })]);
  });

  it("writes a Tor v3 onion object with the address as text when MISP 2.5.1 refuses the onion-address", async () => {
    h = await harness({ misp: { rejectV3Onions: true } });
    const { objects } = await enrich(h, "onion-address", V3_ONION);
    expect(objects).toHaveLength(1);
    const address = h.misp.state.attributes.find((a) => a.objectId === objects[0]!.id && a.objectRelation === "address");
    expect(address).toMatchObject({ type: "text", value: V3_ONION });
    const adds = h.misp.calls.filter((c) => c.path.startsWith("/objects/add/"));
    expect(adds.map((c) => c.status)).toEqual([403, 200]);
    expect(h.logs.text()).toMatch(/Onion address has an invalid format/);
  });

  it("treats an unknown onion as not found: nothing written, nothing dead-lettered", async () => {
    h = await harness();
    const { objects } = await enrich(h, "onion-address", "abcdefghijklmnop.onion");
    expect(objects).toEqual([]);
    expect(h.counter("misp_enrichd_handler_runs_total", { subscriber: "onion-lookup", outcome: "skipped" })).toBe(1);
    expect(h.logs.find("message skipped")[0]?.reason).toBe("onion not known to onion-lookup");
  });

  it("writes a legacy module's results as attributes that name their source", async () => {
    h = await harness({ overrides: { "subscribers.settings": { enrich: { enabled: true, options: { module: "eql", types: ["filename"] } } } } });
    const { source } = await enrich(h, "filename", "invoice.exe");
    const written = h.misp.state.attributes.filter((a) => a.uuid !== source.uuid);
    expect(written.length).toBeGreaterThan(0);
    expect(written[0]?.comment).toMatch(/^misp-enrichd: enrich via eql for invoice\.exe/);
    expect(written[0]?.value).toMatch(/invoice\.exe/);
    expect(h.restCalls({ writesOnly: true }).every((c) => c.startsWith("POST /attributes/add/"))).toBe(true);
  });

  it("reports at start-up a subscriber whose module is missing or refuses its types", async () => {
    h = await harness({
      overrides: {
        "subscribers.settings": {
          geolocation: { options: { module: "no_such_module" } },
          enrich: { enabled: true, options: { module: "mmdb_lookup", types: ["domain"] } },
        },
      },
    });
    const problems = await h.daemon.checkModules();
    expect(problems).toEqual([
      expect.stringMatching(/^subscriber enrich: module mmdb_lookup does not accept domain \(it takes ip-src/),
      expect.stringMatching(/^subscriber geolocation: module no_such_module is not offered by the module server$/),
    ]);
    expect(h.logs.lines().filter((l) => l.level === "error" && String(l.msg).startsWith("subscriber "))).toHaveLength(2);
  });

  it("survives the module server restarting mid-stream", async () => {
    ownServer = await startRealModules({ venv: ctx.venv, customDir: customModulesDir(), env: { ONION_LOOKUP_URL: ctx.onionUrl } });
    h = await harness({ modulesUrl: ownServer.url, overrides: { "pipeline.retryAttempts": 8, "pipeline.retryInitialDelayMs": 200, "pipeline.retryMaxDelayMs": 2_000 } });
    await enrich(h, "ip-dst", "8.8.8.8");
    await ownServer.stop();
    const event = h.misp.seedEvent();
    const source = h.misp.seedAttribute(event.uuid, { type: "ip-dst", value: "8.8.4.4" });
    await h.publish(source.message.topic, source.message.payload);
    await ownServer.restart();
    await h.settle();
    expect(h.misp.state.objects).toHaveLength(2);
    expect(h.counter("misp_enrichd_module_queries_total", { module: "mmdb_lookup", outcome: "unavailable" })).toBeGreaterThan(0);
  });
});
