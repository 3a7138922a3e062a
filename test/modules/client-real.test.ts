// The daemon's client against the REAL misp-modules 3.1.0 started by test/setup/misp-modules.ts,
// with its mmdb-server and onion-lookup stand-ins on loopback. Skipped only when that setup is
// switched off (MISP_ENRICHD_SKIP_REAL_MODULES=1).

import { describe, it, expect, inject } from "vitest";
import { makeAttribute, makeClient, rejectionOf } from "./helpers.js";

const ctx = inject("mispModules");

describe.skipIf(ctx === undefined)("modules client against the real misp-modules 3.1.0", () => {
  const url = ctx?.url ?? "";
  const moduleConfig = {
    mmdb_lookup: { custom_API: ctx?.mmdbUrl ?? "" },
    geoip_city: { local_geolite_db: ctx?.geoliteCityPath ?? "" },
  };

  it("discovers mmdb_lookup, onion_lookup and a legacy module with their config keys", async () => {
    const { client } = makeClient(url);
    expect(await client.describe("mmdb_lookup")).toMatchObject({
      format: "misp_standard",
      configKeys: ["custom_API", "db_source_filter", "max_country_info_qt"],
    });
    expect(await client.describe("onion_lookup")).toMatchObject({ format: "misp_standard", configKeys: [] });
    expect(await client.describe("jinja_template_rendering")).toMatchObject({ format: "legacy", inputTypes: ["text"] });
  });

  it("gets one geolocation object for 8.8.8.8 from mmdb_lookup, unset config keys sent as null (which it accepts)", async () => {
    const { client } = makeClient(url, { moduleConfig });
    const attribute = makeAttribute({ uuid: crypto.randomUUID(), value: "8.8.8.8" });
    const result = await client.query("mmdb_lookup", attribute);
    expect(result.attributes).toEqual([]);
    expect(result.sourceTags).toEqual([]);
    expect(result.objects.map((o) => o.name)).toEqual(["geolocation"]);
    const geo = result.objects[0];
    expect(geo?.references).toEqual([{ referencedUuid: attribute.uuid, relationshipType: "related-to" }]);
    expect(geo?.attributes.find((a) => a.objectRelation === "countrycode")?.value).toBe("US");
  });

  it("passes mmdb_lookup's own message on for a private address", async () => {
    const { client } = makeClient(url, { moduleConfig });
    const error = await rejectionOf(client.query("mmdb_lookup", makeAttribute({ uuid: crypto.randomUUID(), value: "10.0.0.1" })));
    expect([error.code, error.retriable]).toEqual(["ENRICHD_MODULE_ERROR", false]);
    expect(error.message).toContain("API not accessible - http status code 500 was returned");
  });

  it("gets geoip_city's numeric coordinates as strings", async () => {
    const { client } = makeClient(url, { moduleConfig });
    const result = await client.query("geoip_city", makeAttribute({ uuid: crypto.randomUUID(), type: "ip-src", value: "188.65.220.25" }));
    const values = Object.fromEntries((result.objects[0]?.attributes ?? []).map((a) => [a.objectRelation, a.value]));
    expect(values).toMatchObject({ countrycode: "BE", city: "Saint-Nicolas" });
    expect(values["latitude"]).toMatch(/^50\.6/);
    expect(values["longitude"]).toMatch(/^5\.5/);
  });

  it("gets onion_lookup's tags as sourceTags and its tor-hiddenservice object", async () => {
    const { client } = makeClient(url);
    const attribute = makeAttribute({
      uuid: crypto.randomUUID(),
      type: "onion-address",
      value: "vugqd7hwj3rgope5bi7cj2vvsahm5l3agevcgnfxv2rbjlb42ueqaaid.onion",
      comment: "from a report",
    });
    const result = await client.query("onion_lookup", attribute);
    expect(result.sourceTags).toContain('infoleak:automatic-detection="onion"');
    expect(result.attributes).toEqual([]);
    expect(result.objects.map((o) => [o.name, o.references])).toEqual([
      ["tor-hiddenservice", [{ referencedUuid: attribute.uuid, relationshipType: "expanded-from" }]],
    ]);
    expect(result.objects[0]?.comment).toMatch(/^Enriched via onion-lookup: /);
  });

  it("queries a legacy module with the attribute type as the key", async () => {
    const { client } = makeClient(url);
    const template = JSON.stringify({ template: "hi {{ name }}", data: { name: "x" } });
    const result = await client.query("jinja_template_rendering", makeAttribute({ uuid: crypto.randomUUID(), type: "text", value: template }));
    expect(result.attributes).toEqual([{ type: "text", value: "hi x", tags: [] }]);
  });
});
