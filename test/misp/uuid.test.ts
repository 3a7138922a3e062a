import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ResultObject } from "../../src/modules/types.js";
import {
  deriveAttributeUuid,
  deriveObjectUuid,
  deriveStandaloneParentUuid,
  ENRICHD_NAMESPACE,
  NAMESPACE_DNS,
  NAMESPACE_URL,
  uuidv5,
} from "../../src/misp/uuid.js";

// MISP's Validation::uuid: version nibble 0-5, RFC 4122 variant.
const MISP_UUID = /^[a-f0-9]{8}-[a-f0-9]{4}-[0-5][a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12}$/;

const geo = (country: string): ResultObject => ({
  name: "geolocation",
  metaCategory: "misc",
  description: "An object to describe a geographic location.",
  templateUuid: "cd6f2238-ba55-4888-82c4-104e6e1acf21",
  templateVersion: "8",
  moduleUuid: crypto.randomUUID(),
  attributes: [
    { objectRelation: "country", type: "text", value: country, tags: [] },
    { objectRelation: "latitude", type: "float", value: "49.6", tags: [] },
  ],
  references: [],
});

describe("uuidv5", () => {
  it("matches the RFC 4122 / Python uuid.uuid5 vectors", () => {
    expect(uuidv5(NAMESPACE_DNS, "www.example.com")).toBe("2ed6657d-e927-568b-95e1-2665a8aea6a2");
    expect(uuidv5(NAMESPACE_URL, "http://python.org/")).toBe("4c565f0d-3f5a-5890-b41b-20cf47701c5e");
  });

  it("agrees with RFC 4122 §4.3 done byte by byte, for any name (multi-byte, and longer than its scratch buffer)", () => {
    const reference = (namespace: string, name: string): string => {
      const bytes = createHash("sha1").update(Buffer.from(namespace.replace(/-/g, ""), "hex")).update(name, "utf8").digest().subarray(0, 16);
      bytes[6] = (bytes[6]! & 0x0f) | 0x50;
      bytes[8] = (bytes[8]! & 0x3f) | 0x80;
      const hex = bytes.toString("hex");
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    };
    const names = fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), fc.string({ minLength: 4_070, maxLength: 4_200 }), fc.string({ unit: "binary", minLength: 1_400, maxLength: 1_500 }));
    fc.assert(fc.property(fc.constantFrom(ENRICHD_NAMESPACE, NAMESPACE_DNS, NAMESPACE_URL), names, (namespace, name) => {
        expect(uuidv5(namespace, name)).toBe(reference(namespace, name));
      }), { numRuns: 300 });
  });

  it("derives the project namespace from its documented name", () => {
    expect(uuidv5(NAMESPACE_URL, "urn:misp-enrichd")).toBe(ENRICHD_NAMESPACE);
  });

  it("accepts an uppercase namespace and refuses a non-uuid one", () => {
    expect(uuidv5(NAMESPACE_DNS.toUpperCase(), "www.example.com")).toBe("2ed6657d-e927-568b-95e1-2665a8aea6a2");
    expect(() => uuidv5("not-a-uuid", "x")).toThrow(TypeError);
  });
});

describe("derived uuids", () => {
  const source = "3c1e9a2b-7d4f-4e8a-b6c5-0f1e2d3c4b5a";

  it("gives the same object uuid for the same result whatever the module's own uuids", () => {
    const first = geo("Luxembourg");
    const again = { ...geo("Luxembourg"), attributes: [...geo("Luxembourg").attributes].reverse() };
    expect(first.moduleUuid).not.toBe(again.moduleUuid);
    expect(deriveObjectUuid(source, "mmdb_lookup", first)).toBe(deriveObjectUuid(source, "mmdb_lookup", again));
  });

  it("gives the same object uuid when the module's values drift, so a late redelivery finds the first object", () => {
    expect(deriveObjectUuid(source, "mmdb_lookup", geo("Belgium"))).toBe(deriveObjectUuid(source, "mmdb_lookup", geo("Luxembourg")));
  });

  it("gives different object uuids for another rank, module, source or object name", () => {
    const base = deriveObjectUuid(source, "mmdb_lookup", geo("Luxembourg"));
    expect(deriveObjectUuid(source, "mmdb_lookup", geo("Luxembourg"), 1)).not.toBe(base);
    expect(deriveObjectUuid(source, "geoip_city", geo("Luxembourg"))).not.toBe(base);
    expect(deriveObjectUuid("4d2f0b3c-8e5a-4f9b-a7d6-1f2e3d4c5b6a", "mmdb_lookup", geo("Luxembourg"))).not.toBe(base);
    expect(deriveObjectUuid(source, "mmdb_lookup", { ...geo("Luxembourg"), name: "asn" })).not.toBe(base);
  });

  it("is case-insensitive in the source uuid", () => {
    expect(deriveObjectUuid(source.toUpperCase(), "m", geo("LU"))).toBe(deriveObjectUuid(source, "m", geo("LU")));
  });

  it("derives attribute uuids per parent, relation, type and value, all valid for MISP", () => {
    const parent = deriveObjectUuid(source, "mmdb_lookup", geo("Luxembourg"));
    const uuids = new Set([
      deriveAttributeUuid(parent, "country", "text", "Luxembourg"),
      deriveAttributeUuid(parent, "country", "text", "Belgium"),
      deriveAttributeUuid(parent, "text", "text", "Luxembourg"),
      deriveAttributeUuid(parent, "country", "comment", "Luxembourg"),
      deriveAttributeUuid(deriveStandaloneParentUuid(source, "mmdb_lookup"), "country", "text", "Luxembourg"),
    ]);
    expect(uuids.size).toBe(5);
    for (const uuid of [...uuids, parent]) expect(uuid).toMatch(MISP_UUID);
    expect(deriveAttributeUuid(parent, "country", "text", "Luxembourg")).toBe(deriveAttributeUuid(parent, "country", "text", "Luxembourg"));
  });
});
