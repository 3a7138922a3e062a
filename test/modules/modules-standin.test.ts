import { describe, it, expect, onTestFinished } from "vitest";
import { request } from "undici";
import { startModulesStandin, type ModulesStandin } from "@misp-enrichd/standins";
import { normaliseResult } from "../../src/modules/result.js";
import type { ModuleResult } from "../../src/modules/types.js";
import { fixture, fixtureText } from "./helpers.js";

const GENERIC = { error: "Something went wrong, look in the server logs for details" };
const ATTRIBUTE_REQUIRED = {
  error: 'This module requires an "attribute" field as input, which should contain at least a type, a value and an uuid.',
};
const INPUT_UUID = "5a0c4f1e-2b3d-4c5e-8f90-1a2b3c4d5e6f";

async function standin(): Promise<ModulesStandin> {
  const server = await startModulesStandin();
  onTestFinished(() => server.close());
  return server;
}

async function call(server: ModulesStandin, method: "GET" | "POST", path: string, body?: unknown) {
  const response = await request(`${server.url}${path}`, {
    method,
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.body.text();
  return { status: response.statusCode, contentType: response.headers["content-type"], text };
}

async function query(server: ModulesStandin, body: unknown): Promise<unknown> {
  const answer = await call(server, "POST", "/query", body);
  expect(answer.status).toBe(200);
  return JSON.parse(answer.text) as unknown;
}

function mmdbRequest(value: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { module: "mmdb_lookup", attribute: { type: "ip-src", value, uuid: INPUT_UUID }, config: {}, ...extra };
}

/** Module uuids are fresh on every call; everything else must match. */
function withoutModuleUuids(result: ModuleResult): unknown {
  return { ...result, objects: result.objects.map(({ moduleUuid: _ignored, ...rest }) => rest) };
}

describe("modules stand-in: routes", () => {
  it("answers healthcheck, version and modules as JSON labelled text/html, like Tornado", async () => {
    const server = await standin();
    const health = await call(server, "GET", "/healthcheck");
    expect(health).toEqual({ status: 200, contentType: "text/html; charset=UTF-8", text: '{"status":true}' });
    expect(JSON.parse((await call(server, "GET", "/version")).text)).toEqual({ version: "3.1.0" });
    const modules = JSON.parse((await call(server, "GET", "/modules")).text) as { name: string }[];
    expect(modules.map((m) => m.name)).toEqual(["mmdb_lookup", "onion_lookup", "geoip_city", "geoip_country", "dns"]);
  });

  it("lists mmdb_lookup and onion_lookup exactly as the real 3.1.0 server does", async () => {
    const server = await standin();
    const real = fixture("pypi-3.1.0/modules.json") as { name: string }[];
    const ours = JSON.parse((await call(server, "GET", "/modules")).text) as { name: string }[];
    for (const name of ["mmdb_lookup", "onion_lookup"]) {
      expect(ours.find((m) => m.name === name)).toEqual(real.find((m) => m.name === name));
    }
  });

  it("answers Tornado's 404 and 405 pages", async () => {
    const server = await standin();
    expect(await call(server, "GET", "/nope")).toMatchObject({ status: 404, text: expect.stringContaining("404: Not Found") });
    expect(await call(server, "GET", "/query")).toMatchObject({ status: 405, text: expect.stringContaining("405: Method Not Allowed") });
  });

  it.each([
    ["truncated JSON", '{"module": "mmdb_lookup", '],
    ["a JSON array", "[1,2]"],
    ["a JSON string", '"x"'],
    ["a timeout that is not an int", { module: "mmdb_lookup", timeout: "abc" }],
  ])("answers HTTP 500 with Tornado's HTML page for %s", async (_what, body) => {
    const server = await standin();
    const answer = await call(server, "POST", "/query", body);
    expect(answer).toEqual({ status: 500, contentType: "text/html; charset=UTF-8", text: fixtureText("pypi-3.1.0/tornado-500.html") });
  });
});

describe("modules stand-in: module errors", () => {
  const attribute = (type: string, value: string): Record<string, unknown> => ({ type, value, uuid: INPUT_UUID });
  const onion = `${"a".repeat(56)}.onion`;
  it.each([
    ["an unknown module", { module: "no_such_module", attribute: attribute("ip-src", "8.8.8.8"), config: {} }, GENERIC],
    ["a missing module", { attribute: attribute("ip-src", "8.8.8.8"), config: {} }, GENERIC],
    ["a null module", { module: null }, GENERIC],
    ["mmdb_lookup without config", { module: "mmdb_lookup", attribute: attribute("ip-src", "8.8.8.8") }, GENERIC],
    [
      "mmdb_lookup with a wrong type",
      { module: "mmdb_lookup", attribute: attribute("domain", "circl.lu"), config: {} },
      { error: "There is no attribute of type ip-src or ip-dst provided as input" },
    ],
    ["mmdb_lookup without uuid", { module: "mmdb_lookup", attribute: { type: "ip-src", value: "8.8.8.8" }, config: {} }, ATTRIBUTE_REQUIRED],
    ["mmdb_lookup with a legacy body", { module: "mmdb_lookup", "ip-src": "8.8.8.8", config: {} }, ATTRIBUTE_REQUIRED],
    ["mmdb_lookup on a private address", mmdbRequest("10.0.0.1"), { error: "API not accessible - http status code 500 was returned" }],
    ["mmdb_lookup with an empty max_country_info_qt", mmdbRequest("8.8.8.8", { config: { max_country_info_qt: "" } }), GENERIC],
    [
      "mmdb_lookup with a db_source that matches nothing",
      mmdbRequest("8.8.8.8", { config: { db_source_filter: "Nope" } }),
      { error: "There was no result with the selected db_source" },
    ],
    ["onion_lookup on an unknown onion", { module: "onion_lookup", attribute: attribute("onion-address", onion) }, GENERIC],
    [
      "onion_lookup with a wrong type",
      { module: "onion_lookup", attribute: attribute("domain", "example.org") },
      { error: "Unsupported attribute type." },
    ],
    [
      "geoip_city without config",
      { module: "geoip_city", attribute: attribute("ip-dst", "8.8.8.8") },
      { error: "Please specify the path of your local copy of Maxminds Geolite database" },
    ],
    ["a server timeout of 0", mmdbRequest("8.8.8.8", { timeout: 0 }), { error: "Timeout." }],
    ["a legacy module given none of its keys", { module: "dns", config: {} }, false],
  ])("answers 200 for %s", async (_what, body, expected) => {
    const server = await standin();
    expect(await query(server, body)).toEqual(expected);
  });
});

describe("modules stand-in: answers", () => {
  it("answers mmdb_lookup like the real 3.1.0 capture, provenance text aside", async () => {
    const server = await standin();
    const request = fixture("pypi-3.1.0/mmdb_v4_min.request.json") as { attribute: { uuid: string; type: string; value: string } };
    const ours = normaliseResult("mmdb_lookup", "misp_standard", request.attribute, await query(server, request));
    const real = normaliseResult("mmdb_lookup", "misp_standard", request.attribute, fixture("pypi-3.1.0/mmdb_v4_min.response.json"));
    const withoutText = (r: ModuleResult): unknown =>
      withoutModuleUuids({
        ...r,
        objects: r.objects.map((o) => ({ ...o, attributes: o.attributes.filter((a) => a.objectRelation !== "text") })),
      });
    expect(withoutText(ours)).toEqual(withoutText(real));
  });

  it("answers onion_lookup exactly like the real 3.1.0 capture", async () => {
    const server = await standin();
    const request = fixture("pypi-3.1.0/onion_found.request.json") as { attribute: { uuid: string; type: string; value: string } };
    const ours = normaliseResult("onion_lookup", "misp_standard", request.attribute, await query(server, request));
    const real = normaliseResult("onion_lookup", "misp_standard", request.attribute, fixture("pypi-3.1.0/onion_found.response.json"));
    expect(withoutModuleUuids(ours)).toEqual(withoutModuleUuids(real));
  });

  it("knows a v2 onion too, case-insensitively", async () => {
    const server = await standin();
    const attribute = { type: "onion-address", value: "EXPYUZZ4WQQYQHJN.onion", uuid: INPUT_UUID };
    const body = await query(server, { module: "onion_lookup", attribute });
    const result = normaliseResult("onion_lookup", "misp_standard", { uuid: INPUT_UUID, type: "onion-address", value: "x" }, body);
    expect(result.objects[0]?.attributes[0]).toMatchObject({ objectRelation: "address", value: "expyuzz4wqqyqhjn.onion" });
    expect(result.sourceTags).toContain('infoleak:automatic-detection="onion"');
  });

  it.each([
    ["8.8.8.8", "US"],
    ["188.65.220.25", "BE"],
    ["198.51.100.23", "LU"],
    ["2001:4860:4860::8888", "US"],
    ["203.0.113.9", "DE"],
  ])("geolocates %s in %s from its table", async (ip, code) => {
    const server = await standin();
    const body = await query(server, mmdbRequest(ip));
    const result = normaliseResult("mmdb_lookup", "misp_standard", { uuid: INPUT_UUID, type: "ip-src", value: ip }, body);
    expect(result.objects).toHaveLength(1);
    expect(result.objects[0]?.attributes.find((a) => a.objectRelation === "countrycode")?.value).toBe(code);
  });

  it("creates fresh uuids on every call, as the real server does", async () => {
    const server = await standin();
    // Every "uuid" key except the echoed input's: object, reference and 5 attributes.
    const uuids = async (): Promise<string[]> => {
      const found: string[] = [];
      JSON.stringify(await query(server, mmdbRequest("8.8.8.8")), (key, value: unknown) => {
        if (key === "uuid" && value !== INPUT_UUID) found.push(String(value));
        return value;
      });
      return found;
    };
    const [first, second] = [await uuids(), await uuids()];
    expect(first).toHaveLength(7);
    expect(new Set([...first, ...second]).size).toBe(14);
  });

  it("sends geoip_city coordinates as JSON numbers, like 3.1.x", async () => {
    const server = await standin();
    const request = {
      module: "geoip_city",
      attribute: { type: "ip-src", value: "188.65.220.25", uuid: INPUT_UUID },
      config: { local_geolite_db: "/x.mmdb" },
    };
    const body = (await query(server, request)) as { results: { Object: { Attribute: { object_relation: string; value: unknown }[] }[] } };
    const latitude = body.results.Object[0]?.Attribute.find((a) => a.object_relation === "latitude");
    expect(latitude?.value).toBe(50.6284);
  });

  it("answers the legacy dns module in the legacy shape", async () => {
    const server = await standin();
    const body = await query(server, { module: "dns", hostname: "www.foo.be", config: { nameserver: null } });
    expect(body).toEqual(fixture("3.0.9/dns.response.documented.json"));
  });
});

describe("modules stand-in: recording and failures", () => {
  it("records every query body and counts them per module", async () => {
    const server = await standin();
    await query(server, mmdbRequest("8.8.8.8"));
    await query(server, { module: "dns", hostname: "www.circl.lu" });
    await call(server, "POST", "/query", "[1]"); // not an object: not recorded
    expect(server.requests).toEqual([mmdbRequest("8.8.8.8"), { module: "dns", hostname: "www.circl.lu" }]);
    expect([server.queryCount(), server.queryCount("mmdb_lookup"), server.queryCount("onion_lookup")]).toEqual([2, 1, 0]);
  });

  it("fails the next queries in the order asked, then answers normally", async () => {
    const server = await standin();
    server.failNext(1, "http500");
    server.failNext(2, "timeout-error");
    server.failNext(1, "generic-error");
    expect((await call(server, "POST", "/query", mmdbRequest("8.8.8.8"))).status).toBe(500);
    expect(await query(server, mmdbRequest("8.8.8.8"))).toEqual({ error: "Timeout." });
    expect(await query(server, mmdbRequest("8.8.8.8"))).toEqual({ error: "Timeout." });
    expect(await query(server, mmdbRequest("8.8.8.8"))).toEqual(GENERIC);
    expect(await query(server, mmdbRequest("8.8.8.8"))).toHaveProperty("results");
    expect(server.queryCount("mmdb_lookup")).toBe(5);
  });

  it("closes idempotently", async () => {
    const server = await startModulesStandin();
    const first = server.close();
    expect(server.close()).toBe(first);
    await first;
    await expect(request(`${server.url}/healthcheck`)).rejects.toThrow();
  });
});
