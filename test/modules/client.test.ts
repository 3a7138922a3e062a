import { describe, it, expect, onTestFinished, vi } from "vitest";
import type { ServerResponse } from "node:http";
import { startModulesStandin, type ModulesStandin } from "@misp-enrichd/standins";
import { MODULE_QUERIES_METRIC } from "../../src/modules/client.js";
import { answerTornado, fixture, makeAttribute, makeClient, rejectionOf, startAdhocServer, startModuleServer } from "./helpers.js";

async function standin(): Promise<ModulesStandin> {
  const server = await startModulesStandin();
  onTestFinished(() => server.close());
  return server;
}

describe("modules client: discovery", () => {
  it("narrows the stand-in's descriptors, telling misp_standard from legacy", async () => {
    const server = await standin();
    const { client } = makeClient(server.url);
    const modules = await client.list();
    expect(modules.map((m) => [m.name, m.format])).toEqual([
      ["mmdb_lookup", "misp_standard"],
      ["onion_lookup", "misp_standard"],
      ["geoip_city", "misp_standard"],
      ["geoip_country", "misp_standard"],
      ["dns", "legacy"],
    ]);
    expect(await client.describe("mmdb_lookup")).toEqual({
      name: "mmdb_lookup",
      type: "expansion",
      format: "misp_standard",
      inputTypes: ["ip-src", "ip-src|port", "ip-dst", "ip-dst|port"],
      configKeys: ["custom_API", "db_source_filter", "max_country_info_qt"],
      description:
        "A hover and expansion module to enrich an ip with geolocation and ASN information from an mmdb server instance, such as CIRCL's ip.circl.lu.",
      moduleTypes: ["expansion", "hover"],
    });
  });

  it("narrows the real 3.1.0 module list, whatever shape each entry's meta has", async () => {
    const real = fixture("pypi-3.1.0/modules.json") as { name: string; mispattributes: { format?: string } }[];
    const server = await startAdhocServer((_req, res) => answerTornado(res, 200, JSON.stringify(real)));
    const { client } = makeClient(server.url);
    const modules = await client.list();
    expect(modules).toHaveLength(real.length);
    const standard = real.filter((m) => m.mispattributes.format === "misp_standard").length;
    expect(modules.filter((m) => m.format === "misp_standard")).toHaveLength(standard);
    // testaction's config is an object: no keys to send. jinja_template_rendering has none at all.
    expect((await client.describe("testaction")).configKeys).toEqual([]);
    expect(await client.describe("jinja_template_rendering")).toMatchObject({ format: "legacy", inputTypes: ["text"], configKeys: [] });
  });

  it("skips odd entries instead of failing the whole list", async () => {
    const server = await startAdhocServer((_req, res) =>
      answerTornado(res, 200, JSON.stringify([null, "x", { type: "expansion" }, { name: "nameless-type" }, { name: "ok", type: "expansion" }])),
    );
    const { client } = makeClient(server.url);
    expect(await client.list()).toEqual([
      { name: "ok", type: "expansion", format: "legacy", inputTypes: [], configKeys: [], description: "", moduleTypes: [] },
    ]);
  });

  it("caches the list for discoveryTtlMs and shares one request between concurrent callers", async () => {
    const server = await startAdhocServer((_req, res) => answerTornado(res, 200, "[]"));
    const { client } = makeClient(server.url);
    await Promise.all([client.list(), client.list(), client.list()]);
    await client.list();
    expect(server.received).toHaveLength(1);

    const { client: uncached } = makeClient(server.url, { discoveryTtlMs: 0 });
    await uncached.list();
    await uncached.list();
    expect(server.received).toHaveLength(3);
  });

  it("keeps a path prefix of the base URL", async () => {
    const server = await startAdhocServer((_req, res) => answerTornado(res, 200, "[]"));
    const { client } = makeClient(`${server.url}/misp-modules/`);
    await client.list();
    expect(server.received.map((r) => r.path)).toEqual(["/misp-modules/modules"]);
  });

  it("says ENRICHD_MODULE_MISSING for a module the server does not offer", async () => {
    const server = await standin();
    const { client, metrics } = makeClient(server.url);
    const error = await rejectionOf(client.describe("virustotal"));
    expect([error.code, error.retriable]).toEqual(["ENRICHD_MODULE_MISSING", false]);
    await rejectionOf(client.query("virustotal", makeAttribute()));
    expect(metrics.get(MODULE_QUERIES_METRIC, { module: "virustotal", outcome: "missing" })).toBe(1);
  });
});

describe("modules client: queries against the stand-in", () => {
  it("sends a misp_standard body with every config key, nulls where unset, and a timeout below its own", async () => {
    const server = await standin();
    const { client } = makeClient(server.url, {
      timeoutMs: 15_000,
      moduleConfig: { mmdb_lookup: { custom_API: "http://mmdb.invalid", db_source_filter: "GeoOpen-Country" } },
    });
    const attribute = makeAttribute({ value: "188.65.220.25", comment: "seen in logs" });
    await client.query("mmdb_lookup", attribute, { config: { db_source_filter: null }, eventId: 3 });
    expect(server.requests).toEqual([
      {
        module: "mmdb_lookup",
        attribute: {
          uuid: attribute.uuid,
          type: "ip-dst",
          value: "188.65.220.25",
          category: "Network activity",
          to_ids: false,
          disable_correlation: false,
          comment: "seen in logs",
        },
        event_id: "3",
        config: { custom_API: "http://mmdb.invalid", db_source_filter: null, max_country_info_qt: null },
        timeout: 13,
      },
    ]);
  });

  it("sends config {} to a module without declared keys, and the attribute's own event id", async () => {
    const server = await standin();
    const { client } = makeClient(server.url, { timeoutMs: 4_000 });
    const attribute = makeAttribute({ type: "onion-address", value: "expyuzz4wqqyqhjn.onion", eventId: 9 });
    await client.query("onion_lookup", attribute);
    expect(server.requests[0]).toMatchObject({ config: {}, event_id: "9", timeout: 2 });
  });

  it("sends a legacy body keyed by the attribute type", async () => {
    const server = await standin();
    const { client } = makeClient(server.url, { timeoutMs: 2_500 });
    const attribute = makeAttribute({ type: "hostname", value: "www.foo.be" });
    const result = await client.query("dns", attribute);
    expect(server.requests).toEqual([
      { module: "dns", hostname: "www.foo.be", attribute_uuid: attribute.uuid, event_id: "7", config: { nameserver: null }, timeout: 1 },
    ]);
    expect(result).toEqual({
      module: "dns",
      format: "legacy",
      objects: [],
      attributes: [{ type: "ip-src", value: "188.65.217.78", tags: [] }],
      sourceTags: [],
    });
  });

  it("returns mmdb_lookup's geolocation object referencing the input, and counts the query", async () => {
    const server = await standin();
    const { client, metrics } = makeClient(server.url);
    const attribute = makeAttribute({ value: "188.65.220.25" });
    const result = await client.query("mmdb_lookup", attribute);
    expect(result.attributes).toEqual([]);
    expect(result.objects).toHaveLength(1);
    expect(result.objects[0]?.references).toEqual([{ referencedUuid: attribute.uuid, relationshipType: "related-to" }]);
    expect(result.objects[0]?.attributes.find((a) => a.objectRelation === "country")?.value).toBe("Belgium");
    expect(metrics.get(MODULE_QUERIES_METRIC, { module: "mmdb_lookup", outcome: "ok" })).toBe(1);
  });

  it("returns onion_lookup's tags as sourceTags", async () => {
    const server = await standin();
    const { client } = makeClient(server.url);
    const result = await client.query("onion_lookup", makeAttribute({ type: "onion-address", value: "expyuzz4wqqyqhjn.onion" }));
    expect(result.sourceTags).toEqual(['dark-web:topic="legitimate"', 'infoleak:automatic-detection="onion"']);
    expect(result.objects.map((o) => o.name)).toEqual(["tor-hiddenservice"]);
  });

  it("refuses a type the module does not take without calling it", async () => {
    const server = await standin();
    const { client } = makeClient(server.url);
    const error = await rejectionOf(client.query("mmdb_lookup", makeAttribute({ type: "domain", value: "circl.lu" })));
    expect(error.code).toBe("ENRICHD_MODULE_MISSING");
    expect(server.queryCount()).toBe(0);
  });

  it("passes the module's own message on as ENRICHD_MODULE_ERROR", async () => {
    const server = await standin();
    const { client, metrics } = makeClient(server.url);
    const error = await rejectionOf(client.query("mmdb_lookup", makeAttribute({ value: "10.0.0.1" })));
    expect(error).toMatchObject({
      code: "ENRICHD_MODULE_ERROR",
      retriable: false,
      message: "module mmdb_lookup failed: API not accessible - http status code 500 was returned",
      details: { module: "mmdb_lookup", attributeType: "ip-dst", value: "10.0.0.1" },
    });
    expect(metrics.get(MODULE_QUERIES_METRIC, { module: "mmdb_lookup", outcome: "error" })).toBe(1);
  });

  it("maps the stand-in's failures to retriable and final errors", async () => {
    const server = await standin();
    const { client } = makeClient(server.url);
    server.failNext(1, "http500");
    server.failNext(1, "timeout-error");
    server.failNext(1, "generic-error");
    const attribute = makeAttribute();
    const errors = [
      await rejectionOf(client.query("mmdb_lookup", attribute)),
      await rejectionOf(client.query("mmdb_lookup", attribute)),
      await rejectionOf(client.query("mmdb_lookup", attribute)),
    ];
    expect(errors.map((e) => [e.code, e.retriable])).toEqual([
      ["ENRICHD_MODULE_UNAVAILABLE", true],
      ["ENRICHD_MODULE_TIMEOUT", true],
      ["ENRICHD_MODULE_ERROR", false],
    ]);
    await expect(client.query("mmdb_lookup", attribute)).resolves.toHaveProperty("objects");
  });

  it("closes idempotently and refuses queries afterwards", async () => {
    const server = await standin();
    const { client } = makeClient(server.url);
    await client.list();
    const closing = client.close();
    expect(client.close()).toBe(closing);
    await closing;
    const error = await rejectionOf(client.query("mmdb_lookup", makeAttribute()));
    expect([error.code, error.retriable]).toEqual(["ENRICHD_MODULE_UNAVAILABLE", true]);
    expect(server.queryCount()).toBe(0);
  });

  it("rejects queries not yet sent when it closes, as retriable, and lets the one in flight finish", async () => {
    const held: ServerResponse[] = [];
    const server = await startModuleServer((_req, res) => held.push(res));
    const { client } = makeClient(server.url, { concurrency: 1 });
    const first = client.query("mmdb_lookup", makeAttribute());
    await vi.waitFor(() => expect(held).toHaveLength(1));
    const waiting = rejectionOf(client.query("mmdb_lookup", makeAttribute()));
    const closing = client.close();
    const error = await waiting;
    expect([error.code, error.retriable]).toEqual(["ENRICHD_MODULE_UNAVAILABLE", true]);
    for (const res of held) answerTornado(res, 200, '{"results":{}}');
    await expect(first).resolves.toHaveProperty("objects"); // the call in flight finishes
    await closing;
  });

  it("refuses a base URL that is not http(s)", () => {
    expect(() => makeClient("ftp://127.0.0.1:6666")).toThrow(expect.objectContaining({ code: "ENRICHD_CONFIG_INVALID" }));
    expect(() => makeClient("localhost:6666/x y")).toThrow(expect.objectContaining({ code: "ENRICHD_CONFIG_INVALID" }));
  });
});
