// addressKey: whom a rate limit counts when nobody is identified. Spellings of one address (RFC 5952 §2's
// examples, RFC 4291 §2.5.5.2's IPv4-mapped form) must give one count, an IPv6 /64 is one client, and anything
// that is not an address gives none (all anonymous callers then share one count).
import { describe, expect, it } from "vitest";
import { addressKey } from "../../policy/client-address.ts";

describe("addressKey", () => {
  it.each([
    ["192.0.2.1", "address:192.0.2.1"],
    // RFC 5952 §2.1-2.3: the same address, spelt many ways.
    ["2001:db8:0:0:1:0:0:1", "address:2001:db8:0:0::/64"],
    ["2001:0db8:0:0:1:0:0:1", "address:2001:db8:0:0::/64"],
    ["2001:db8::1:0:0:1", "address:2001:db8:0:0::/64"],
    ["2001:db8::0:1:0:0:1", "address:2001:db8:0:0::/64"],
    ["2001:0db8::1:0:0:1", "address:2001:db8:0:0::/64"],
    ["2001:DB8:0:0:1::1", "address:2001:db8:0:0::/64"],
    // RFC 5952 §2.4: leading zeros and case.
    ["2001:db8:aaaa:bbbb:cccc:dddd:eeee:aaaa", "address:2001:db8:aaaa:bbbb::/64"],
    ["2001:DB8:AAAA:BBBB:CCCC:DDDD:EEEE:AAAA", "address:2001:db8:aaaa:bbbb::/64"],
    ["2001:0db8:000a:0b0b::1", "address:2001:db8:a:b0b::/64"],
    // RFC 4291 §2.5.5.2: an IPv4 client seen through IPv6 is that client.
    ["::FFFF:129.144.52.38", "address:129.144.52.38"],
    ["::ffff:8190:3426", "address:129.144.52.38"],
    ["::1", "address:0:0:0:0::/64"],
  ])("%s is counted as %s", (address, key) => {
    expect(addressKey(address)).toBe(key);
  });

  it("counts the addresses of one /64 together and of two apart", () => {
    expect(addressKey("2001:db8:1:2:aaaa::1")).toBe(addressKey("2001:db8:1:2:bbbb::9"));
    expect(addressKey("2001:db8:1:2::1")).not.toBe(addressKey("2001:db8:1:3::1"));
  });

  it.each([
    undefined,
    null,
    "",
    "unknown",
    "1.2.3",
    "256.1.1.1",
    "01.2.3.4",
    "fe80::1%eth0",
    "[::1]",
    "1::]@evil",
    "::1::2",
    "1:2:3:4:5:6:7:8:9",
    "2001:db8::1/64",
    `1.2.3.4${" ".repeat(64)}`,
    // What a local run or a service binding's caller may send (isClientAddress's doc): a port, a list, a number.
    "198.18.0.1:8080",
    "192.0.2.1, 198.51.100.7",
    "3221225985",
    // The URL parser, which reads IPv6 here, drops tabs and newlines anywhere: they must not get that far.
    "2001:db8::\t1",
    "2001:db8::\n1",
  ])("%j is no address", (address) => {
    expect(addressKey(address)).toBeUndefined();
  });

  it("gives each address its own key, read in any order and again (the last one is remembered)", () => {
    const addresses = [
      "2001:db8:1:2::1",
      "2001:DB8:1:2::1",
      "192.0.2.1",
      "unknown",
      "2001:db8:9::1",
      "::ffff:c000:201",
    ];
    const alone = addresses.map((a) => addressKey(a));
    expect(alone).toEqual([
      "address:2001:db8:1:2::/64",
      "address:2001:db8:1:2::/64",
      "address:192.0.2.1",
      undefined,
      "address:2001:db8:9:0::/64",
      "address:192.0.2.1",
    ]);
    for (const order of [
      [0, 0, 1, 1, 0],
      [3, 3, 2, 3],
      [4, 5, 4, 0, 3, 0],
    ])
      for (const i of order) expect(addressKey(addresses[i])).toBe(alone[i]);
  });
});
