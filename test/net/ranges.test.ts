import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  formatPrefix,
  parseAddr,
  parsePrefix,
  prefixFirst,
  prefixLast,
  prefixSize,
  rangeToPrefixes,
  type Family,
  type Prefix,
} from "../../src/net/index.js";

const v = (s: string) => parseAddr(s).value;
const strs = (ps: Prefix[]) => ps.map(formatPrefix);

describe("rangeToPrefixes: vectors", () => {
  it.each([
    ["10.0.0.1", "10.0.0.6", ["10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/31", "10.0.0.6/32"]],
    ["10.0.0.0", "10.0.0.255", ["10.0.0.0/24"]],
    ["10.0.0.5", "10.0.0.5", ["10.0.0.5/32"]],
    ["0.0.0.0", "255.255.255.255", ["0.0.0.0/0"]],
    ["0.0.0.0", "255.255.255.254", [
      "0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/3", "224.0.0.0/4", "240.0.0.0/5", "248.0.0.0/6", "252.0.0.0/7",
      "254.0.0.0/8", "255.0.0.0/9", "255.128.0.0/10", "255.192.0.0/11", "255.224.0.0/12", "255.240.0.0/13",
      "255.248.0.0/14", "255.252.0.0/15", "255.254.0.0/16", "255.255.0.0/17", "255.255.128.0/18",
      "255.255.192.0/19", "255.255.224.0/20", "255.255.240.0/21", "255.255.248.0/22", "255.255.252.0/23",
      "255.255.254.0/24", "255.255.255.0/25", "255.255.255.128/26", "255.255.255.192/27", "255.255.255.224/28",
      "255.255.255.240/29", "255.255.255.248/30", "255.255.255.252/31", "255.255.255.254/32",
    ]],
    ["0.0.0.1", "255.255.255.255", [
      "0.0.0.1/32", "0.0.0.2/31", "0.0.0.4/30", "0.0.0.8/29", "0.0.0.16/28", "0.0.0.32/27", "0.0.0.64/26",
      "0.0.0.128/25", "0.0.1.0/24", "0.0.2.0/23", "0.0.4.0/22", "0.0.8.0/21", "0.0.16.0/20", "0.0.32.0/19",
      "0.0.64.0/18", "0.0.128.0/17", "0.1.0.0/16", "0.2.0.0/15", "0.4.0.0/14", "0.8.0.0/13", "0.16.0.0/12",
      "0.32.0.0/11", "0.64.0.0/10", "0.128.0.0/9", "1.0.0.0/8", "2.0.0.0/7", "4.0.0.0/6", "8.0.0.0/5",
      "16.0.0.0/4", "32.0.0.0/3", "64.0.0.0/2", "128.0.0.0/1",
    ]],
    ["255.255.255.255", "255.255.255.255", ["255.255.255.255/32"]],
    ["128.0.0.0", "255.255.255.255", ["128.0.0.0/1"]],
    ["127.255.255.255", "128.0.0.0", ["127.255.255.255/32", "128.0.0.0/32"]],
    // reference §2.10: /20 with a /21 and a /22 taken; /16 with 192.168.0.0/22 taken
    ["192.168.12.0", "192.168.15.255", ["192.168.12.0/22"]],
    ["192.168.4.0", "192.168.255.255", [
      "192.168.4.0/22", "192.168.8.0/21", "192.168.16.0/20", "192.168.32.0/19", "192.168.64.0/18", "192.168.128.0/17",
    ]],
    ["::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", ["::/0"]],
    ["::1", "::1", ["::1/128"]],
    ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"]],
    ["2001:db8::1", "2001:db8::6", ["2001:db8::1/128", "2001:db8::2/127", "2001:db8::4/127", "2001:db8::6/128"]],
    ["::ffff:10.0.0.0", "::ffff:10.255.255.255", ["::ffff:10.0.0.0/104"]],
    ["::", "::ffff:ffff:ffff", ["::/80"]],
    ["::ffff:0:0", "::ffff:ffff:ffff", ["::ffff:0.0.0.0/96"]],
    ["::fffe:ffff:ffff", "::ffff:0:0", ["::fffe:ffff:ffff/128", "::ffff:0.0.0.0/128"]],
    // reference §5.1 ExampleIpamer_AcquireChildPrefix: 2001:aabb::/48 minus 2001:aabb::/64 and 2001:aabb:0:1::/72
    ["2001:aabb:0:1:100::", "2001:aabb:0:ffff:ffff:ffff:ffff:ffff",
      ("2001:aabb:0:1:100::/72,2001:aabb:0:1:200::/71,2001:aabb:0:1:400::/70,2001:aabb:0:1:800::/69," +
        "2001:aabb:0:1:1000::/68,2001:aabb:0:1:2000::/67,2001:aabb:0:1:4000::/66,2001:aabb:0:1:8000::/65," +
        "2001:aabb:0:2::/63,2001:aabb:0:4::/62,2001:aabb:0:8::/61,2001:aabb:0:10::/60,2001:aabb:0:20::/59," +
        "2001:aabb:0:40::/58,2001:aabb:0:80::/57,2001:aabb:0:100::/56,2001:aabb:0:200::/55,2001:aabb:0:400::/54," +
        "2001:aabb:0:800::/53,2001:aabb:0:1000::/52,2001:aabb:0:2000::/51,2001:aabb:0:4000::/50,2001:aabb:0:8000::/49").split(","),
    ],
  ] as [string, string, string[]][])("%s - %s", (first, last, want) => {
    const family = parseAddr(first).family;
    expect(strs(rangeToPrefixes(family, v(first), v(last)))).toEqual(want);
  });

  it("returns [] for an empty range and rejects values out of range", () => {
    expect(rangeToPrefixes(4, 10n, 9n)).toEqual([]);
    expect(rangeToPrefixes(6, 1n << 100n, 0n)).toEqual([]);
    expect(() => rangeToPrefixes(4, -1n, 5n)).toThrow(RangeError);
    expect(() => rangeToPrefixes(4, 0n, 1n << 32n)).toThrow(RangeError);
    expect(() => rangeToPrefixes(6, 0n, 1n << 128n)).toThrow(RangeError);
    expect(() => rangeToPrefixes(6, -1n, 0n)).toThrow(RangeError);
    expect(() => rangeToPrefixes(5 as never, 0n, 0n)).toThrow(RangeError);
  });

  it("a prefix's own range gives back exactly that prefix", () => {
    for (const c of ["10.0.0.0/8", "0.0.0.0/0", "1.2.3.4/32", "2001:db8::/32", "::/0", "::1/128", "fe80::/10"]) {
      const p = parsePrefix(c);
      expect(rangeToPrefixes(p.family, prefixFirst(p), prefixLast(p))).toEqual([p]);
    }
  });
});

/** Properties of a decomposition of [first, last]; returns what is wrong, or "" (plain checks: this runs hot). */
function checkDecomposition(family: Family, first: bigint, last: bigint): string {
  const len = family === 4 ? 32 : 128;
  const blocks = rangeToPrefixes(family, first, last);
  if (blocks.length === 0 || blocks.length > 2 * len) return `bad count ${blocks.length}`;
  let next = first;
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i];
    if (b.family !== family || !Number.isInteger(b.bits) || b.bits < 0 || b.bits > len) return `bad block ${i}`;
    const size = prefixSize(b.bits, family);
    // aligned: no host bits set
    if (b.addr % size !== 0n) return `block ${i} not aligned`;
    // sorted, disjoint and without gaps: each block starts right after the previous one
    if (b.addr !== next) return `block ${i} does not follow`;
    next = b.addr + size;
    // no two neighbours could merge into one aligned block of twice the size
    if (i > 0) {
      const a = blocks[i - 1];
      if (a.bits === b.bits && a.addr % (size * 2n) === 0n) return `blocks ${i - 1}, ${i} could merge`;
    }
  }
  // covers exactly [first, last]
  return next - 1n === last ? "" : "does not end at last";
}

describe("rangeToPrefixes: properties (fast-check)", () => {
  const bounds = (max: bigint) =>
    fc.tuple(fc.bigInt(0n, max), fc.bigInt(0n, max)).map(([x, y]) => (x <= y ? [x, y] : [y, x]) as [bigint, bigint]);
  // Values near block boundaries make long decompositions likely.
  const edgy = (len: number) =>
    fc
      .tuple(fc.integer({ min: 0, max: len }), fc.integer({ min: -3, max: 3 }), fc.bigInt(0n, (1n << BigInt(len)) - 1n))
      .map(([k, d, r]) => {
        const max = (1n << BigInt(len)) - 1n;
        const x = ((r >> BigInt(k)) << BigInt(k)) + BigInt(d);
        return x < 0n ? 0n : x > max ? max : x;
      });
  const edgyBounds = (len: number) =>
    fc.tuple(edgy(len), edgy(len)).map(([x, y]) => (x <= y ? [x, y] : [y, x]) as [bigint, bigint]);

  it("IPv4: aligned, sorted, disjoint, exact cover, maximal", () => {
    fc.assert(
      fc.property(fc.oneof(bounds(0xffffffffn), edgyBounds(32)), ([first, last]) => {
        expect(checkDecomposition(4, first, last)).toBe("");
      }),
      { numRuns: 2000 },
    );
  });

  it("IPv6: aligned, sorted, disjoint, exact cover, maximal", () => {
    fc.assert(
      fc.property(fc.oneof(bounds((1n << 128n) - 1n), edgyBounds(128)), ([first, last]) => {
        expect(checkDecomposition(6, first, last)).toBe("");
      }),
      { numRuns: 1000 },
    );
  });

  it("agrees with a brute-force decomposition on small IPv4 ranges", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 300 }), (x, y) => {
        const [lo, hi] = x <= y ? [x, y] : [y, x];
        // Brute force: from lo, take the biggest aligned block that fits, by trying sizes downward.
        const want: string[] = [];
        let a = lo;
        while (a <= hi) {
          let k = 32;
          while (a % 2 ** k !== 0 || a + 2 ** k - 1 > hi) k--;
          want.push(`0.0.${Math.floor(a / 256)}.${a % 256}/${32 - k}`);
          a += 2 ** k;
        }
        expect(strs(rangeToPrefixes(4, BigInt(lo), BigInt(hi)))).toEqual(want);
      }),
      { numRuns: 500 },
    );
  });
});
