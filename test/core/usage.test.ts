// Usage: reference §2.10, exact for every prefix size and saturating at 2^64-1 (CONTRACT §3 fixes the
// original's wrap to 0 and cap at 2^31-1; each changed vector says so).
import { describe, expect, it } from "vitest";
import { Ipam, MAX_UINT64 } from "../../src/core";

const fresh = (cidr: string) => {
  const ipam = new Ipam();
  ipam.newPrefix(cidr);
  return ipam.usage(cidr);
};

describe("Usage of a fresh prefix", () => {
  it.each([
    ["0.0.0.0/0", 1073741824n, 4294967296n], // fix: availableIPs was capped at 2147483647
    ["0.0.0.0/1", 536870912n, 2147483648n],
    ["10.0.0.0/8", 4194304n, 16777216n],
    ["10.0.0.0/16", 16384n, 65536n],
    ["10.0.0.0/20", 1024n, 4096n],
    ["10.0.0.0/24", 64n, 256n],
    ["10.0.0.0/25", 32n, 128n],
    ["10.0.0.0/30", 1n, 4n],
    ["10.0.0.0/31", 0n, 2n],
    ["10.0.0.0/32", 0n, 1n],
    ["2001:db8::/32", MAX_UINT64, MAX_UINT64], // fix: smallest was 0 (a uint64 shift), ips capped at 2^31-1
    ["2001:db8::/48", MAX_UINT64, MAX_UINT64],
    ["2001:db8::/61", MAX_UINT64, MAX_UINT64], // fix: was 0
    ["2001:db8::/62", MAX_UINT64, MAX_UINT64], // fix: exactly 2^64, saturated (was 0)
    ["2001:db8::/63", 1n << 63n, MAX_UINT64], // fix: was 2147483647
    ["2001:db8::/64", 1n << 62n, MAX_UINT64],
    ["2001:db8::/65", 1n << 61n, 1n << 63n],
    ["2001:db8::/96", 1073741824n, 1n << 32n],
    ["2001:db8::/97", 536870912n, 2147483648n],
    ["2001:db8::/116", 1024n, 4096n],
    ["2001:db8::/120", 64n, 256n],
    ["2001:db8::/126", 1n, 4n],
    ["2001:db8::/127", 0n, 2n],
    ["2001:db8::/128", 0n, 1n],
  ])("%s: smallest %s, ips %s", (cidr, smallest, ips) => {
    const u = fresh(cidr);
    expect(u.availableSmallestPrefixes).toBe(smallest);
    expect(u.availableIPs).toBe(ips);
    expect(u.acquiredPrefixes).toBe(0n);
  });

  it("lists the prefix itself when a /30 or /126 fits, nothing otherwise", () => {
    expect(fresh("192.168.0.0/30").availablePrefixes).toEqual(["192.168.0.0/30"]);
    expect(fresh("192.168.0.0/31").availablePrefixes).toEqual([]);
    expect(fresh("192.168.0.0/32").availablePrefixes).toEqual([]);
    expect(fresh("2001:db8:85a3::/126").availablePrefixes).toEqual(["2001:db8:85a3::/126"]);
    expect(fresh("2001:db8:85a3::/127").availablePrefixes).toEqual([]);
    expect(fresh("2001:db8:85a3::/128").availablePrefixes).toEqual([]);
  });
});

describe("Usage with children", () => {
  it("sums free /30 units of the free blocks", () => {
    const ipam = new Ipam();
    ipam.newPrefix("192.168.0.0/20");
    ipam.acquireSpecificChildPrefix("192.168.0.0/20", "192.168.0.0/22");
    expect(ipam.usage("192.168.0.0/20").availableSmallestPrefixes).toBe(512n + 256n);
    ipam.newPrefix("2001:db8::/120");
    ipam.acquireChildPrefix("2001:db8::/120", 122);
    expect(ipam.usage("2001:db8::/120").availableSmallestPrefixes).toBe(32n + 16n);
  });

  it("matches go-ipam's integration data: a /14 with 18 /22s taken has 60928 /30s free", () => {
    const ipam = new Ipam();
    ipam.newPrefix("10.128.0.0/14");
    for (let i = 0; i < 18; i++) ipam.acquireChildPrefix("10.128.0.0/14", 22);
    expect(ipam.usage("10.128.0.0/14")).toMatchObject({ availableSmallestPrefixes: 60928n, acquiredPrefixes: 18n });
  });

  it("fix: two free /63s of a /61 count 2^64 (saturated), not 0", () => {
    const ipam = new Ipam();
    ipam.newPrefix("2001:db8::/61");
    ipam.acquireSpecificChildPrefix("2001:db8::/61", "2001:db8:0:2::/63");
    ipam.acquireSpecificChildPrefix("2001:db8::/61", "2001:db8:0:6::/63");
    const u = ipam.usage("2001:db8::/61");
    expect(u.availablePrefixes).toEqual(["2001:db8::/63", "2001:db8:0:4::/63"]);
    expect(u.availableSmallestPrefixes).toBe(MAX_UINT64);
  });

  it("ignores IPs for the free prefix list, as go-ipam does", () => {
    const ipam = new Ipam();
    ipam.newPrefix("10.1.0.0/29");
    for (let i = 0; i < 6; i++) ipam.acquireIP("10.1.0.0/29");
    expect(ipam.usage("10.1.0.0/29")).toEqual({
      availableIPs: 8n,
      acquiredIPs: 8n,
      availableSmallestPrefixes: 2n,
      availablePrefixes: ["10.1.0.0/29"],
      acquiredPrefixes: 0n,
    });
  });

  it("reproduces go-ipam's example free list for 2001:aabb::/48", () => {
    const ipam = new Ipam();
    ipam.newPrefix("2001:aabb::/48");
    ipam.acquireChildPrefix("2001:aabb::/48", 64);
    ipam.acquireChildPrefix("2001:aabb::/48", 72);
    expect(ipam.usage("2001:aabb::/48").availablePrefixes.join(",")).toBe(
      "2001:aabb:0:1:100::/72,2001:aabb:0:1:200::/71,2001:aabb:0:1:400::/70,2001:aabb:0:1:800::/69,2001:aabb:0:1:1000::/68,2001:aabb:0:1:2000::/67,2001:aabb:0:1:4000::/66,2001:aabb:0:1:8000::/65,2001:aabb:0:2::/63,2001:aabb:0:4::/62,2001:aabb:0:8::/61,2001:aabb:0:10::/60,2001:aabb:0:20::/59,2001:aabb:0:40::/58,2001:aabb:0:80::/57,2001:aabb:0:100::/56,2001:aabb:0:200::/55,2001:aabb:0:400::/54,2001:aabb:0:800::/53,2001:aabb:0:1000::/52,2001:aabb:0:2000::/51,2001:aabb:0:4000::/50,2001:aabb:0:8000::/49",
    );
  });
});
