// Whether an address is worth a geolocation lookup. Subscribers skip the rest before calling a
// module: an upstream has nothing to say about 10.0.0.1 and answers with an error (modules.md §8).
// The special-purpose ranges come from ipaddr.js (IANA's registries); an address is routable when it
// is plain unicast or in one of the few special ranges that are globally reachable (AS112, AMT).
// Documentation ranges count as routable: the sample fixtures use them.

import ipaddr from "ipaddr.js";

/** RFC 5737 and RFC 3849 / RFC 9637: for examples, and the fixtures are examples. */
const DOCUMENTATION = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32", "3fff::/20"].map((cidr) => ipaddr.parseCIDR(cidr));

/** Range names of `range()` whose addresses are globally reachable (IANA special-purpose registries). */
const GLOBAL_V4 = new Set(["unicast", "as112", "amt"]);
const GLOBAL_V6 = new Set(["unicast", "as112v6", "amt"]);

/** 2000::/3, the only IPv6 space allocated for global unicast; the rest is reserved or special. */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR("2000::/3");
/** The well-known NAT64 prefix: an IPv4 address in IPv6 clothes, judged by that address. */
const NAT64 = ipaddr.parseCIDR("64:ff9b::/96");

/** True for a public IPv4/IPv6 address; false for private, special and anything that is not an IP. */
export function isRoutableAddress(value: string): boolean {
  const address = stripDecorations(value.trim());
  if (ipaddr.IPv4.isValidFourPartDecimal(address)) return isRoutableV4(ipaddr.IPv4.parse(address));
  if (ipaddr.IPv6.isValid(address)) return isRoutableV6(ipaddr.IPv6.parse(hexTail(address)));
  return false;
}

/**
 * ipaddr.js reads any dotted tail as IPv4-mapped (`::8.8.8.8` as `::ffff:8.8.8.8`): spell the tail
 * as two hex groups so that the address keeps its own meaning.
 */
function hexTail(address: string): string {
  const tail = /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  if (tail === null) return address;
  const [a, b, c, d] = tail.slice(2).map(Number) as [number, number, number, number];
  return `${tail[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}

function isDocumentation(address: ipaddr.IPv4 | ipaddr.IPv6): boolean {
  return DOCUMENTATION.some(([range, bits]) => range.kind() === address.kind() && address.match(range, bits));
}

function isRoutableV4(address: ipaddr.IPv4): boolean {
  return GLOBAL_V4.has(address.range()) || isDocumentation(address);
}

function isRoutableV6(address: ipaddr.IPv6): boolean {
  if (address.isIPv4MappedAddress()) return isRoutableV4(address.toIPv4Address());
  if (address.match(NAT64)) return isRoutableV4(ipaddr.IPv4.parse(embeddedV4(address)));
  if (isDocumentation(address)) return true;
  return address.match(GLOBAL_UNICAST_V6) && GLOBAL_V6.has(address.range());
}

/** The last 32 bits of an IPv6 address as dotted decimal. */
function embeddedV4(address: ipaddr.IPv6): string {
  const [high = 0, low = 0] = address.parts.slice(6);
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".");
}

/**
 * The address inside a MISP value: `ip|port` gives the ip, `domain|ip` the ip; also drops IPv6
 * brackets, a `:port` after an IPv4 and an IPv6 zone id.
 */
function stripDecorations(value: string): string {
  let out = value;
  const pipe = out.lastIndexOf("|");
  if (pipe >= 0) {
    const right = out.slice(pipe + 1);
    out = /^\d+$/.test(right) ? out.slice(0, pipe) : right;
  }
  if (out.startsWith("[")) {
    const close = out.indexOf("]");
    out = close > 0 ? out.slice(1, close) : out;
  } else if (/^\d{1,3}(\.\d{1,3}){3}:\d+$/.test(out)) {
    out = out.slice(0, out.indexOf(":"));
  }
  const zone = out.indexOf("%");
  return zone >= 0 ? out.slice(0, zone) : out;
}
