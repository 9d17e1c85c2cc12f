// Overlap checks (go-ipam #180): PrefixesOverlapping on long lists answers what go-ipam's pairwise loop
// answers, and ListPrefixes can list the prefixes of a namespace that overlap a CIDR without creating anything.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Ipam, prefixesOverlapping } from "../../src/core";
import { IpamError, overlaps } from "../../src/core/errors";
import { NetParseError, formatPrefix, parsePrefix, prefixesOverlap } from "../../src/net";
import { expectError } from "./helpers";

/** go-ipam's loop, verbatim: every pair, parsing as it goes. */
function naive(existing: string[], added: string[]): string | null {
  const parse = (s: string) => {
    try {
      return parsePrefix(s);
    } catch (e) {
      if (e instanceof NetParseError) return new IpamError("invalid_input", `parsing prefix ${s} failed:${e.message}`);
      throw e;
    }
  };
  for (const e of existing) {
    const ep = parse(e);
    if (ep instanceof IpamError) return ep.message;
    for (const n of added) {
      const np = parse(n);
      if (np instanceof IpamError) return np.message;
      if (prefixesOverlap(ep, np)) return overlaps(formatPrefix(np), formatPrefix(ep)).message;
    }
  }
  return null;
}

const v4 = fc
  .tuple(fc.nat(3), fc.nat(255), fc.integer({ min: 14, max: 32 }))
  .map(([a, b, bits]) => `10.${a}.${b}.${(b * 7) % 256}/${bits}`);
const v6 = fc.tuple(fc.nat(15), fc.integer({ min: 116, max: 128 })).map(([a, bits]) => `2001:db8::${a.toString(16)}0/${bits}`);
const entry = fc.oneof({ weight: 6, arbitrary: v4 }, { weight: 3, arbitrary: v6 }, { weight: 1, arbitrary: fc.constantFrom("bad", "10.0.0.0/33", "0.0.0.0/0") });
// Sparse: most pairs are disjoint, so the answer comes from deep in both lists (where the index answers).
const sparse = fc.oneof(
  { weight: 20, arbitrary: fc.tuple(fc.nat(4095), fc.integer({ min: 12, max: 32 })).map(([a, bits]) => `10.${a >> 4}.${(a & 15) * 16}.0/${bits}`) },
  { weight: 5, arbitrary: fc.tuple(fc.nat(4095), fc.integer({ min: 100, max: 128 })).map(([a, bits]) => `2001:db8:${a.toString(16)}::/${bits}`) },
  { weight: 1, arbitrary: fc.constantFrom("::ffff:10.0.0.0/104", "10.255.255.255/32") },
);

describe("PrefixesOverlapping on long lists", () => {
  it("answers exactly what go-ipam's pairwise loop answers (first pair, parse errors where the loop meets them)", () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 80 }), fc.array(entry, { maxLength: 80 }), (existing, added) => {
        expect(prefixesOverlapping(existing, added)?.message ?? null).toBe(naive(existing, added));
      }),
      { numRuns: 600 },
    );
    fc.assert(
      fc.property(fc.array(sparse, { minLength: 40, maxLength: 200 }), fc.array(sparse, { minLength: 40, maxLength: 200 }), (existing, added) => {
        expect(prefixesOverlapping(existing, added)?.message ?? null).toBe(naive(existing, added));
      }),
      { numRuns: 300 },
    );
  });

  it("stays fast on thousands of disjoint prefixes", () => {
    const existing = Array.from({ length: 4096 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`);
    const added = Array.from({ length: 4096 }, (_, i) => `11.${i >> 8}.${i & 255}.0/24`);
    expect(prefixesOverlapping(existing, added)).toBe(null);
    expect(prefixesOverlapping(existing, [...added, "10.15.255.128/25"])?.message).toBe("10.15.255.128/25 overlaps 10.15.255.0/24");
  });
});

describe("ListPrefixes overlapping a CIDR", () => {
  const ipam = new Ipam();
  ipam.newPrefix("10.0.0.0/16");
  ipam.acquireChildPrefix("10.0.0.0/16", 24); // 10.0.0.0/24
  ipam.acquireSpecificChildPrefix("10.0.0.0/16", "10.0.8.0/24");
  ipam.newPrefix("10.1.0.0/24");
  ipam.newPrefix("2001:db8::/64");
  const overlapping = (cidr: string) => ipam.listPrefixes({ overlapping: cidr }).map((p) => p.cidr);

  it("lists top-level prefixes and children that overlap it, in listing order", () => {
    expect(overlapping("10.0.0.0/8")).toEqual(["10.0.0.0/16", "10.0.0.0/24", "10.0.8.0/24", "10.1.0.0/24"]);
    expect(overlapping("10.0.8.128/25")).toEqual(["10.0.0.0/16", "10.0.8.0/24"]);
    expect(overlapping("10.0.1.0/24")).toEqual(["10.0.0.0/16"]);
    expect(overlapping("10.0.8.7/22")).toEqual(["10.0.0.0/16", "10.0.8.0/24"]); // host bits masked
    expect(overlapping("10.2.0.0/16")).toEqual([]);
    expect(overlapping("::ffff:10.0.0.0/104")).toEqual([]); // IPv4-mapped IPv6 is IPv6
    expect(overlapping("::/0")).toEqual(["2001:db8::/64"]);
  });

  it("is empty exactly when CreatePrefix would succeed", () => {
    for (const cidr of ["10.0.0.0/8", "10.0.3.0/24", "10.3.0.0/16", "2001:db8::1/128", "2001:db9::/64"]) {
      const clash = overlapping(cidr).length > 0;
      const copy = new Ipam();
      copy.importGoIpam(ipam.exportGoIpam());
      if (clash) expectError(() => copy.newPrefix(cidr), / overlaps /, "overlap");
      else expect(copy.newPrefix(cidr).cidr).toBe(formatPrefix(parsePrefix(cidr)));
    }
  });

  it("combines with a label selector, and names a bad CIDR", () => {
    ipam.newPrefix("10.2.0.0/24", { labels: { pool: "x" } });
    expect(ipam.listPrefixes({ overlapping: "10.0.0.0/8", selector: { pool: "x" } }).map((p) => p.cidr)).toEqual(["10.2.0.0/24"]);
    expectError(() => ipam.listPrefixes({ overlapping: "10.0.0.0/33" }), /^unable to parse overlapping cidr:10.0.0.0\/33 netip.ParsePrefix/, "invalid_input");
  });
});
