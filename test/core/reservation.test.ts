// Reservation choice (go-ipam #23): a prefix may reserve no network or broadcast address; the default stays
// go-ipam's (the first address, and the last of an IPv4 prefix).
import { describe, expect, it } from "vitest";
import { Ipam, Namespace } from "../../src/core";
import { expectError } from "./helpers";

describe("reservation none", () => {
  it("a /31 hands out both addresses (RFC 3021), a /127 both, a /32 and a /128 their one", () => {
    const ipam = new Ipam();
    for (const cidr of ["10.0.0.0/31", "2001:db8::/127", "10.0.1.1/32", "2001:db8:1::1/128"]) ipam.newPrefix(cidr, { reservation: "none" });
    expect(ipam.acquireIPs("10.0.0.0/31", 2).map((i) => i.ip)).toEqual(["10.0.0.0", "10.0.0.1"]);
    expect(ipam.acquireIPs("2001:db8::/127", 2).map((i) => i.ip)).toEqual(["2001:db8::", "2001:db8::1"]);
    expect(ipam.acquireIP("10.0.1.1/32").ip).toBe("10.0.1.1");
    expect(ipam.acquireIP("2001:db8:1::1/128").ip).toBe("2001:db8:1::1");
    expectError(() => ipam.acquireIP("10.0.0.0/31"), "NoIPAvailableError: no more ips in prefix: 10.0.0.0/31 left, length of prefix.ips: 2", "no_ip_available");
  });

  it("usage counts follow: a fresh /24 has 0 acquired, 256 available", () => {
    const ipam = new Ipam();
    ipam.newPrefix("10.0.0.0/24", { reservation: "none" });
    ipam.newPrefix("10.0.1.0/24");
    expect(ipam.usage("10.0.0.0/24")).toMatchObject({ acquiredIPs: 0n, availableIPs: 256n });
    expect(ipam.usage("10.0.1.0/24")).toMatchObject({ acquiredIPs: 2n, availableIPs: 256n });
    expect(ipam.listIPs("10.0.0.0/24")).toEqual([]);
    ipam.acquireSpecificIP("10.0.0.0/24", "10.0.0.255");
    expect(ipam.usage("10.0.0.0/24").acquiredIPs).toBe(1n);
  });

  it("is answered by create, get and list; the default is not mentioned", () => {
    const ipam = new Ipam();
    expect(ipam.newPrefix("10.0.0.0/24", { reservation: "none" })).toEqual({ cidr: "10.0.0.0/24", parentCidr: "", reservation: "none" });
    expect(ipam.newPrefix("10.0.1.0/24", { reservation: "default" })).toStrictEqual({ cidr: "10.0.1.0/24", parentCidr: "" });
    expect(ipam.prefixFrom("10.0.0.0/24").reservation).toBe("none");
    expect(ipam.listPrefixes().map((p) => p.reservation ?? "default")).toEqual(["none", "default"]);
  });

  it("every held address counts as an IP: a /24 holding its network address cannot be deleted", () => {
    const ipam = new Ipam();
    ipam.newPrefix("10.0.0.0/24", { reservation: "none" });
    ipam.acquireIP("10.0.0.0/24"); // 10.0.0.0
    expectError(() => ipam.deletePrefix("10.0.0.0/24"), "prefix 10.0.0.0/24 has ips, delete prefix not possible", "conflict");
    expectError(() => ipam.acquireChildPrefix("10.0.0.0/24", 26), "prefix 10.0.0.0/24 has ips, acquire child prefix not possible", "conflict");
    ipam.releaseIPFromPrefix("10.0.0.0/24", "10.0.0.0");
    expect(ipam.deletePrefix("10.0.0.0/24").reservation).toBe("none");
  });

  it("a child chooses its own reservation; it is not inherited from the parent", () => {
    const ipam = new Ipam();
    ipam.newPrefix("10.0.0.0/24", { reservation: "none" });
    const p2p = ipam.acquireChildPrefix("10.0.0.0/24", 31, { reservation: "none" });
    const lan = ipam.acquireChildPrefix("10.0.0.0/24", 28);
    expect(ipam.listIPs(p2p.cidr)).toEqual([]);
    expect(ipam.listIPs(lan.cidr)).toEqual(["10.0.0.16", "10.0.0.31"]);
    expect(ipam.releaseChildPrefix(p2p.cidr)).toEqual({ cidr: "10.0.0.0/31", parentCidr: "10.0.0.0/24", reservation: "none" });
    const specific = ipam.acquireSpecificChildPrefix("10.0.0.0/24", "10.0.0.64/30", { reservation: "none" });
    expect(ipam.acquireIPs(specific.cidr, 4).map((i) => i.ip)).toEqual(["10.0.0.64", "10.0.0.65", "10.0.0.66", "10.0.0.67"]);
  });

  it("is kept in the records, both dumps, and refused when unknown", () => {
    const ipam = new Ipam();
    ipam.newPrefix("10.0.0.0/30", { reservation: "none" });
    expect(ipam.store.load("root")).toEqual([{ kind: "prefix", cidr: "10.0.0.0/30", parentCidr: "", reservation: "none" }]);
    expect(JSON.parse(ipam.dump()).prefixes[0]).toEqual({ cidr: "10.0.0.0/30", parentCidr: "", ips: [], reservation: "none" });
    const go = JSON.parse(ipam.exportGoIpam())[0];
    expect([go.IPs, go.Reservation]).toEqual([{}, "none"]);
    for (const [load, text] of [["load", ipam.dump()], ["importGoIpam", ipam.exportGoIpam()]] as const) {
      const copy = new Ipam();
      copy[load](text);
      expect(copy.acquireIP("10.0.0.0/30").ip).toBe("10.0.0.0");
      expect(copy.prefixFrom("10.0.0.0/30").reservation).toBe("none");
    }
    expectError(() => ipam.newPrefix("10.0.1.0/24", { reservation: "all" as never }), `reservation must be "default" or "none", got "all"`, "invalid_input");
    expectError(
      () => Namespace.fromRecords([{ kind: "prefix", cidr: "10.0.1.0/24", parentCidr: "", reservation: "all" as never }]),
      `invalid dump: prefix 10.0.1.0/24 has reservation "all", expected "none" or none at all`,
      "invalid_input",
    );
  });
});
