// Whether an address is worth a geolocation lookup. Subscribers skip the rest before calling a
// module: an upstream has nothing to say about 10.0.0.1 and answers with an error (modules.md §8).
// Documentation ranges (192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32) count as routable:
// the sample fixtures use them.

import { isIPv4, isIPv6 } from "node:net";

/** [first octet, second octet, prefix length] of every IPv4 block that is never looked up. */
const IPV4_BLOCKS: readonly (readonly [number, number, number])[] = [
  [0, 0, 8], // "this network", includes 0.0.0.0
  [10, 0, 8], // RFC 1918
  [100, 64, 10], // carrier-grade NAT
  [127, 0, 8], // loopback
  [169, 254, 16], // link-local
  [172, 16, 12], // RFC 1918
  [192, 168, 16], // RFC 1918
  [224, 0, 4], // multicast
  [240, 0, 4], // reserved, includes 255.255.255.255
];

/** True for a public IPv4/IPv6 address; false for private, special and anything that is not an IP. */
export function isRoutableAddress(value: string): boolean {
  const address = stripDecorations(value.trim());
  if (isIPv4(address)) return isRoutableV4(parseV4(address));
  if (isIPv6(address)) return isRoutableV6(parseV6(address));
  return false;
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

function parseV4(address: string): number[] {
  return address.split(".").map(Number);
}

function isRoutableV4(octets: readonly number[]): boolean {
  const [a = 0, b = 0] = octets;
  const value = a * 256 + b;
  for (const [first, second, prefix] of IPV4_BLOCKS) {
    // Every block is at most 16 bits long, so the first two octets decide.
    const mask = 0xffff - (2 ** (16 - Math.min(prefix, 16)) - 1);
    if ((value & mask) === ((first * 256 + second) & mask)) return false;
  }
  return true;
}

/** Eight 16-bit groups; an embedded IPv4 tail is rewritten as the last two. */
function parseV6(address: string): number[] {
  let text = address.toLowerCase();
  const lastColon = text.lastIndexOf(":");
  const last = text.slice(lastColon + 1);
  if (last.includes(".")) {
    const [a = 0, b = 0, c = 0, d = 0] = parseV4(last);
    text = `${text.slice(0, lastColon + 1)}${(a * 256 + b).toString(16)}:${(c * 256 + d).toString(16)}`;
  }
  const [head = "", rest] = text.split("::");
  const toGroups = (part: string | undefined): number[] =>
    part === undefined || part === "" ? [] : part.split(":").map((g) => parseInt(g, 16));
  const headGroups = toGroups(head);
  const restGroups = toGroups(rest);
  const fill = rest === undefined ? 0 : 8 - headGroups.length - restGroups.length;
  return [...headGroups, ...new Array<number>(Math.max(0, fill)).fill(0), ...restGroups];
}

function isRoutableV6(groups: readonly number[]): boolean {
  const g = (i: number): number => groups[i] ?? 0;
  const zeroUpTo = (n: number): boolean => groups.slice(0, n).every((x) => x === 0);
  if (zeroUpTo(8)) return false; // ::
  if (zeroUpTo(7) && g(7) === 1) return false; // ::1
  if ((g(0) & 0xfe00) === 0xfc00) return false; // fc00::/7 unique local
  if ((g(0) & 0xffc0) === 0xfe80) return false; // fe80::/10 link-local
  if ((g(0) & 0xffc0) === 0xfec0) return false; // fec0::/10 deprecated site-local
  if ((g(0) & 0xff00) === 0xff00) return false; // ff00::/8 multicast
  const embedded = [g(6) >> 8, g(6) & 0xff, g(7) >> 8, g(7) & 0xff];
  if (zeroUpTo(5) && g(5) === 0xffff) return isRoutableV4(embedded); // ::ffff:a.b.c.d mapped
  if (g(0) === 0x64 && g(1) === 0xff9b && groups.slice(2, 6).every((x) => x === 0)) {
    return isRoutableV4(embedded); // 64:ff9b::/96 NAT64
  }
  if (zeroUpTo(6)) return false; // deprecated IPv4-compatible ::a.b.c.d
  return true;
}
