import { describe, expect, it } from "vitest";
import { isNothingFound } from "../../src/modules/nothing-found.js";
import { fixture } from "./helpers.js";

const errorOf = (path: string): string => (fixture(path) as { error: string }).error;

describe("isNothingFound", () => {
  it("recognises the real 3.1.0 answers for an unknown onion and an address not in the GeoIP database", () => {
    expect(isNothingFound("onion_lookup", errorOf("pypi-3.1.0/onion_notfound.response.json"))).toBe(true);
    expect(isNothingFound("geoip_city", errorOf("pypi-3.1.0/geoip_city_private.response.json"))).toBe(true);
  });

  it("recognises dns's NXDOMAIN and mmdb_lookup's empty answer", () => {
    expect(isNothingFound("dns", "NXDOMAIN")).toBe(true);
    expect(isNothingFound("mmdb_lookup", "Empty result returned by server")).toBe(true);
  });

  it("leaves failures alone: another module's generic error, a resolver timeout, an HTTP error upstream", () => {
    expect(isNothingFound("mmdb_lookup", "Something went wrong, look in the server logs for details")).toBe(false);
    expect(isNothingFound("dns", "Timeout")).toBe(false);
    expect(isNothingFound("dns", "DNS resolving error")).toBe(false);
    expect(isNothingFound("mmdb_lookup", errorOf("pypi-3.1.0/mmdb_private.response.json"))).toBe(false);
    expect(isNothingFound("geoip_asn", "GeoIP resolving error: The asn method cannot be used with the GeoLite2-Country database")).toBe(false);
    expect(isNothingFound("no_such_module", "NXDOMAIN")).toBe(false);
  });
});
