// The two upstream stand-ins on their own (no Python): the shapes mmdb_lookup and onion_lookup parse.

import { describe, it, expect, beforeAll, afterAll, onTestFinished } from "vitest";
import { getGlobalDispatcher } from "undici";
import { countryInfo, geoipDatabasePath, startMmdbServer, startOnionLookupServer, type MmdbServer, type OnionLookupServer } from "@misp-enrichd/standins";

async function get(origin: string, path: string): Promise<{ status: number; body: unknown; location?: string }> {
  // `path` is sent verbatim: "//geolookup/…" must reach the server with both slashes.
  const res = await getGlobalDispatcher().request({ origin, path, method: "GET" });
  const text = await res.body.text();
  const location = res.headers["location"];
  return { status: res.statusCode, body: text === "" ? undefined : JSON.parse(text), ...(typeof location === "string" ? { location } : {}) };
}

describe("startMmdbServer", () => {
  let mmdb: MmdbServer;
  beforeAll(async () => {
    mmdb = await startMmdbServer();
  });
  afterAll(() => mmdb?.close());

  it("answers //geolookup/{ip} with one mmdb-server element from GeoLite2-Country", async () => {
    const answer = await get(mmdb.url, "//geolookup/8.8.8.8");
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual([
      expect.objectContaining({
        country: expect.objectContaining({ iso_code: "US" }),
        meta: {
          description: { en: "GeoLite2 Country database" },
          build_db: "2019-12-24 17:40:14",
          db_source: "GeoLite2-Country",
          nb_nodes: 656952,
        },
        ip: "8.8.8.8",
        country_info: {
          Country: "United States",
          "Alpha-2 code": "US",
          "Alpha-3 code": "USA",
          "Numeric code": "840",
          "Latitude (average)": "38",
          "Longitude (average)": "-97",
        },
      }),
    ]);
    expect(mmdb.requests).toContain("//geolookup/8.8.8.8");
  });

  it.each(["/geolookup/2001:4860:4860::8888", "///geolookup/2001%3A4860%3A4860%3A%3A8888"])("accepts any number of leading slashes: %s", async (path) => {
    const answer = await get(mmdb.url, path);
    expect(answer.body).toEqual([expect.objectContaining({ ip: "2001:4860:4860::8888", country_info: expect.objectContaining({ "Alpha-2 code": "US" }) })]);
  });

  it("answers 500 for an address missing from the database and 422 for a malformed one", async () => {
    expect((await get(mmdb.url, "//geolookup/10.0.0.1")).status).toBe(500);
    expect((await get(mmdb.url, "//geolookup/127.0.0.1")).status).toBe(500);
    expect((await get(mmdb.url, "//geolookup/not-an-ip")).status).toBe(422);
    expect((await get(mmdb.url, "/elsewhere")).status).toBe(404);
  });

  it("answers GET / as a health check", async () => {
    expect(await get(mmdb.url, "/")).toEqual({ status: 200, body: { status: "ok", db_source: "GeoLite2-Country" } });
  });

  it("names a country missing from its table after the database, without inventing coordinates", async () => {
    const answer = await get(mmdb.url, "//geolookup/41.90.0.1");
    expect((answer.body as { country_info: unknown }[])[0]?.country_info).toEqual(countryInfo("KE", "Kenya"));
    expect(countryInfo("KE", "Kenya")).toMatchObject({ Country: "Kenya", "Alpha-2 code": "KE", "Latitude (average)": "" });
  });

  it("serves another database when given one, under its own db_source", async () => {
    const city = await startMmdbServer({ countryDb: geoipDatabasePath("GeoLite2-City.mmdb") });
    onTestFinished(() => city.close());
    const answer = await get(city.url, "//geolookup/188.65.220.25");
    expect(answer.body).toEqual([
      expect.objectContaining({
        meta: expect.objectContaining({ db_source: "GeoLite2-City" }),
        city: expect.objectContaining({ names: expect.objectContaining({ en: "Saint-Nicolas" }) }),
        country_info: expect.objectContaining({ Country: "Belgium" }),
      }),
    ]);
  });
});

describe("startOnionLookupServer", () => {
  let onion: OnionLookupServer;
  beforeAll(async () => {
    onion = await startOnionLookupServer();
  });
  afterAll(() => onion?.close());

  const V3 = "vugqd7hwj3rgope5bi7cj2vvsahm5l3agevcgnfxv2rbjlb42ueqaaid.onion";

  it("answers a known onion with the AIL lookup fields, whatever its case", async () => {
    for (const value of [V3, V3.toUpperCase(), "expyuzz4wqqyqhjn.onion"]) {
      const answer = await get(onion.url, `/api/lookup/${value}`);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ id: value.toLowerCase(), languages: expect.any(Array), titles: expect.any(Array), tags: expect.any(Array) });
    }
    expect(onion.requests).toContain(`/api/lookup/${V3}`);
  });

  it("answers 200 {} for an unknown or malformed onion, as the real service does", async () => {
    expect(await get(onion.url, `/api/lookup/${"b".repeat(56)}.onion`)).toEqual({ status: 200, body: {} });
    expect(await get(onion.url, "/api/lookup/not-an-onion")).toEqual({ status: 200, body: {} });
  });

  it("redirects repeated slashes to the collapsed path", async () => {
    expect(await get(onion.url, `//api/lookup/${V3}`)).toMatchObject({ status: 307, location: `/api/lookup/${V3}` });
  });

  it("serves exactly the onions it is given", async () => {
    const custom = await startOnionLookupServer({
      onions: { "Abc.onion": { id: "abc.onion", first_seen: "2024-01-01", last_seen: "2024-02-01", languages: [], titles: [], tags: [] } },
    });
    onTestFinished(() => custom.close());
    expect((await get(custom.url, "/api/lookup/abc.onion")).body).toMatchObject({ id: "abc.onion" });
    expect((await get(custom.url, `/api/lookup/${V3}`)).body).toEqual({});
  });
});
