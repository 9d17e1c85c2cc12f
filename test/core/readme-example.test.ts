// The README's library example (a port of go-ipam's seed example) must keep working as written.
import { expect, it } from "vitest";
import { Ipam } from "../../src";

it("runs the README example", () => {
  const lines: string[] = [];
  const log = (...args: unknown[]) => lines.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));

  // --- README example start ---
  const ipam = new Ipam();

  const prefix = ipam.newPrefix("192.168.0.0/24");
  const ip = ipam.acquireIP(prefix.cidr);
  log("Super IP", ip.ip);
  ipam.releaseIP(ip);
  log("IP released", ip.ip);

  // IPv6: a /48, a /64 and a /72 child, and an address from the /72
  const v6 = ipam.newPrefix("2001:aabb::/48");
  const child64 = ipam.acquireChildPrefix(v6.cidr, 64);
  const child72 = ipam.acquireChildPrefix(v6.cidr, 72);
  const ip6 = ipam.acquireIP(child72.cidr);
  log("children", child64.cidr, child72.cidr, "ip", ip6.ip);
  // --- README example end ---

  expect(lines).toEqual([
    "Super IP 192.168.0.1",
    "IP released 192.168.0.1",
    "children 2001:aabb::/64 2001:aabb:0:1::/72 ip 2001:aabb:0:1::1",
  ]);
  expect(ipam.acquireIP(prefix.cidr).ip).toBe("192.168.0.1"); // the released address is reused first
});
