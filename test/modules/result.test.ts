import { describe, it, expect } from "vitest";
import { isEnrichdError } from "../../src/errors.js";
import { normaliseResult, type ResultInput } from "../../src/modules/result.js";
import { fixture } from "./helpers.js";

/** The input attribute of a captured request, as normaliseResult needs it. */
function inputOf(path: string): ResultInput {
  const request = fixture(path) as { attribute: ResultInput };
  return { uuid: request.attribute.uuid, type: request.attribute.type, value: request.attribute.value };
}

function invalidReason(body: unknown): Record<string, unknown> {
  try {
    normaliseResult("m", "misp_standard", { uuid: "u-1", type: "ip-dst", value: "8.8.8.8" }, body);
  } catch (error) {
    if (isEnrichdError(error) && error.code === "ENRICHD_MODULE_RESPONSE_INVALID") return error.details;
    throw error;
  }
  throw new Error("expected ENRICHD_MODULE_RESPONSE_INVALID");
}

describe("normaliseResult on real misp-modules 3.1.0 answers", () => {
  it("turns mmdb_lookup's echoed input into nothing and its geolocation into one object", () => {
    const input = inputOf("pypi-3.1.0/mmdb_v4_min.request.json");
    const result = normaliseResult("mmdb_lookup", "misp_standard", input, fixture("pypi-3.1.0/mmdb_v4_min.response.json"));
    expect(result.attributes).toEqual([]);
    expect(result.sourceTags).toEqual([]);
    expect(result.objects).toHaveLength(1);
    const [geo] = result.objects;
    expect(geo).toMatchObject({
      name: "geolocation",
      metaCategory: "misc",
      description: "An object to describe a geographic location.",
      templateUuid: "cd6f2238-ba55-4888-82c4-104e6e1acf21",
      templateVersion: "8",
      moduleUuid: "3ea011a5-7f0c-4dbf-a8aa-9fd1c1d4eb80",
      references: [{ referencedUuid: input.uuid, relationshipType: "related-to" }],
    });
    expect(geo?.comment).toBeUndefined();
    expect(geo?.attributes.map((a) => [a.objectRelation, a.type, a.value])).toEqual([
      ["country", "text", "United States"],
      ["countrycode", "text", "US"],
      ["latitude", "float", "38"],
      ["longitude", "float", "-97"],
      ["text", "text", "db_source: GeoLite2-City. build_db: 2019-12-24 17:41:41. Latitude and longitude are country average."],
    ]);
    expect(geo?.attributes[2]).toEqual({
      type: "float",
      value: "38",
      category: "Other",
      objectRelation: "latitude",
      toIds: false,
      disableCorrelation: true,
      tags: [],
    });
  });

  it("keeps both geolocation objects of a two-database mmdb-server", () => {
    const input = inputOf("pypi-3.1.0/mmdb2_nofilter.request.json");
    const result = normaliseResult("mmdb_lookup", "misp_standard", input, fixture("pypi-3.1.0/mmdb2_nofilter.response.json"));
    expect(result.objects.map((o) => o.name)).toEqual(["geolocation", "geolocation"]);
    expect(result.objects.map((o) => o.attributes.find((a) => a.objectRelation === "text")?.value)).toEqual([
      "db_source: GeoLite2-City. build_db: 2019-12-24 17:41:41. Latitude and longitude are country average.",
      "db_source: GeoLite2-Country. build_db: 2019-12-24 17:40:14. Latitude and longitude are country average.",
    ]);
    expect(new Set(result.objects.map((o) => o.moduleUuid)).size).toBe(2);
    expect(result.attributes).toEqual([]);
  });

  it("gives onion_lookup's tags on the echoed input to sourceTags only, and keeps the object's own comment", () => {
    const input = inputOf("pypi-3.1.0/onion_found.request.json");
    const result = normaliseResult("onion_lookup", "misp_standard", input, fixture("pypi-3.1.0/onion_found.response.json"));
    const tags = [
      'dark-web:topic="legitimate"',
      'dark-web:motivation="information-sharing-reportage"',
      'infoleak:automatic-detection="onion"',
    ];
    expect(result.sourceTags).toEqual(tags);
    expect(result.attributes).toEqual([]);
    expect(result.objects).toHaveLength(1);
    const [service] = result.objects;
    expect(service?.name).toBe("tor-hiddenservice");
    expect(service?.templateVersion).toBe("2");
    expect(service?.comment).toBe(
      "Enriched via onion-lookup: https://onion.ail-project.org/api/lookup/vugqd7hwj3rgope5bi7cj2vvsahm5l3agevcgnfxv2rbjlb42ueqaaid.onion",
    );
    expect(service?.references).toEqual([{ referencedUuid: input.uuid, relationshipType: "expanded-from" }]);
    expect(service?.attributes.map((a) => [a.objectRelation, a.type, a.value, a.toIds])).toEqual([
      ["address", "onion-address", input.value, true],
      ["first-seen", "datetime", "2023-03-22T00:00:00", false],
      ["last-seen", "datetime", "2025-11-20T00:00:00", false],
      ["language", "text", "en", false],
      ["title", "text", "Sample onion service title", false],
    ]);
    expect(service?.attributes[0]?.tags).toEqual(tags);
  });

  it("turns geoip_city's JSON-number coordinates into strings", () => {
    const input = inputOf("pypi-3.1.0/geoip_city.request.json");
    const raw = fixture("pypi-3.1.0/geoip_city.response.json") as { results: { Object: { Attribute: { value: unknown }[] }[] } };
    expect(typeof raw.results.Object[0]?.Attribute[5]?.value).toBe("number"); // the capture really has numbers
    const result = normaliseResult("geoip_city", "misp_standard", input, raw);
    const values = Object.fromEntries((result.objects[0]?.attributes ?? []).map((a) => [a.objectRelation, a.value]));
    expect(values).toEqual({
      country: "Belgium",
      countrycode: "BE",
      region: "Liège Province",
      city: "Saint-Nicolas",
      zipcode: "4420",
      latitude: "50.6284",
      longitude: "5.5324",
      "accuracy-radius": "50",
      text: "continent: Europe",
    });
    expect(result.attributes).toEqual([]);
  });

  it("reads misp_standard geoip_country as one geolocation object", () => {
    const input = inputOf("pypi-3.1.0/geoip_country.request.json");
    const result = normaliseResult("geoip_country", "misp_standard", input, fixture("pypi-3.1.0/geoip_country.response.json"));
    expect(result.objects.map((o) => o.attributes.map((a) => a.value))).toEqual([["US", "United States", "continent: North America"]]);
  });
});

describe("normaliseResult on older and legacy answers", () => {
  it("drops onion_lookup 3.0.9's placeholder comments", () => {
    const input = inputOf("3.0.9/onion_lookup.request.json");
    const body = fixture("3.0.9/onion_lookup.response.json");
    expect(JSON.stringify(body)).toContain("custom-comment2");
    const result = normaliseResult("onion_lookup", "misp_standard", input, body);
    expect(result.objects[0]?.comment).toBeUndefined();
    expect(result.sourceTags).toHaveLength(3);
    expect(result.attributes).toEqual([]);
  });

  it("drops a placeholder comment on a new attribute but keeps a real one", () => {
    const result = normaliseResult("m", "misp_standard", { uuid: "u-1", type: "ip-dst", value: "8.8.8.8" }, {
      results: {
        Attribute: [
          { uuid: "u-2", type: "domain", value: "dns.google", comment: "custom comment" },
          { uuid: "u-3", type: "hostname", value: "a.dns.google", comment: "resolved by PTR", to_ids: "1" },
        ],
      },
    });
    expect(result.attributes).toEqual([
      { type: "domain", value: "dns.google", tags: [] },
      { type: "hostname", value: "a.dns.google", comment: "resolved by PTR", toIds: true, tags: [] },
    ]);
  });

  it("recognises an echoed input by type and value when the module dropped its uuid", () => {
    const result = normaliseResult("m", "misp_standard", { uuid: "u-1", type: "ip-dst", value: "8.8.8.8" }, {
      results: { Attribute: [{ type: "ip-dst", value: "8.8.8.8", Tag: [{ name: "tlp:clear" }] }] },
    });
    expect(result).toEqual({ module: "m", format: "misp_standard", objects: [], attributes: [], sourceTags: ["tlp:clear"] });
  });

  it("reads a legacy list of values with the first type, freetext as text", () => {
    const input = { uuid: "u", type: "ip-dst", value: "188.65.220.25" };
    const result = normaliseResult("geoip_country", "legacy", input, fixture("3.0.9/geoip_country-legacy.response.json"));
    expect(result).toEqual({
      module: "geoip_country",
      format: "legacy",
      objects: [],
      sourceTags: [],
      attributes: [{ type: "text", value: "BE", tags: [] }],
    });
  });

  it("reads a legacy bare-string value", () => {
    const input = { uuid: "u", type: "ip-src", value: "188.65.220.25" };
    const result = normaliseResult("geoip_city", "legacy", input, fixture("3.0.9/geoip_city-legacy.response.json"));
    expect(result.attributes).toEqual([
      { type: "text", value: "Continent=Europe, Country=Belgium, Subdivision=Liège Province, City=Saint-Nicolas", tags: [] },
    ]);
  });

  it("reads the documented dns answer with its first type", () => {
    const input = { uuid: "u", type: "hostname", value: "www.foo.be" };
    const result = normaliseResult("dns", "legacy", input, fixture("3.0.9/dns.response.documented.json"));
    expect(result.attributes).toEqual([{ type: "ip-src", value: "188.65.217.78", tags: [] }]);
  });

  it("reads `type` as a string, categories, comment, tags and to_ids on legacy results", () => {
    const result = normaliseResult("m", "legacy", { uuid: "u", type: "domain", value: "x" }, {
      results: [
        { type: "ip-dst", values: ["192.0.2.1", 7, ""], categories: ["Network activity"], comment: "from m", tags: ["tlp:green"], to_ids: true },
      ],
    });
    expect(result.attributes).toEqual([
      { type: "ip-dst", value: "192.0.2.1", category: "Network activity", comment: "from m", toIds: true, tags: ["tlp:green"] },
      { type: "ip-dst", value: "7", category: "Network activity", comment: "from m", toIds: true, tags: ["tlp:green"] },
    ]);
  });

  it("accepts an empty misp_standard results object", () => {
    const result = normaliseResult("m", "misp_standard", { uuid: "u", type: "ip-dst", value: "x" }, { results: {} });
    expect(result).toEqual({ module: "m", format: "misp_standard", objects: [], attributes: [], sourceTags: [] });
  });
});

describe("normaliseResult on malformed answers", () => {
  it.each([
    ["a bare array", [1, 2], "$"],
    ["no results", { data: true }, "$.results"],
    ["results a string", { results: "x" }, "$.results"],
    ["Attribute not a list", { results: { Attribute: {} } }, "$.results.Attribute"],
    ["an attribute without type", { results: { Attribute: [{ value: "x" }] } }, "$.results.Attribute[0].type"],
    ["an attribute with an object value", { results: { Attribute: [{ type: "text", value: { a: 1 } }] } }, "$.results.Attribute[0].value"],
    ["an object without name", { results: { Object: [{ Attribute: [] }] } }, "$.results.Object[0].name"],
    [
      "an object attribute without relation",
      { results: { Object: [{ name: "geolocation", Attribute: [{ type: "text", value: "BE" }] }] } },
      "$.results.Object[0].Attribute[0].object_relation",
    ],
    [
      "a reference without referenced_uuid",
      { results: { Object: [{ name: "geolocation", ObjectReference: [{ relationship_type: "related-to" }] }] } },
      "$.results.Object[0].ObjectReference[0].referenced_uuid",
    ],
    ["a tag without name", { results: { Attribute: [{ type: "text", value: "x", Tag: [{}] }] } }, "$.results.Attribute[0].Tag[0]"],
    ["a legacy result without types", { results: [{ values: ["x"] }] }, "$.results[0].types"],
    ["a legacy result without values", { results: [{ types: ["text"] }] }, "$.results[0].values"],
    ["a legacy value that is an object", { results: [{ types: ["text"], values: [{}] }] }, "$.results[0].values[0]"],
  ])("rejects %s with its path", (_what, body, path) => {
    expect(invalidReason(body)).toMatchObject({ module: "m", path });
  });

  it("says what it expected and what it found", () => {
    expect(invalidReason({ results: { Attribute: [{ type: "text", value: { a: 1 } }] } })).toMatchObject({ reason: "expected text, got an object" });
    expect(invalidReason({ results: { Attribute: ["geolocation"] } })).toMatchObject({ reason: 'expected an object, got a string "geolocation"' });
    expect(invalidReason({ results: { Object: [{ name: 7 }] } })).toMatchObject({ path: "$.results.Object[0].name", reason: "expected the object's name, got a number 7" });
  });
});
