// NewPrefix, PrefixFrom, DeletePrefix, overlap checks: reference §2.1, §2.2, §2.7, §2.8, §2.9, §5.1, §5.2.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Ipam, Namespace, prefixesOverlapping } from "../../src/core";
import { formatAddr, formatPrefix, maskPrefix, parseAddr, parsePrefix } from "../../src/net";
import { expectError } from "./helpers";

describe("NewPrefix", () => {
  it.each([
    ["192.168.0.0/24", "192.168.0.0/24"],
    ["192.169.0.1/24", "192.169.0.0/24"],
    ["192.167.10.0/16", "192.167.0.0/16"],
    ["2001:0db8:85a3::/120", "2001:db8:85a3::/120"],
    ["2001:0db8:85a4::2/120", "2001:db8:85a4::/120"],
    ["0.0.0.0/0", "0.0.0.0/0"],
    ["::/0", "::/0"],
    ["10.0.0.1/32", "10.0.0.1/32"],
    ["::ffff:10.0.0.0/104", "::ffff:10.0.0.0/104"],
  ])("creates %s as %s, host bits masked", (input, cidr) => {
    expect(new Ipam().newPrefix(input)).toEqual({ cidr, parentCidr: "" });
  });

  it.each([
    ["192.168.0.0/33", 'unable to parse cidr:192.168.0.0/33 netip.ParsePrefix("192.168.0.0/33"): prefix length out of range'],
    ["2001:0db8:85a3::/129", 'unable to parse cidr:2001:0db8:85a3::/129 netip.ParsePrefix("2001:0db8:85a3::/129"): prefix length out of range'],
    [
      "2001:0db8:85a3:::/120",
      'unable to parse cidr:2001:0db8:85a3:::/120 netip.ParsePrefix("2001:0db8:85a3:::/120"): ParseAddr("2001:0db8:85a3:::"): each colon-separated field must have at least one digit (at ":")',
    ],
    ["fe80::1%eth0/64", 'unable to parse cidr:fe80::1%eth0/64 netip.ParsePrefix("fe80::1%eth0/64"): IPv6 zones cannot be present in a prefix'],
    ["", `unable to parse cidr: netip.ParsePrefix(""): no '/'`],
    ["10.0.0.0", `unable to parse cidr:10.0.0.0 netip.ParsePrefix("10.0.0.0"): no '/'`],
    ["10.0.0.0/08", 'unable to parse cidr:10.0.0.0/08 netip.ParsePrefix("10.0.0.0/08"): bad bits after slash: "08"'],
  ])("rejects %j", (input, message) => {
    expectError(() => new Ipam().newPrefix(input), message, "invalid_input");
  });

  it("reserves the network address, and the broadcast address for IPv4 only", () => {
    const ipam = new Ipam();
    ipam.newPrefix("192.168.0.0/24");
    ipam.newPrefix("2001:db8:85a3::/120");
    expect(ipam.usage("192.168.0.0/24")).toMatchObject({ acquiredIPs: 2n, availableIPs: 256n });
    expect(ipam.usage("2001:db8:85a3::/120")).toMatchObject({ acquiredIPs: 1n, availableIPs: 256n });
    expect(ipam.listIPs("192.168.0.0/24")).toEqual(["192.168.0.0", "192.168.0.255"]);
  });

  it("reports a duplicate or an overlap with the existing prefix, children included", () => {
    const ipam = new Ipam();
    ipam.newPrefix("10.10.10.0/24");
    expectError(() => ipam.newPrefix("10.10.10.1/24"), "10.10.10.0/24 overlaps 10.10.10.0/24", "overlap");
    expectError(() => ipam.newPrefix("10.10.0.0/16"), "10.10.0.0/16 overlaps 10.10.10.0/24", "overlap");
    expectError(() => ipam.newPrefix("10.10.10.128/25"), "10.10.10.128/25 overlaps 10.10.10.0/24", "overlap");
    ipam.newPrefix("10.20.0.0/16");
    ipam.acquireChildPrefix("10.20.0.0/16", 24);
    expectError(() => ipam.newPrefix("10.20.0.0/24"), "10.20.0.0/24 overlaps 10.20.0.0/16", "overlap");
    ipam.newPrefix("10.10.11.0/24"); // adjacent is fine
  });

  it("never overlaps across families, IPv4-mapped IPv6 included", () => {
    const ipam = new Ipam();
    ipam.newPrefix("0.0.0.0/0");
    ipam.newPrefix("::ffff:10.0.0.0/104");
    ipam.newPrefix("2001:db8::/32");
    expectError(() => ipam.newPrefix("::/0"), "::/0 overlaps ::ffff:10.0.0.0/104", "overlap");
  });

  it("keeps namespaces apart: the same CIDR may live in several", () => {
    const ipam = new Ipam();
    ipam.createNamespace("testns1");
    ipam.createNamespace("testns2");
    for (const namespace of ["testns1", "testns2"]) {
      ipam.newPrefix("192.168.0.0/20", { namespace });
      expect(ipam.acquireSpecificIP("192.168.0.0/20", "192.168.0.2", { namespace }).ip).toBe("192.168.0.2");
    }
    expect(ipam.listPrefixes()).toEqual([]);
  });
});

describe("PrefixFrom (GetPrefix)", () => {
  it("masks before the lookup and never searches by containment", () => {
    const ipam = new Ipam();
    expectError(() => ipam.prefixFrom("10.0.5.0/8"), "NotFound prefix 10.0.0.0/8 not found", "prefix_not_found");
    ipam.newPrefix("10.8.0.0/8");
    expect(ipam.prefixFrom("10.2.0.0/8")).toEqual({ cidr: "10.0.0.0/8", parentCidr: "" });
    ipam.newPrefix("11.0.0.0/24");
    expect(ipam.prefixFrom("11.0.0.77/24").cidr).toBe("11.0.0.0/24");
    expectError(() => ipam.prefixFrom("11.0.0.0/25"), "NotFound prefix 11.0.0.0/25 not found", "prefix_not_found");
    expectError(() => ipam.prefixFrom("garbage"), `netip.ParsePrefix("garbage"): no '/'`, "invalid_input");
  });

  it("lists every prefix, IPv4 before IPv6, by address then length", () => {
    const ipam = new Ipam();
    ipam.newPrefix("2001:db8::/48");
    ipam.newPrefix("10.0.0.0/16");
    ipam.newPrefix("9.0.0.0/8");
    ipam.acquireChildPrefix("10.0.0.0/16", 24);
    expect(ipam.listPrefixes()).toEqual([
      { cidr: "9.0.0.0/8", parentCidr: "" },
      { cidr: "10.0.0.0/16", parentCidr: "" },
      { cidr: "10.0.0.0/24", parentCidr: "10.0.0.0/16" },
      { cidr: "2001:db8::/48", parentCidr: "" },
    ]);
  });
});

describe("DeletePrefix", () => {
  it("refuses while IPs are acquired and succeeds after their release", () => {
    const ipam = new Ipam();
    for (const [cidr, canonical] of [["192.168.0.0/20", "192.168.0.0/20"], ["2001:0db8:85a3::/120", "2001:db8:85a3::/120"]]) {
      ipam.newPrefix(cidr);
      const ip = ipam.acquireIP(canonical);
      expectError(() => ipam.deletePrefix(cidr), `prefix ${canonical} has ips, delete prefix not possible`, "conflict");
      ipam.releaseIP(ip);
      expect(ipam.deletePrefix(cidr)).toEqual({ cidr: canonical, parentCidr: "" });
      expectError(() => ipam.prefixFrom(canonical), `NotFound prefix ${canonical} not found`);
    }
    expect(ipam.store.load("root")).toEqual([]); // the reserved addresses' records went with the prefix
  });

  it("reports a missing prefix as NotFound", () => {
    expectError(
      () => new Ipam().deletePrefix("10.0.0.0/8"),
      "NotFound: unable to find prefix for cidr:10.0.0.0/8 error:NotFound prefix 10.0.0.0/8 not found",
      "prefix_not_found",
    );
  });

  it("fix: refuses while the prefix has children, instead of orphaning them (CONTRACT §3)", () => {
    const ipam = new Ipam();
    ipam.newPrefix("10.0.0.0/16");
    ipam.acquireChildPrefix("10.0.0.0/16", 24);
    expectError(() => ipam.deletePrefix("10.0.0.0/16"), /^prefix 10\.0\.0\.0\/16 has childprefixes, delete prefix not possible/, "conflict");
  });

  it("fix: deleting a child frees its range in the parent (CONTRACT §3)", () => {
    const ipam = new Ipam();
    ipam.newPrefix("10.0.0.0/16");
    const child = ipam.acquireChildPrefix("10.0.0.0/16", 17);
    expect(ipam.deletePrefix(child.cidr)).toEqual(child);
    expect(ipam.usage("10.0.0.0/16")).toMatchObject({ acquiredPrefixes: 0n, availablePrefixes: ["10.0.0.0/16"] });
    expect(ipam.acquireIP("10.0.0.0/16").ip).toBe("10.0.0.1"); // no longer a parent
  });

  it("counts an address as held even after the reserved network address was released", () => {
    // go-ipam compares the map size with 2, so releasing the network address and acquiring one IP let the
    // prefix be deleted while an IP was still held. Here only the reserved addresses may remain.
    const ipam = new Ipam();
    ipam.newPrefix("10.0.0.0/24");
    ipam.releaseIPFromPrefix("10.0.0.0/24", "10.0.0.0");
    ipam.acquireSpecificIP("10.0.0.0/24", "10.0.0.7");
    expectError(() => ipam.deletePrefix("10.0.0.0/24"), "prefix 10.0.0.0/24 has ips, delete prefix not possible");
  });
});

describe("PrefixesOverlapping", () => {
  it.each([
    [["192.168.0.0/24"], ["192.168.1.0/24"], null],
    [["2001:0db8:85a3::/126"], ["2001:0db8:85a4::/126"], null],
    [["2001:0db8:85a3::/126", "2001:0db8:85a4::/126"], ["2001:0db8:85a4::/126"], "2001:db8:85a4::/126 overlaps 2001:db8:85a4::/126"],
    [["192.168.0.0/24", "192.168.1.0/24"], ["192.168.1.0/24"], "192.168.1.0/24 overlaps 192.168.1.0/24"],
    [["192.168.0.0/24", "192.168.1.0/24"], ["192.168.0.0/23"], "192.168.0.0/23 overlaps 192.168.0.0/24"],
    [["192.168.0.0/23", "192.168.2.0/23"], ["192.168.3.0/24"], "192.168.3.0/24 overlaps 192.168.2.0/23"],
    [["192.168.128.0/25"], ["192.168.128.0/27"], "192.168.128.0/27 overlaps 192.168.128.0/25"],
    [["10.0.0.0/24", "10.0.0.0/8"], ["10.0.0.0/16"], "10.0.0.0/16 overlaps 10.0.0.0/24"],
    [["10.0.0.0/8"], ["::ffff:10.0.0.0/104"], null],
    [["0.0.0.0/0"], ["::/0"], null],
    [[], ["not a prefix"], null],
  ])("%j vs %j", (existing, added, expected) => {
    expect(prefixesOverlapping(existing, added)?.message ?? null).toBe(expected);
  });

  it("names an unparsable prefix", () => {
    expect(prefixesOverlapping(["10.0.0.0/8"], ["bad"])?.message).toBe(
      `parsing prefix bad failed:netip.ParsePrefix("bad"): no '/'`,
    );
  });
});

describe("records", () => {
  it("writes one record per prefix and per acquired address, and rebuilds from them", () => {
    const ns = new Namespace();
    expect(ns.apply({ op: "createPrefix", cidr: "10.0.0.0/24" }).changes).toEqual([
      { op: "put", record: { kind: "prefix", cidr: "10.0.0.0/24", parentCidr: "" } },
      { op: "put", record: { kind: "ip", prefix: "10.0.0.0/24", ip: "10.0.0.0" } },
      { op: "put", record: { kind: "ip", prefix: "10.0.0.0/24", ip: "10.0.0.255" } },
    ]);
    for (let i = 0; i < 100; i++) {
      const { changes } = ns.apply({ op: "acquireIP", prefixCidr: "10.0.0.0/24" });
      expect(changes).toHaveLength(1); // O(1) whatever the fill
    }
    const rebuilt = Namespace.fromRecords(ns.records());
    expect(rebuilt.apply({ op: "acquireIP", prefixCidr: "10.0.0.0/24" }).result.ip).toBe("10.0.0.101");
    expect(rebuilt.records()).toHaveLength(ns.records().length + 1);
  });
});

describe("canonical spelling", () => {
  it("answers the canonical CIDR and address for every accepted IPv4 spelling", () => {
    const octet = fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.constantFrom("00", "01", "007", "", "+1", "1e1"));
    const v4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join("."));
    const bits = fc.oneof(fc.integer({ min: 0, max: 33 }).map(String), fc.constantFrom("08", "+8", "", "-1"));
    fc.assert(
      fc.property(v4, bits, (addr, len) => {
        const raw = `${addr}/${len}`;
        const ns = new Namespace();
        let created: string | undefined;
        try {
          created = ns.apply({ op: "createPrefix", cidr: raw }).result.cidr;
        } catch {
          expect(() => parsePrefix(raw)).toThrow();
          return;
        }
        expect(created).toBe(formatPrefix(maskPrefix(parsePrefix(raw))));
        const first = ns.apply({ op: "listIPs", prefixCidr: created }).result[0];
        const released = ns.apply({ op: "releaseIP", prefixCidr: created, ip: first }).result.ip;
        const a = parseAddr(first);
        expect(released).toBe(formatAddr(a.family, a.value));
      }),
      { numRuns: 2000 },
    );
  });
});
