// Dump and load: our own format, and go-ipam's Dump format for migrating (reference §2.13, CONTRACT §1, §3).
import { describe, expect, it } from "vitest";
import { DUMP_FORMAT, Ipam } from "../../src/core";
import { expectError } from "./helpers";

function sample(): Ipam {
  const ipam = new Ipam();
  ipam.newPrefix("10.0.0.0/30");
  ipam.acquireIP("10.0.0.0/30");
  ipam.newPrefix("192.168.0.0/24");
  ipam.acquireChildPrefix("192.168.0.0/24", 26);
  ipam.newPrefix("2001:db8::/120");
  ipam.acquireSpecificIP("2001:db8::/120", "2001:db8::a");
  return ipam;
}

describe("go-ipam Dump format", () => {
  it("exports go-ipam's shape, field order and sorted keys", () => {
    expect(JSON.parse(sample().exportGoIpam())).toEqual([
      { Cidr: "10.0.0.0/30", ParentCidr: "", Namespace: "", AvailableChildPrefixes: {}, ChildPrefixLength: 0, IsParent: false, IPs: { "10.0.0.0": true, "10.0.0.1": true, "10.0.0.3": true }, Version: 0 },
      { Cidr: "192.168.0.0/24", ParentCidr: "", Namespace: "", AvailableChildPrefixes: { "192.168.0.0/26": false }, ChildPrefixLength: 0, IsParent: true, IPs: { "192.168.0.0": true, "192.168.0.255": true }, Version: 0 },
      { Cidr: "192.168.0.0/26", ParentCidr: "192.168.0.0/24", Namespace: "", AvailableChildPrefixes: {}, ChildPrefixLength: 0, IsParent: false, IPs: { "192.168.0.0": true, "192.168.0.63": true }, Version: 0 },
      { Cidr: "2001:db8::/120", ParentCidr: "", Namespace: "", AvailableChildPrefixes: {}, ChildPrefixLength: 0, IsParent: false, IPs: { "2001:db8::": true, "2001:db8::a": true }, Version: 0 },
    ]);
    expect(sample().exportGoIpam().startsWith('[{"Cidr":"10.0.0.0/30","ParentCidr":"","Namespace":"","AvailableChildPrefixes":{},"ChildPrefixLength":0,"IsParent":false,"IPs":{"10.0.0.0":true,"10.0.0.1":true,"10.0.0.3":true},"Version":0}')).toBe(true);
  });

  it("sorts map keys as Go's encoding/json does (byte order)", () => {
    const ipam = new Ipam();
    ipam.newPrefix("10.0.0.0/24");
    for (let i = 0; i < 11; i++) ipam.acquireIP("10.0.0.0/24");
    expect(Object.keys(JSON.parse(ipam.exportGoIpam())[0].IPs).slice(0, 4)).toEqual(["10.0.0.0", "10.0.0.1", "10.0.0.10", "10.0.0.11"]);
  });

  it("fix: dumps an empty namespace as [] (go-ipam: null), and loads both", () => {
    const ipam = new Ipam();
    expect(ipam.exportGoIpam()).toBe("[]");
    ipam.importGoIpam("null");
    ipam.importGoIpam("[]");
    expect(ipam.listPrefixes()).toEqual([]);
  });

  it("round-trips through a fresh namespace", () => {
    const original = sample();
    const copy = new Ipam();
    copy.createNamespace("migrated");
    copy.importGoIpam(original.exportGoIpam(), { namespace: "migrated" });
    expect(copy.exportGoIpam({ namespace: "migrated" })).toBe(original.exportGoIpam());
    expect(copy.acquireIP("10.0.0.0/30", { namespace: "migrated" }).ip).toBe("10.0.0.2");
    expect(copy.acquireChildPrefix("192.168.0.0/24", 26, { namespace: "migrated" }).cidr).toBe("192.168.0.64/26");
  });

  it("refuses to load into a namespace holding prefixes, and bad JSON", () => {
    const ipam = sample();
    expectError(() => ipam.importGoIpam("[]"), "prefixes exist, please drop existing data before loading", "conflict");
    expectError(() => new Ipam().importGoIpam("garbage"), /^unable to unmarshal prefixes:/, "invalid_input");
    expectError(() => new Ipam().importGoIpam('{"Cidr":"10.0.0.0/8"}'), /^unable to unmarshal prefixes:/, "invalid_input");
    expectError(() => new Ipam().importGoIpam('[{"Cidr":"10.0.0.0/33"}]'), /prefix length out of range/, "invalid_input");
    expectError(() => new Ipam().importGoIpam('[{"Cidr":"10.0.0.0/8"},{"Cidr":"10.1.0.0/16"}]'), /^invalid dump: 10\.1\.0\.0\/16 overlaps 10\.0\.0\.0\/8/, "invalid_input");
    expectError(() => new Ipam().importGoIpam('[{"Cidr":"10.0.0.0/24","IPs":{"10.0.1.1":true}}]'), /^invalid dump: ip 10\.0\.1\.1 is not in its prefix 10\.0\.0\.0\/24/);
  });

  it("leaves the namespace untouched when a dump is refused half-way", () => {
    const ipam = new Ipam();
    expectError(() => ipam.importGoIpam('[{"Cidr":"10.0.0.0/24"},{"Cidr":"11.0.0.0/24","IPs":{"12.0.0.1":true}}]'), /invalid dump/);
    expect(ipam.listPrefixes()).toEqual([]);
    expect(ipam.store.load("root")).toEqual([]);
  });

  it("imports go-ipam's quirks safely", () => {
    const ipam = new Ipam();
    ipam.importGoIpam(
      JSON.stringify([
        // a prefix without IPs map: nothing reserved (go-ipam then hands out the network address)
        { Cidr: "10.0.0.0/8" },
        // a parent whose map still holds a leaked host-bits key and a released child; only live child prefixes count
        { Cidr: "172.16.0.0/16", ParentCidr: "", AvailableChildPrefixes: { "172.16.0.5/24": false, "172.16.1.0/24": true, "172.16.2.0/24": false }, IsParent: true, IPs: { "172.16.0.0": true, "172.16.255.255": true } },
        { Cidr: "172.16.2.0/24", ParentCidr: "172.16.0.0/16", IPs: { "172.16.2.0": true, "172.16.2.255": true } },
        // an orphan whose parent was deleted in go-ipam becomes a top-level prefix
        { Cidr: "192.168.5.0/24", ParentCidr: "192.168.0.0/16", IPs: { "192.168.5.0": true } },
        // a legacy parent (ChildPrefixLength) without live children can hold IPs again; non-canonical spellings are canonicalised
        { Cidr: "2001:0db8::/120", ChildPrefixLength: 124, IsParent: true, IPs: { "2001:0db8::": true, "2001:db8::00a": true, "2001:db8::b": false } },
      ]),
    );
    expect(ipam.acquireIP("10.0.0.0/8").ip).toBe("10.0.0.0");
    expect(ipam.usage("172.16.0.0/16").acquiredPrefixes).toBe(1n);
    expect(ipam.usage("172.16.0.0/16").availablePrefixes.slice(0, 2)).toEqual(["172.16.0.0/23", "172.16.3.0/24"]);
    expect(ipam.prefixFrom("192.168.5.0/24").parentCidr).toBe("");
    expect(ipam.listIPs("2001:db8::/120")).toEqual(["2001:db8::", "2001:db8::a"]);
    expect(ipam.acquireIP("2001:db8::/120").ip).toBe("2001:db8::1");
  });
});

describe("our dump format", () => {
  it("is documented JSON with every prefix and address", () => {
    const ipam = new Ipam();
    ipam.newPrefix("10.0.0.0/30");
    ipam.acquireIP("10.0.0.0/30");
    expect(JSON.parse(ipam.dump())).toEqual({
      format: DUMP_FORMAT,
      prefixes: [{ cidr: "10.0.0.0/30", parentCidr: "", ips: ["10.0.0.0", "10.0.0.1", "10.0.0.3"] }],
    });
  });

  it("round-trips, and importGoIpam recognises it too", () => {
    const original = sample();
    const a = new Ipam();
    a.load(original.dump());
    expect(a.dump()).toBe(original.dump());
    const b = new Ipam();
    b.importGoIpam(original.dump());
    expect(b.exportGoIpam()).toBe(original.exportGoIpam());
  });

  it("refuses inconsistent dumps, naming the problem", () => {
    const load = (prefixes: unknown) => () => new Ipam().load(JSON.stringify({ format: DUMP_FORMAT, prefixes }));
    expectError(load([{ cidr: "10.0.0.1/24", parentCidr: "", ips: [] }]), "invalid dump: prefix 10.0.0.1/24 is not canonical, expected 10.0.0.0/24");
    expectError(
      load([{ cidr: "fe80::/64", parentCidr: "", ips: ["fe80::", "fe80::1%eth0"] }]),
      "invalid dump: ip fe80::1%eth0 has a zone (%eth0): zones are not allowed in a dump",
    );
    expectError(load([{ cidr: "10.0.0.0/24", parentCidr: "10.0.0.0/16", ips: [] }]), "invalid dump: prefix 10.0.0.0/24 names parent 10.0.0.0/16, which does not exist");
    expectError(load([{ cidr: "10.0.0.0/16", parentCidr: "" }, { cidr: "10.1.0.0/24", parentCidr: "10.0.0.0/16" }]), "invalid dump: child prefix 10.1.0.0/24 is not inside free space of its parent 10.0.0.0/16");
    expectError(load([{ cidr: "10.0.0.0/24", parentCidr: "", ips: ["10.0.0.1", "10.0.0.1"] }]), "invalid dump: ip 10.0.0.1 appears twice in prefix 10.0.0.0/24");
    expectError(load([{ cidr: "10.0.0.0/16", parentCidr: "", ips: ["10.0.0.7"] }, { cidr: "10.0.1.0/24", parentCidr: "10.0.0.0/16" }]), "invalid dump: prefix 10.0.0.0/16 holds both ips and child prefixes");
    expectError(() => new Ipam().load('{"prefixes":[]}'), /^invalid dump: expected \{"format":"edge-ipam\/v1"/);
  });
});
