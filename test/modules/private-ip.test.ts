import { describe, it, expect } from "vitest";
import { isRoutableAddress } from "../../src/modules/private-ip.js";

describe("isRoutableAddress", () => {
  it.each([
    ["8.8.8.8"],
    ["188.65.220.25"],
    ["1.1.1.1"],
    ["100.63.255.255"], // just below CGNAT
    ["100.128.0.1"], // just above CGNAT
    ["172.15.255.255"], // just below 172.16/12
    ["172.32.0.1"], // just above 172.16/12
    ["192.0.2.10"], // documentation ranges count as routable (fixtures use them)
    ["198.51.100.23"],
    ["203.0.113.7"],
    ["223.255.255.254"],
    ["2001:4860:4860::8888"],
    ["2a00:1450:4001:81c::200e"],
    ["2001:db8::1"],
    ["::ffff:8.8.8.8"],
    ["64:ff9b::808:808"], // NAT64 of 8.8.8.8
    ["188.65.220.25|443"],
    ["2001:4860:4860::8888|443"],
    ["[2001:4860:4860::8888]"],
    ["[2001:4860:4860::8888]:443"],
    ["8.8.8.8:53"],
    ["dns.google|8.8.8.8"], // domain|ip: the ip counts
    [" 8.8.8.8 "],
    ["3fff::1"], // IPv6 documentation (RFC 9637)
    ["192.175.48.6"], // AS112 anycast DNS: globally reachable
    ["2620:4f:8000::6"], // AS112 over IPv6
    ["2001:4:112::1"], // AS112 (RFC 7535)
  ])("treats %s as routable", (value) => {
    expect(isRoutableAddress(value)).toBe(true);
  });

  it.each([
    ["10.0.0.1", "RFC 1918"],
    ["10.255.255.255", "RFC 1918"],
    ["172.16.0.1", "RFC 1918"],
    ["172.31.255.255", "RFC 1918"],
    ["192.168.1.1", "RFC 1918"],
    ["127.0.0.1", "loopback"],
    ["127.255.0.1", "loopback"],
    ["169.254.10.20", "link-local"],
    ["100.64.0.1", "CGNAT"],
    ["100.127.255.255", "CGNAT"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "this network"],
    ["224.0.0.251", "multicast"],
    ["239.255.255.250", "multicast"],
    ["255.255.255.255", "broadcast"],
    ["240.0.0.1", "reserved"],
    ["::", "IPv6 unspecified"],
    ["::1", "IPv6 loopback"],
    ["0:0:0:0:0:0:0:1", "IPv6 loopback, long form"],
    ["fc00::1", "ULA"],
    ["fd12:3456:789a::1", "ULA"],
    ["fe80::1", "link-local"],
    ["fe80::1%eth0", "link-local with zone"],
    ["febf::1", "link-local, top of fe80::/10"],
    ["ff02::1", "IPv6 multicast"],
    ["::ffff:10.0.0.1", "IPv4-mapped private"],
    ["::ffff:127.0.0.1", "IPv4-mapped loopback"],
    ["::ffff:a00:1", "IPv4-mapped private, hex form"],
    ["64:ff9b::a00:1", "NAT64 of a private address"],
    ["10.0.0.1|8080", "private with MISP port suffix"],
    ["intranet.example|10.0.0.1", "domain|ip with a private ip"],
    ["[::1]:443", "bracketed loopback with port"],
    ["[fe80::1]", "bracketed link-local"],
    ["198.18.0.1", "benchmarking (RFC 2544)"],
    ["198.19.255.255", "benchmarking, top of 198.18.0.0/15"],
    ["192.0.0.8", "IETF protocol assignments"],
    ["192.88.99.1", "deprecated 6to4 relay anycast"],
    ["2002:808:808::1", "6to4"],
    ["2001::1", "Teredo"],
    ["2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo client"],
    ["2001:2::1", "IPv6 benchmarking"],
    ["100::1", "discard-only"],
    ["::8.8.8.8", "deprecated IPv4-compatible"],
    ["64:ff9b:1::808:808", "local-use NAT64 (RFC 8215)"],
    ["5f00::1", "segment routing SIDs"],
    ["2001:20::1", "ORCHIDv2"],
    ["::ffff:198.18.0.1", "IPv4-mapped benchmarking"],
    ["198.18.0.1|443", "benchmarking with MISP port suffix"],
    ["127.1", "not four-part decimal"],
    ["0x7f000001", "hex, not an address MISP writes"],
    ["999.1.1.1", "not an address"],
    ["circl.lu", "a host name"],
    ["", "empty"],
  ])("treats %s as not routable (%s)", (value) => {
    expect(isRoutableAddress(value)).toBe(false);
  });
});
