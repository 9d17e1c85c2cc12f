// AcquireIP, AcquireSpecificIP, ReleaseIP: reference §2.3, §2.4, §5.1, §5.2; fixes from CONTRACT §3.
import { describe, expect, it } from "vitest";
import { Ipam } from "../../src/core";
import { expectError } from "./helpers";

function drain(ipam: Ipam, cidr: string): string[] {
  const out: string[] = [];
  for (;;) {
    try {
      out.push(ipam.acquireIP(cidr).ip);
    } catch {
      return out;
    }
  }
}

describe("AcquireIP", () => {
  it.each([
    ["10.0.0.0/30", "10.0.0.0/30", ["10.0.0.1", "10.0.0.2"], 4],
    ["10.0.1.0/31", "10.0.1.0/31", [], 2],
    ["10.0.2.0/32", "10.0.2.0/32", [], 1],
    ["2001:db8::/126", "2001:db8::/126", ["2001:db8::1", "2001:db8::2", "2001:db8::3"], 4],
    ["2001:db8:1::/127", "2001:db8:1::/127", ["2001:db8:1::1"], 2],
    ["2001:db8:2::/128", "2001:db8:2::/128", [], 1],
    ["10.0.3.7/29", "10.0.3.0/29", ["10.0.3.1", "10.0.3.2", "10.0.3.3", "10.0.3.4", "10.0.3.5", "10.0.3.6"], 8],
    ["::ffff:10.9.0.0/126", "::ffff:10.9.0.0/126", ["::ffff:10.9.0.1", "::ffff:10.9.0.2", "::ffff:10.9.0.3"], 4],
  ])("drains %s lowest first", (input, cidr, ips, length) => {
    const ipam = new Ipam();
    ipam.newPrefix(input);
    expect(drain(ipam, cidr)).toEqual(ips);
    expectError(
      () => ipam.acquireIP(cidr),
      `NoIPAvailableError: no more ips in prefix: ${cidr} left, length of prefix.ips: ${length}`,
      "no_ip_available",
    );
  });

  it.each([
    ["4.1.0.0/24", "4.1.0.0/24", 254, 256],
    ["3.1.0.0/26", "3.1.0.0/26", 62, 64],
    ["2001:0db8:85a3::/120", "2001:db8:85a3::/120", 255, 256],
    ["2001:0db8:95a3::/122", "2001:db8:95a3::/122", 63, 64],
  ])("hands out every address of %s exactly once", (input, cidr, count, length) => {
    const ipam = new Ipam();
    ipam.newPrefix(input);
    const ips = drain(ipam, cidr);
    expect(ips).toHaveLength(count);
    expect(new Set(ips).size).toBe(count);
    expectError(() => ipam.acquireIP(cidr), `NoIPAvailableError: no more ips in prefix: ${cidr} left, length of prefix.ips: ${length}`);
  });

  it("starts at the first addresses of the largest prefixes", () => {
    const ipam = new Ipam();
    ipam.newPrefix("0.0.0.0/0");
    ipam.newPrefix("::/0");
    expect([ipam.acquireIP("0.0.0.0/0").ip, ipam.acquireIP("0.0.0.0/0").ip]).toEqual(["0.0.0.1", "0.0.0.2"]);
    expect(ipam.acquireIP("::/0").ip).toBe("::1");
    expect(ipam.acquireSpecificIP("::/0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").ip).toBe("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    expectError(() => ipam.acquireSpecificIP("0.0.0.0/0", "255.255.255.255"), "AlreadyAllocatedError: given ip:255.255.255.255 is already allocated");
  });

  it("reuses released low addresses first", () => {
    const ipam = new Ipam();
    ipam.newPrefix("10.1.0.0/29");
    expect(drain(ipam, "10.1.0.0/29").slice(0, 4)).toEqual(["10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.4"]);
    ipam.releaseIPFromPrefix("10.1.0.0/29", "10.1.0.2");
    ipam.releaseIPFromPrefix("10.1.0.0/29", "10.1.0.4");
    expect(ipam.acquireIP("10.1.0.0/29").ip).toBe("10.1.0.2");
    expect(ipam.acquireIP("10.1.0.0/29").ip).toBe("10.1.0.4");
  });

  it("counts acquired addresses, reserved ones included", () => {
    const ipam = new Ipam();
    for (const [cidr, base, first] of [["10.0.0.0/24", 2n, "10.0.0.0/24"], ["2001:db8::/120", 1n, "2001:db8::/120"]] as const) {
      ipam.newPrefix(cidr);
      const counts = [ipam.usage(first).acquiredIPs];
      const a = ipam.acquireIP(first);
      counts.push(ipam.usage(first).acquiredIPs);
      const b = ipam.acquireIP(first);
      counts.push(ipam.usage(first).acquiredIPs);
      ipam.releaseIP(a);
      counts.push(ipam.usage(first).acquiredIPs);
      ipam.releaseIP(b);
      counts.push(ipam.usage(first).acquiredIPs);
      expect(counts).toEqual([base, base + 1n, base + 2n, base + 1n, base]);
      expect(ipam.usage(first).availableIPs).toBe(256n);
    }
  });

  it("reports a missing prefix, wrapped as go-ipam does", () => {
    expectError(
      () => new Ipam().acquireIP("3.4.5.6/27"),
      "NotFound: unable to find prefix for cidr:3.4.5.6/27 error:NotFound prefix 3.4.5.0/27 not found",
      "prefix_not_found",
    );
    expectError(
      () => new Ipam().acquireIP("bad"),
      `NotFound: unable to find prefix for cidr:bad error:netip.ParsePrefix("bad"): no '/'`,
      "invalid_input",
    );
  });

  it("refuses a prefix that has child prefixes", () => {
    const ipam = new Ipam();
    ipam.newPrefix("172.17.0.0/24");
    ipam.acquireChildPrefix("172.17.0.0/24", 25);
    expectError(() => ipam.acquireIP("172.17.0.0/24"), "prefix 172.17.0.0/24 has childprefixes, acquire ip not possible", "conflict");
  });
});

describe("AcquireSpecificIP", () => {
  it("acquires IPv4 addresses and refuses bad, foreign and taken ones", () => {
    const ipam = new Ipam();
    ipam.newPrefix("192.168.99.0/24");
    expect(ipam.usage("192.168.99.0/24")).toMatchObject({ availableIPs: 256n, acquiredIPs: 2n });
    expect(ipam.acquireSpecificIP("192.168.99.0/24", "192.168.99.1")).toEqual({ ip: "192.168.99.1", parentPrefix: "192.168.99.0/24" });
    expect(ipam.acquireSpecificIP("192.168.99.0/24", "192.168.99.2").ip).toBe("192.168.99.2");
    expect(ipam.usage("192.168.99.0/24").acquiredIPs).toBe(4n);
    expectError(() => ipam.acquireSpecificIP("192.168.99.0/24", "192.168.98.2"), "given ip:192.168.98.2 is not in 192.168.99.0/24", "invalid_input");
    expectError(() => ipam.acquireSpecificIP("192.168.99.0/24", "192.168.99.1.invalid"), "given ip:192.168.99.1.invalid in not valid", "invalid_input");
    expectError(() => ipam.acquireSpecificIP("192.168.99.0/24", "192.168.99.1"), "AlreadyAllocatedError: given ip:192.168.99.1 is already allocated", "ip_already_allocated");
    expectError(() => ipam.acquireSpecificIP("192.168.99.0/24", "192.168.99.0"), "AlreadyAllocatedError: given ip:192.168.99.0 is already allocated");
    expectError(() => ipam.acquireSpecificIP("192.168.99.0/24", "192.168.99.255"), "AlreadyAllocatedError: given ip:192.168.99.255 is already allocated");
    ipam.releaseIPFromPrefix("192.168.99.0/24", "192.168.99.1");
    ipam.releaseIPFromPrefix("192.168.99.0/24", "192.168.99.2");
    expect(ipam.usage("192.168.99.0/24").acquiredIPs).toBe(2n);
  });

  it("acquires IPv6 addresses canonically; the last address of an IPv6 prefix is usable", () => {
    const ipam = new Ipam();
    ipam.newPrefix("2001:0db8:85a3::/120");
    expect(ipam.acquireSpecificIP("2001:db8:85a3::/120", "2001:db8:85a3::1").ip).toBe("2001:db8:85a3::1");
    expect(ipam.acquireSpecificIP("2001:db8:85a3::/120", "2001:0db8:85a3::2").ip).toBe("2001:db8:85a3::2");
    expect(ipam.acquireSpecificIP("2001:db8:85a3::/120", "2001:db8:85a3::ff").ip).toBe("2001:db8:85a3::ff");
    expectError(() => ipam.acquireSpecificIP("2001:db8:85a3::/120", "2001:0db8:85a4::1"), "given ip:2001:0db8:85a4::1 is not in 2001:db8:85a3::/120");
    expectError(() => ipam.acquireSpecificIP("2001:db8:85a3::/120", "2001:0db8:85a3::1"), "AlreadyAllocatedError: given ip:2001:db8:85a3::1 is already allocated");
    expect(ipam.usage("2001:db8:85a3::/120").acquiredIPs).toBe(4n);
  });

  it("accepts a non-canonical prefix and answers the canonical one", () => {
    const ipam = new Ipam();
    ipam.newPrefix("10.0.0.0/24");
    expect(ipam.acquireSpecificIP("10.0.0.9/24", "10.0.0.9")).toEqual({ ip: "10.0.0.9", parentPrefix: "10.0.0.0/24" });
  });

  it("treats IPv4-mapped IPv6 as IPv6 and never matches a zoned address", () => {
    const ipam = new Ipam();
    ipam.newPrefix("10.0.0.0/24");
    ipam.newPrefix("fe80::/64");
    expectError(() => ipam.acquireSpecificIP("10.0.0.0/24", "::ffff:10.0.0.5"), "given ip:::ffff:10.0.0.5 is not in 10.0.0.0/24");
    expectError(() => ipam.acquireSpecificIP("fe80::/64", "fe80::1%eth0"), "given ip:fe80::1%eth0 is not in fe80::/64");
  });
});

describe("ReleaseIP", () => {
  it("reports an address that is not acquired, keeping the caller's spelling", () => {
    const ipam = new Ipam();
    ipam.newPrefix("192.168.0.0/24");
    ipam.newPrefix("2001:0db8:85a3::/120");
    expectError(
      () => ipam.releaseIPFromPrefix("192.168.0.0/24", "1.2.3.4"),
      "NotFound: unable to release ip:1.2.3.4 because it is not allocated in prefix:192.168.0.0/24",
      "ip_not_allocated",
    );
    expectError(
      () => ipam.releaseIPFromPrefix("2001:0db8:85a3::/120", "1001:0db8:85a3::1"),
      "NotFound: unable to release ip:1001:0db8:85a3::1 because it is not allocated in prefix:2001:0db8:85a3::/120",
    );
    expectError(() => ipam.releaseIPFromPrefix("4.5.6.7/23", "4.5.6.7"), /^NotFound: unable to find prefix for cidr:4\.5\.6\.7\/23/, "prefix_not_found");
    expectError(() => ipam.releaseIPFromPrefix("192.168.0.0/24", "x"), /^given ip:x in not valid: ParseAddr\("x"\): unable to parse IP/, "invalid_input");
  });

  it("releases twice only once", () => {
    const ipam = new Ipam();
    ipam.newPrefix("10.0.0.0/24");
    const ip = ipam.acquireIP("10.0.0.0/24");
    ipam.releaseIP(ip);
    expectError(() => ipam.releaseIP(ip), "NotFound: unable to release ip:10.0.0.1 because it is not allocated in prefix:10.0.0.0/24");
  });

  it("lets the reserved network address be released and handed out again, as go-ipam does", () => {
    const ipam = new Ipam();
    ipam.newPrefix("10.0.0.0/24");
    ipam.releaseIPFromPrefix("10.0.0.0/24", "10.0.0.0");
    expect(ipam.acquireIP("10.0.0.0/24").ip).toBe("10.0.0.0");
  });

  it("fix: canonicalises the address, so 2001:0db8::0a releases 2001:db8::a (CONTRACT §3)", () => {
    const ipam = new Ipam();
    ipam.newPrefix("2001:db8::/120");
    ipam.acquireSpecificIP("2001:db8::/120", "2001:db8::a");
    expect(ipam.releaseIPFromPrefix("2001:db8::/120", "2001:0db8::0a")).toEqual({ ip: "2001:db8::a", parentPrefix: "2001:db8::/120" });
  });

  it("fix: answers with the prefix the address was released from, not its parent (CONTRACT §3)", () => {
    const ipam = new Ipam();
    ipam.newPrefix("10.0.0.0/16");
    const child = ipam.acquireChildPrefix("10.0.0.0/16", 24);
    const ip = ipam.acquireIP(child.cidr);
    expect(ipam.releaseIP(ip)).toEqual({ ip: "10.0.0.1", parentPrefix: "10.0.0.0/24" });
  });
});

describe("ListIPs (go-ipam #178)", () => {
  it("lists the acquired addresses of a prefix in ascending order", () => {
    const ipam = new Ipam();
    ipam.newPrefix("10.0.0.0/28");
    ipam.acquireSpecificIP("10.0.0.0/28", "10.0.0.9");
    ipam.acquireIP("10.0.0.0/28");
    expect(ipam.listIPs("10.0.0.0/28")).toEqual(["10.0.0.0", "10.0.0.1", "10.0.0.9", "10.0.0.15"]);
    expectError(() => ipam.listIPs("10.0.1.0/28"), /^NotFound: unable to find prefix/, "prefix_not_found");
  });
});
