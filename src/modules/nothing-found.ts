// The `{"error": …}` answers that mean "this module knows nothing about that value" rather than "the
// module failed": a lookup that came back empty is a result, not an error worth a dead letter. Only
// answers read in the modules' sources or observed are listed (modules.md §4, §8).

/** Module name → its "nothing found" messages. */
const NOTHING_FOUND: Readonly<Record<string, readonly RegExp[]>> = {
  // dns.py: dns.resolver.NXDOMAIN → {"error": "NXDOMAIN"}.
  dns: [/^NXDOMAIN$/],
  // The upstream answers `{}` for an unknown onion and the module crashes on it: the server's
  // generic error (modules.md §4c, observed on 3.0.9 and 3.1.0).
  onion_lookup: [/^Something went wrong, look in the server logs for details$/],
  // geoip2's AddressNotFoundError (observed for 10.0.0.1 on 3.1.0).
  geoip_city: [/^GeoIP resolving error: The address \S+ is not in the database\.$/],
  geoip_country: [/^GeoIP resolving error: The address \S+ is not in the database\.$/],
  geoip_asn: [/^GeoIP resolving error: The address \S+ is not in the database\.$/],
  // mmdb-server answered, with an empty country_info.
  mmdb_lookup: [/^Empty result returned by server$/],
};

/** Whether `module`'s error message says it found nothing for the value it was given. */
export function isNothingFound(module: string, message: string): boolean {
  return NOTHING_FOUND[module]?.some((pattern) => pattern.test(message)) ?? false;
}
