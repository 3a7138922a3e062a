import { describe, it, expect, inject, beforeAll, afterAll } from "vitest";
import { startMmdbServer, type MmdbServer } from "@misp-enrichd/standins";
import { attribute, query, relations, GENERIC_ERROR, type StandardResults } from "./helpers.js";

const ctx = inject("mispModules");

describe.skipIf(ctx === undefined)("the real mmdb_lookup against the mmdb-server stand-in", () => {
  const url = ctx?.url ?? "";
  // A stand-in of this file's own, so its request log is visible here; the server reaches any loopback port.
  let mmdb: MmdbServer;
  beforeAll(async () => {
    mmdb = await startMmdbServer();
  });
  afterAll(() => mmdb?.close());

  async function lookup(type: string, value: string, config: Record<string, unknown> = { custom_API: mmdb.url }) {
    const input = attribute(type, value);
    const answer = await query(url, { module: "mmdb_lookup", event_id: "1", attribute: input, config });
    return { input, answer };
  }

  it.each([
    ["ip-dst", "8.8.8.8", "8.8.8.8"],
    ["ip-src", "2001:4860:4860::8888", "2001:4860:4860::8888"],
    ["ip-dst|port", "8.8.4.4|53", "8.8.4.4"],
  ])("writes exactly one US geolocation object for %s %s", async (type, value, looked) => {
    const { input, answer } = await lookup(type, value);
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe("text/html; charset=UTF-8");
    const { results } = answer.body as StandardResults;
    expect(results.Attribute).toEqual([expect.objectContaining({ uuid: input.uuid, type, value })]);
    expect(results.Object).toHaveLength(1);
    const [geo] = results.Object ?? [];
    expect(geo?.name).toBe("geolocation");
    expect(relations(geo!)).toEqual({
      country: "United States",
      countrycode: "US",
      latitude: "38",
      longitude: "-97",
      text: "db_source: GeoLite2-Country. build_db: 2019-12-24 17:40:14. Latitude and longitude are country average.",
    });
    expect(geo?.ObjectReference).toEqual([
      expect.objectContaining({ object_uuid: geo?.uuid, referenced_uuid: input.uuid, relationship_type: "related-to" }),
    ]);
    // requests doubles the slash after custom_API; the port part of ip-dst|port is never sent.
    expect(mmdb.requests).toContain(`//geolookup/${looked}`);
  });

  it("places a Belgian address in Belgium with the country average", async () => {
    const { answer } = await lookup("ip-dst", "188.65.220.25");
    const geo = (answer.body as StandardResults).results.Object?.[0];
    expect(relations(geo!)).toMatchObject({ country: "Belgium", countrycode: "BE", latitude: "50.8333", longitude: "4" });
  });

  it("reports the upstream's 500 for a private address as an error with HTTP 200", async () => {
    const { answer } = await lookup("ip-src", "10.0.0.1");
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ error: "API not accessible - http status code 500 was returned" });
    expect(mmdb.requests).toContain("//geolookup/10.0.0.1");
  });

  it("answers the generic error when the request has no config at all", async () => {
    const before = mmdb.requests.length;
    const answer = await query(url, { module: "mmdb_lookup", attribute: attribute("ip-src", "8.8.8.8") });
    expect(answer).toMatchObject({ status: 200, body: GENERIC_ERROR });
    expect(mmdb.requests).toHaveLength(before);
  });

  it("works against the run's shared stand-in too", async () => {
    const { answer } = await lookup("ip-dst", "8.8.8.8", { custom_API: ctx?.mmdbUrl, db_source_filter: null, max_country_info_qt: null });
    expect((answer.body as StandardResults).results.Object?.map((o) => o.name)).toEqual(["geolocation"]);
  });
});
