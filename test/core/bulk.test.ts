// Bulk acquire and release (go-ipam #77): one command, all or nothing, of addresses and of child prefixes.
import { describe, expect, it } from "vitest";
import { Ipam, MAX_BULK, Namespace } from "../../src/core";
import { expectError } from "./helpers";

function withPrefix(cidr: string): Ipam {
  const ipam = new Ipam();
  ipam.newPrefix(cidr);
  return ipam;
}

describe("AcquireIPs", () => {
  it("takes the lowest free addresses, filling gaps first", () => {
    const ipam = withPrefix("10.0.0.0/24");
    ipam.acquireSpecificIP("10.0.0.0/24", "10.0.0.3");
    expect(ipam.acquireIPs("10.0.0.0/24", 4).map((i) => i.ip)).toEqual(["10.0.0.1", "10.0.0.2", "10.0.0.4", "10.0.0.5"]);
    expect(ipam.acquireIPs("10.0.0.0/24", 1)).toEqual([{ ip: "10.0.0.6", parentPrefix: "10.0.0.0/24" }]);
  });

  it("is one command with one change per address", () => {
    const ns = new Namespace();
    ns.apply({ op: "createPrefix", cidr: "2001:db8::/120" });
    const { result, changes } = ns.apply({ op: "acquireIPs", prefixCidr: "2001:db8::/120", count: 3 });
    expect(result.map((i) => i.ip)).toEqual(["2001:db8::1", "2001:db8::2", "2001:db8::3"]);
    expect(changes.map((c) => `${c.op} ${c.record.kind === "ip" ? c.record.ip : ""}`)).toEqual(["put 2001:db8::1", "put 2001:db8::2", "put 2001:db8::3"]);
  });

  it("takes exactly what is left, and refuses more with nothing taken", () => {
    const ipam = withPrefix("10.0.0.0/29");
    expectError(
      () => ipam.acquireIPs("10.0.0.0/29", 7),
      "NoIPAvailableError: 7 ips asked for but only 6 left in prefix: 10.0.0.0/29, length of prefix.ips: 2",
      "no_ip_available",
    );
    expect(ipam.listIPs("10.0.0.0/29")).toEqual(["10.0.0.0", "10.0.0.7"]);
    expect(ipam.acquireIPs("10.0.0.0/29", 6).map((i) => i.ip)).toEqual(["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6"]);
    expectError(() => ipam.acquireIPs("10.0.0.0/29", 1), /^NoIPAvailableError: 1 ips asked for but only 0 left/, "no_ip_available");
  });

  it(`counts from 1 to ${MAX_BULK}`, () => {
    const ipam = withPrefix("10.0.0.0/16");
    for (const count of [0, -1, MAX_BULK + 1, 1.5, NaN])
      expectError(() => ipam.acquireIPs("10.0.0.0/16", count), `count must be from 1 to 4096, got ${count}`, "invalid_input");
    expectError(() => ipam.acquireIPs("10.0.0.0/16", "3" as never), `count must be from 1 to 4096, got "3"`, "invalid_input");
    expect(ipam.acquireIPs("10.0.0.0/16", MAX_BULK)).toHaveLength(MAX_BULK);
    expect(ipam.usage("10.0.0.0/16").acquiredIPs).toBe(BigInt(MAX_BULK + 2));
  });

  it("answers as AcquireIP does for missing prefixes and parents", () => {
    const ipam = withPrefix("10.0.0.0/16");
    ipam.acquireChildPrefix("10.0.0.0/16", 24);
    expectError(() => ipam.acquireIPs("10.0.0.0/16", 2), "prefix 10.0.0.0/16 has childprefixes, acquire ip not possible", "conflict");
    expectError(() => ipam.acquireIPs("10.9.0.0/16", 2), /^NotFound: unable to find prefix for cidr:10.9.0.0\/16 error:NotFound prefix/, "prefix_not_found");
    expectError(() => ipam.acquireIPs("bad", 2), /^NotFound: unable to find prefix for cidr:bad error:/, "invalid_input");
  });

  it("works in IPv6 prefixes of any size", () => {
    const ipam = withPrefix("2001:db8::/48");
    const got = ipam.acquireIPs("2001:db8::/48", 3);
    expect(got.map((i) => i.ip)).toEqual(["2001:db8::1", "2001:db8::2", "2001:db8::3"]);
  });
});

describe("ReleaseIPs", () => {
  it("releases every listed address, in one command", () => {
    const ipam = withPrefix("10.0.0.0/24");
    ipam.acquireIPs("10.0.0.0/24", 5);
    expect(ipam.releaseIPs("10.0.0.0/24", ["10.0.0.4", "10.0.0.2"])).toEqual([
      { ip: "10.0.0.4", parentPrefix: "10.0.0.0/24" },
      { ip: "10.0.0.2", parentPrefix: "10.0.0.0/24" },
    ]);
    expect(ipam.listIPs("10.0.0.0/24")).toEqual(["10.0.0.0", "10.0.0.1", "10.0.0.3", "10.0.0.5", "10.0.0.255"]);
  });

  it("all or nothing: names the first address that is not held and releases none", () => {
    const ipam = withPrefix("10.0.0.0/24");
    ipam.acquireIPs("10.0.0.0/24", 3);
    expectError(
      () => ipam.releaseIPs("10.0.0.0/24", ["10.0.0.1", "10.0.0.7", "10.0.0.8"]),
      "NotFound: unable to release ip:10.0.0.7 because it is not allocated in prefix:10.0.0.0/24",
      "ip_not_allocated",
    );
    expectError(() => ipam.releaseIPs("10.0.0.0/24", ["10.0.0.1", "10.0.0.x"]), /^given ip:10.0.0.x in not valid: /, "invalid_input");
    expectError(() => ipam.releaseIPs("10.0.0.0/24", ["10.0.0.1", "10.0.0.2", "10.0.0.1"]), "given ip:10.0.0.1 is listed twice", "invalid_input");
    expect(ipam.listIPs("10.0.0.0/24")).toEqual(["10.0.0.0", "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.255"]);
  });

  it("canonicalises IPv6 addresses, and counts the same list twice in any spelling", () => {
    const ipam = withPrefix("2001:db8::/64");
    ipam.acquireIPs("2001:db8::/64", 11);
    expect(ipam.releaseIPs("2001:db8::/64", ["2001:0db8::0a"]).map((i) => i.ip)).toEqual(["2001:db8::a"]);
    expectError(() => ipam.releaseIPs("2001:db8::/64", ["2001:db8::b", "2001:0db8::b"]), "given ip:2001:0db8::b is listed twice");
  });

  it(`lists 1 to ${MAX_BULK} addresses`, () => {
    const ipam = withPrefix("10.0.0.0/16");
    expectError(() => ipam.releaseIPs("10.0.0.0/16", []), "ips must list 1 to 4096 entries, got 0", "invalid_input");
    expectError(() => ipam.releaseIPs("10.0.0.0/16", Array(MAX_BULK + 1).fill("10.0.0.1")), "ips must list 1 to 4096 entries, got 4097", "invalid_input");
    expectError(() => ipam.releaseIPs("10.0.0.0/16", ["10.0.0.1", 5 as never]), "invalid command: ips[1] must be a string, got 5", "invalid_input");
  });
});

describe("AcquireChildPrefixes and ReleaseChildPrefixes", () => {
  it("take the children n single AcquireChildPrefix calls would take", () => {
    const bulk = withPrefix("10.0.0.0/16");
    const single = withPrefix("10.0.0.0/16");
    for (const ipam of [bulk, single]) ipam.acquireSpecificChildPrefix("10.0.0.0/16", "10.0.64.0/18");
    const taken = bulk.acquireChildPrefixes("10.0.0.0/16", 20, 6);
    const one = Array.from({ length: 6 }, () => single.acquireChildPrefix("10.0.0.0/16", 20));
    expect(taken).toEqual(one);
    expect(bulk.dump()).toBe(single.dump());
  });

  it("all or nothing: too many leaves the parent as it was and says how many fit", () => {
    const ipam = withPrefix("10.0.0.0/22");
    ipam.acquireChildPrefix("10.0.0.0/22", 24);
    const before = ipam.dump();
    expectError(
      () => ipam.acquireChildPrefixes("10.0.0.0/22", 24, 4),
      "no prefix found in 10.0.0.0/22 with length:24 for 4 child prefixes, only 3 are available",
      "no_child_available",
    );
    expect(ipam.dump()).toBe(before);
    expect(ipam.usage("10.0.0.0/22").acquiredPrefixes).toBe(1n);
    expect(ipam.acquireChildPrefixes("10.0.0.0/22", 24, 3).map((p) => p.cidr)).toEqual(["10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24"]);
    expectError(() => ipam.acquireChildPrefixes("10.0.0.0/22", 24, 1), "no prefix found in 10.0.0.0/22 with length:24", "no_child_available");
  });

  it("the first child's errors are AcquireChildPrefix's", () => {
    const ipam = withPrefix("10.0.0.0/22");
    expectError(() => ipam.acquireChildPrefixes("10.0.0.0/22", 22, 2), "given length:22 must be greater than prefix length:22", "invalid_input");
    ipam.acquireIP("10.0.0.0/22");
    expectError(() => ipam.acquireChildPrefixes("10.0.0.0/22", 24, 2), "prefix 10.0.0.0/22 has ips, acquire child prefix not possible", "conflict");
    expectError(() => ipam.acquireChildPrefixes("10.0.0.0/22", 24, 0), "count must be from 1 to 4096, got 0", "invalid_input");
  });

  it("children get the labels and reservation asked for", () => {
    const ipam = withPrefix("10.0.0.0/24");
    const kids = ipam.acquireChildPrefixes("10.0.0.0/24", 31, 2, { labels: { link: "p2p" }, reservation: "none" });
    expect(kids).toEqual([
      { cidr: "10.0.0.0/31", parentCidr: "10.0.0.0/24", labels: { link: "p2p" }, reservation: "none" },
      { cidr: "10.0.0.2/31", parentCidr: "10.0.0.0/24", labels: { link: "p2p" }, reservation: "none" },
    ]);
    expect(ipam.acquireIPs("10.0.0.2/31", 2).map((i) => i.ip)).toEqual(["10.0.0.2", "10.0.0.3"]);
  });

  it("ReleaseChildPrefixes checks every child against the state before the call, then releases all", () => {
    const ipam = withPrefix("10.0.0.0/22");
    ipam.acquireChildPrefixes("10.0.0.0/22", 24, 4);
    ipam.acquireIP("10.0.2.0/24");
    const before = ipam.dump();
    expectError(() => ipam.releaseChildPrefixes(["10.0.0.0/24", "10.0.2.0/24"]), "prefix 10.0.2.0/24 has ips, deletion not possible", "conflict");
    expectError(() => ipam.releaseChildPrefixes(["10.0.0.0/24", "10.0.0.0/22"]), 'prefix:"10.0.0.0/22" is no child prefix', "conflict");
    expectError(() => ipam.releaseChildPrefixes(["10.0.0.0/24", "10.0.9.0/24"]), "NotFound prefix 10.0.9.0/24 not found", "prefix_not_found");
    expectError(() => ipam.releaseChildPrefixes(["10.0.0.0/24", "10.0.0.1/24"]), "prefix 10.0.0.1/24 is listed twice", "invalid_input");
    expect(ipam.dump()).toBe(before);
    expect(ipam.releaseChildPrefixes(["10.0.3.0/24", "10.0.0.0/24", "10.0.1.0/24"]).map((p) => p.cidr)).toEqual(["10.0.3.0/24", "10.0.0.0/24", "10.0.1.0/24"]);
    expect(ipam.usage("10.0.0.0/22").availablePrefixes).toEqual(["10.0.0.0/23", "10.0.3.0/24"]);
  });
});
