// AcquireChildPrefix, AcquireSpecificChildPrefix, ReleaseChildPrefix: reference §2.5, §2.6, §5.1; fixes from
// CONTRACT §3.
import { describe, expect, it } from "vitest";
import { Ipam, usageString } from "../../src/core";
import { expectError } from "./helpers";

const acquire = (ipam: Ipam, parent: string, lengths: number[]) => lengths.map((l) => ipam.acquireChildPrefix(parent, l).cidr);

describe("AcquireChildPrefix: best fit", () => {
  it("takes the smallest free block that fits, lowest address first (10.0.65.0/24, not 10.0.0.0/24)", () => {
    const ipam = new Ipam();
    ipam.newPrefix("10.0.0.0/16");
    expect(acquire(ipam, "10.0.0.0/16", [18, 24])).toEqual(["10.0.0.0/18", "10.0.64.0/24"]);
    ipam.releaseChildPrefix("10.0.0.0/18");
    expect(acquire(ipam, "10.0.0.0/16", [24, 17])).toEqual(["10.0.65.0/24", "10.0.128.0/17"]);
    expectError(
      () => ipam.acquireChildPrefix("10.0.0.0/16", 17),
      "no prefix found in 10.0.0.0/16 with length:17, but 10.0.0.0/18,10.0.66.0/23,10.0.68.0/22,10.0.72.0/21,10.0.80.0/20,10.0.96.0/19 are available",
      "no_child_available",
    );
  });

  it("mixes sizes as go-ipam does", () => {
    const ipam = new Ipam();
    ipam.newPrefix("10.0.0.0/16");
    expect(acquire(ipam, "10.0.0.0/16", [24, 20, 24, 22, 25, 24, 17])).toEqual([
      "10.0.0.0/24", "10.0.16.0/20", "10.0.1.0/24", "10.0.4.0/22", "10.0.2.0/25", "10.0.3.0/24", "10.0.128.0/17",
    ]);
  });

  it("fragments and refills a /20 (TestIpamer_AcquireChildPrefixFragmented)", () => {
    const ipam = new Ipam();
    ipam.newPrefix("192.168.0.0/20");
    const smallest = () => ipam.usage("192.168.0.0/20").availableSmallestPrefixes;
    expect(smallest()).toBe(1024n);
    expect(ipam.acquireChildPrefix("192.168.0.0/20", 21).cidr).toBe("192.168.0.0/21");
    expect(smallest()).toBe(512n);
    expect(ipam.acquireChildPrefix("192.168.0.0/20", 22).cidr).toBe("192.168.8.0/22");
    expect(smallest()).toBe(256n);
    expect(ipam.usage("192.168.0.0/20").availablePrefixes).toEqual(["192.168.12.0/22"]);
    expectError(() => ipam.acquireChildPrefix("192.168.0.0/20", 21), "no prefix found in 192.168.0.0/20 with length:21, but 192.168.12.0/22 is available");
    ipam.releaseChildPrefix("192.168.8.0/22");
    expect(ipam.acquireChildPrefix("192.168.0.0/20", 28).cidr).toBe("192.168.8.0/28");
    expect(ipam.usage("192.168.0.0/20").availablePrefixes.join(",")).toBe(
      "192.168.8.16/28,192.168.8.32/27,192.168.8.64/26,192.168.8.128/25,192.168.9.0/24,192.168.10.0/23,192.168.12.0/22",
    );
    expect(smallest()).toBe(508n);
    expect(ipam.acquireChildPrefix("192.168.0.0/20", 22).cidr).toBe("192.168.12.0/22");
  });

  it("fills /16 with 256 /24s and a /112 with 256 /120s in order, no duplicates", () => {
    const ipam = new Ipam();
    for (const [parent, length, first, step] of [["192.168.0.0/16", 24, "192.168.0.0/24", "192.168.1.0/24"], ["2001:db8:85a3::/112", 120, "2001:db8:85a3::/120", "2001:db8:85a3::100/120"]] as const) {
      ipam.newPrefix(parent);
      expect(ipam.usage(parent).availableSmallestPrefixes).toBe(16384n);
      const got = Array.from({ length: 256 }, () => ipam.acquireChildPrefix(parent, length).cidr);
      expect(got.slice(0, 2)).toEqual([first, step]);
      expect(new Set(got).size).toBe(256);
      expect(ipam.usage(parent).availableSmallestPrefixes).toBe(0n);
      expectError(() => ipam.acquireChildPrefix(parent, length), `no prefix found in ${parent} with length:${length}`);
    }
    expect(acquire(ipam, "2001:db8:85a3::/112", []).length).toBe(0);
  });

  it("hands out a parent's network and broadcast addresses as /32 children", () => {
    const ipam = new Ipam();
    ipam.newPrefix("10.0.0.0/30");
    ipam.newPrefix("2001:db8::/126");
    expect(acquire(ipam, "10.0.0.0/30", [32, 32, 32, 32])).toEqual(["10.0.0.0/32", "10.0.0.1/32", "10.0.0.2/32", "10.0.0.3/32"]);
    expectError(() => ipam.acquireChildPrefix("10.0.0.0/30", 32), "no prefix found in 10.0.0.0/30 with length:32");
    expect(acquire(ipam, "2001:db8::/126", [128, 128, 128, 128])).toEqual(["2001:db8::/128", "2001:db8::1/128", "2001:db8::2/128", "2001:db8::3/128"]);
  });

  it("takes IPv6 children from a /48", () => {
    const ipam = new Ipam();
    ipam.newPrefix("2001:aabb::/48");
    expect(acquire(ipam, "2001:aabb::/48", [64, 72, 56])).toEqual(["2001:aabb::/64", "2001:aabb:0:1::/72", "2001:aabb:0:100::/56"]);
  });

  it("accepts a non-canonical parent and answers the canonical parent", () => {
    const ipam = new Ipam();
    ipam.newPrefix("10.0.0.0/16");
    expect(ipam.acquireChildPrefix("10.0.0.5/16", 24)).toEqual({ cidr: "10.0.0.0/24", parentCidr: "10.0.0.0/16" });
  });

  it("nests: a child can be a parent", () => {
    const ipam = new Ipam();
    ipam.newPrefix("10.0.0.0/16");
    ipam.acquireChildPrefix("10.0.0.0/16", 20);
    expect(ipam.acquireChildPrefix("10.0.0.0/20", 24)).toEqual({ cidr: "10.0.0.0/24", parentCidr: "10.0.0.0/20" });
    expectError(() => ipam.acquireIP("10.0.0.0/20"), "prefix 10.0.0.0/20 has childprefixes, acquire ip not possible");
  });
});

describe("AcquireChildPrefix: refusals", () => {
  it("checks the length before anything else", () => {
    const ipam = new Ipam();
    ipam.newPrefix("192.168.0.0/20");
    ipam.acquireIP("192.168.0.0/20");
    expectError(() => ipam.acquireChildPrefix("192.168.0.0/20", 20), "given length:20 must be greater than prefix length:20", "invalid_input");
    expectError(() => ipam.acquireChildPrefix("192.168.0.0/20", 21), "prefix 192.168.0.0/20 has ips, acquire child prefix not possible", "conflict");
  });

  it("fix: names a length beyond the family's bit length (go-ipam: 'invalid Prefix is not valid')", () => {
    const ipam = new Ipam();
    ipam.newPrefix("10.0.0.0/8");
    expectError(() => ipam.acquireChildPrefix("10.0.0.0/8", 33), "given length:33 must not be greater than 32", "invalid_input");
  });

  it("runs out of space: IPv4 /21s of a /20, IPv6 /117s of a /116", () => {
    const ipam = new Ipam();
    for (const [parent, length, smallest] of [["192.168.0.0/20", 21, 1024n], ["2001:db8:85a3::/116", 117, 1024n]] as const) {
      ipam.newPrefix(parent);
      expect(ipam.usage(parent).availableSmallestPrefixes).toBe(smallest);
      acquire(ipam, parent, [length, length]);
      expectError(() => ipam.acquireChildPrefix(parent, length), `no prefix found in ${parent} with length:${length}`, "no_child_available");
    }
  });

  it("reports a missing parent wrapped as go-ipam does", () => {
    expectError(
      () => new Ipam().acquireChildPrefix("10.0.0.0/8", 16),
      "NotFound: unable to find prefix for cidr:10.0.0.0/8 error:NotFound prefix 10.0.0.0/8 not found",
      "prefix_not_found",
    );
  });

  it("does not leave a parent marked as such after a failed first child", () => {
    const ipam = new Ipam();
    ipam.newPrefix("10.0.0.0/24");
    expectError(() => ipam.acquireSpecificChildPrefix("10.0.0.0/24", "10.0.1.0/25"), "specific prefix 10.0.1.0/25 is not available in prefix 10.0.0.0/24");
    expect(ipam.acquireIP("10.0.0.0/24").ip).toBe("10.0.0.1");
  });
});

describe("AcquireSpecificChildPrefix", () => {
  it("takes a free block once (IPv4)", () => {
    const ipam = new Ipam();
    ipam.newPrefix("192.168.0.0/20");
    expect(ipam.acquireSpecificChildPrefix("192.168.0.0/20", "192.168.0.0/21").cidr).toBe("192.168.0.0/21");
    expect(ipam.acquireSpecificChildPrefix("192.168.0.0/20", "192.168.8.0/21").cidr).toBe("192.168.8.0/21");
    expectError(
      () => ipam.acquireSpecificChildPrefix("192.168.0.0/20", "192.168.8.0/21"),
      "specific prefix 192.168.8.0/21 is not available in prefix 192.168.0.0/20",
      "no_child_available",
    );
  });

  it("takes a free block once (IPv6), echoing the caller's spelling when it fails", () => {
    const ipam = new Ipam();
    ipam.newPrefix("2001:0db8:85a3::/116");
    expect(ipam.acquireSpecificChildPrefix("2001:db8:85a3::/116", "2001:0db8:85a3::0800/117")).toEqual({
      cidr: "2001:db8:85a3::800/117",
      parentCidr: "2001:db8:85a3::/116",
    });
    expectError(
      () => ipam.acquireSpecificChildPrefix("2001:db8:85a3::/116", "2001:0db8:85a3::0800/117"),
      "specific prefix 2001:0db8:85a3::0800/117 is not available in prefix 2001:db8:85a3::/116",
    );
  });

  it("refuses other families, ranges outside the parent and partly taken ranges", () => {
    const ipam = new Ipam();
    ipam.newPrefix("1.2.3.0/25");
    ipam.acquireChildPrefix("1.2.3.0/25", 29);
    expectError(() => ipam.acquireSpecificChildPrefix("1.2.3.0/25", "1.2.3.0/29"), "specific prefix 1.2.3.0/29 is not available in prefix 1.2.3.0/25");
    expectError(() => ipam.acquireSpecificChildPrefix("1.2.3.0/25", "1.2.3.0/28"), "specific prefix 1.2.3.0/28 is not available in prefix 1.2.3.0/25");
    expectError(() => ipam.acquireSpecificChildPrefix("1.2.3.0/25", "::/120"), "specific prefix ::/120 is not available in prefix 1.2.3.0/25");
    expectError(() => ipam.acquireSpecificChildPrefix("1.2.3.0/25", "1.2.3.128/29"), "specific prefix 1.2.3.128/29 is not available in prefix 1.2.3.0/25");
    expectError(() => ipam.acquireIP("1.2.3.0/25"), "prefix 1.2.3.0/25 has childprefixes, acquire ip not possible");
    expectError(() => ipam.acquireSpecificChildPrefix("1.2.3.0/25", "1.2.3.0/33"), /^unable to parse childCidr:1\.2\.3\.0\/33 netip\.ParsePrefix/, "invalid_input");
  });

  it("fix: masks host bits before recording the child, so nothing leaks (CONTRACT §3)", () => {
    const ipam = new Ipam();
    ipam.newPrefix("10.0.0.0/16");
    expect(ipam.acquireSpecificChildPrefix("10.0.0.0/16", "10.0.0.5/24").cidr).toBe("10.0.0.0/24");
    ipam.releaseChildPrefix("10.0.0.0/24");
    expect(ipam.usage("10.0.0.0/16").availablePrefixes).toEqual(["10.0.0.0/16"]);
    expect(ipam.acquireSpecificChildPrefix("10.0.0.0/16", "10.0.0.0/24").cidr).toBe("10.0.0.0/24");
  });
});

describe("ReleaseChildPrefix", () => {
  it("counts children and refuses while a child holds IPs (TestIpamer_AcquireChildPrefixCounts)", () => {
    const ipam = new Ipam();
    ipam.newPrefix("192.168.0.0/20");
    expect(usageString(ipam.usage("192.168.0.0/20"))).toBe("ip:2/4096");
    const c1 = ipam.acquireChildPrefix("192.168.0.0/20", 22);
    expect(usageString(ipam.usage("192.168.0.0/20"))).toBe("ip:2/4096 prefixes alloc:1 avail:768");
    const c2 = ipam.acquireChildPrefix("192.168.0.0/20", 22);
    expect(ipam.usage("192.168.0.0/20")).toMatchObject({ acquiredPrefixes: 2n, availableSmallestPrefixes: 512n });
    expect(ipam.releaseChildPrefix(c1.cidr)).toEqual(c1);
    expect(ipam.usage("192.168.0.0/20")).toMatchObject({ acquiredPrefixes: 1n, availableSmallestPrefixes: 768n });
    const ip = ipam.acquireIP(c2.cidr);
    expectError(() => ipam.releaseChildPrefix(c2.cidr), `prefix ${c2.cidr} has ips, deletion not possible`, "conflict");
    ipam.releaseIP(ip);
    ipam.releaseChildPrefix(c2.cidr);
    expect(ipam.usage("192.168.0.0/20")).toMatchObject({ acquiredPrefixes: 0n, availableSmallestPrefixes: 1024n });
    expectError(() => ipam.releaseChildPrefix(c2.cidr), `NotFound prefix ${c2.cidr} not found`, "prefix_not_found");
  });

  it("refuses a top-level prefix", () => {
    const ipam = new Ipam();
    ipam.newPrefix("10.0.0.0/24");
    expectError(() => ipam.releaseChildPrefix("10.0.0.0/24"), 'prefix:"10.0.0.0/24" is no child prefix', "conflict");
  });

  it("fix: refuses an IPv6 child holding one IP (go-ipam let it through and broke the parent)", () => {
    const ipam = new Ipam();
    ipam.newPrefix("2001:db8::/112");
    const child = ipam.acquireChildPrefix("2001:db8::/112", 120);
    ipam.acquireIP(child.cidr);
    expectError(() => ipam.releaseChildPrefix(child.cidr), "prefix 2001:db8::/120 has ips, deletion not possible");
    expect(ipam.acquireChildPrefix("2001:db8::/112", 120).cidr).toBe("2001:db8::100/120");
  });

  it("fix: refuses a child that has children of its own instead of orphaning them", () => {
    const ipam = new Ipam();
    ipam.newPrefix("10.0.0.0/16");
    ipam.acquireChildPrefix("10.0.0.0/16", 20);
    ipam.acquireChildPrefix("10.0.0.0/20", 24);
    expectError(() => ipam.releaseChildPrefix("10.0.0.0/20"), "prefix 10.0.0.0/20 has childprefixes, deletion not possible", "conflict");
    ipam.releaseChildPrefix("10.0.0.0/24");
    ipam.releaseChildPrefix("10.0.0.0/20");
    expect(ipam.listPrefixes()).toEqual([{ cidr: "10.0.0.0/16", parentCidr: "" }]);
  });

  it("fix: a prefix whose last child is released can hold IPs again (isParent clears)", () => {
    const ipam = new Ipam();
    ipam.newPrefix("172.17.0.0/24");
    const child = ipam.acquireChildPrefix("172.17.0.0/24", 25);
    ipam.releaseChildPrefix(child.cidr);
    expect(ipam.acquireIP("172.17.0.0/24").ip).toBe("172.17.0.1");
  });

  it("acquires and releases 100 /22s of a /14 without loss", () => {
    const ipam = new Ipam();
    ipam.newPrefix("192.168.0.0/14");
    const children = Array.from({ length: 100 }, () => ipam.acquireChildPrefix("192.168.0.0/14", 22).cidr);
    expect(new Set(children).size).toBe(100);
    for (const c of children) ipam.releaseChildPrefix(c);
    expect(ipam.usage("192.168.0.0/14")).toMatchObject({ acquiredPrefixes: 0n, availablePrefixes: ["192.168.0.0/14"], availableSmallestPrefixes: 65536n });
  });
});
