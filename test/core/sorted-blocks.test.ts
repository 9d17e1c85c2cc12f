// The rebuild from blocks of sorted addresses (IPBlockRecord): AddressSet.addSorted against add() one by
// one, with number and bigint offsets and small chunks; PackedRuns.append against set(), edits afterwards
// included; and buildNamespace's checks on a block (unknown prefix, out of the prefix, other family,
// duplicates) as invalid dumps.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AddressSet } from "../../src/core/address-set";
import { PackedRuns } from "../../src/core/packed-runs";
import { Namespace } from "../../src/core/namespace";
import type { IPBlockRecord, LoadRecord } from "../../src/core/types";
import { formatAddr, parseAddr } from "../../src/net";

const runsOf = <K extends number | bigint>(s: AddressSet<K>) => {
  const out: [K, K][] = [];
  s.forEachRun((a, b) => out.push([a, b]));
  return out;
};

/** Sorted distinct offsets cut into consecutive blocks, as a store hands them over. */
function blocksOf(sorted: number[], cuts: number[]): number[][] {
  const out: number[][] = [];
  let at = 0;
  for (const c of cuts) {
    const n = Math.max(1, c);
    if (at >= sorted.length) break;
    out.push(sorted.slice(at, at + n));
    at += n;
  }
  if (at < sorted.length) out.push(sorted.slice(at));
  return out;
}

describe("AddressSet.addSorted", () => {
  const members = (span: number) =>
    fc.uniqueArray(fc.oneof(fc.nat(span - 1), fc.constantFrom(0, 1, 2, span - 1, span - 2, span >> 1).filter((x) => x >= 0 && x < span)), { maxLength: 300 }).map((a) => a.sort((x, y) => x - y));

  it("holds exactly what add() one by one holds (number offsets, small chunks)", () => {
    fc.assert(
      fc.property(fc.constantFrom(2, 64, 1000, 2 ** 24, 2 ** 32), fc.context(), (span, _ctx) => {
        return fc.assert(
          fc.property(members(span), fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 20 }), fc.uniqueArray(fc.nat(span - 1), { maxLength: 5 }), (sorted, cuts, before) => {
            const bulk = new AddressSet<number>(span, 4);
            const one = new AddressSet<number>(span, 4);
            for (const x of before) {
              bulk.add(x);
              one.add(x);
            }
            let dup = false;
            for (const block of blocksOf(sorted, cuts)) {
              const base = block[0];
              const bad = bulk.addSorted(base, new Float64Array(block.map((x) => x - base)));
              for (const x of block) if (!one.add(x)) dup = true;
              if (bad >= 0) {
                expect(before).toContain(block[bad]);
                return;
              }
            }
            expect(dup).toBe(false);
            expect(runsOf(bulk)).toEqual(runsOf(one));
            expect(bulk.size).toBe(one.size);
          }),
          { numRuns: 40 },
        );
      }),
      { numRuns: 5 },
    );
  });

  it("holds exactly what add() holds with bigint offsets (an IPv6 /64), up to its last address", () => {
    const span = 1n << 64n;
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.oneof(fc.bigInt({ min: 0n, max: span - 1n }), fc.constantFrom(0n, 1n, span - 1n, span - 2n, 1n << 53n, (1n << 53n) + 1n)), { maxLength: 200 }),
        fc.array(fc.integer({ min: 1, max: 30 }), { maxLength: 12 }),
        (xs, cuts) => {
          const sorted = xs.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
          const bulk = new AddressSet<bigint>(span, 4);
          const one = new AddressSet<bigint>(span, 4);
          let at = 0;
          for (const c of [...cuts, sorted.length]) {
            const block = sorted.slice(at, at + c);
            at += block.length;
            if (block.length === 0) continue;
            // a block spans less than 2^53 addresses, or it is added one by one
            if (block[block.length - 1] - block[0] >= 1n << 53n) {
              for (const x of block) bulk.add(x);
            } else expect(bulk.addSorted(block[0], new Float64Array(block.map((x) => Number(x - block[0]))))).toBe(-1);
            for (const x of block) one.add(x);
          }
          expect(runsOf(bulk)).toEqual(runsOf(one));
          expect(bulk.size).toBe(one.size);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("answers the first duplicate or unordered member", () => {
    const s = new AddressSet<number>(256);
    expect(s.addSorted(10, new Float64Array([0, 1, 2]))).toBe(-1);
    expect(s.addSorted(20, new Float64Array([0, 5, 5]))).toBe(2);
    const t = new AddressSet<number>(256);
    expect(t.addSorted(10, new Float64Array([0, 1, 2]))).toBe(-1);
    expect(t.addSorted(5, new Float64Array([0, 6]))).toBe(1); // 11 is held
  });
});

const pfx = (cidr: string, parentCidr = ""): LoadRecord => ({ kind: "prefix", cidr, parentCidr });
function block(prefix: string, ips: string[]): IPBlockRecord {
  const values = ips.map((ip) => parseAddr(ip));
  const first = values[0].value;
  const offsets = values.map((v) => v.value - first);
  const wide = offsets[offsets.length - 1] >= 1n << 53n;
  return { kind: "ips", prefix, family: values[0].family, first, offsets: wide ? offsets : new Float64Array(offsets.map(Number)) };
}

describe("buildNamespace with blocks", () => {
  it("rebuilds the same namespace as one record per address, blocks and single records mixed", () => {
    const ips4 = ["10.0.0.0", "10.0.0.1", "10.0.0.2", "10.0.7.9", "10.255.255.254", "10.255.255.255"];
    const ips6 = ["2001:db8::", "2001:db8::1", "2001:db8:0:0:1::", "2001:db8::ffff:ffff:ffff:ffff"];
    const ns = Namespace.fromRecords([
      pfx("10.0.0.0/8"),
      pfx("2001:db8::/64"),
      block("10.0.0.0/8", ips4.slice(0, 3)),
      block("10.0.0.0/8", ips4.slice(3)),
      block("2001:db8::/64", ips6),
      { kind: "ip", prefix: "10.0.0.0/8", ip: "10.0.0.5", labels: { a: "b" } },
    ]);
    expect(ns.apply({ op: "listIPs", prefixCidr: "10.0.0.0/8" }).result).toEqual([...ips4.slice(0, 3), "10.0.0.5", ...ips4.slice(3)]);
    expect(ns.apply({ op: "listIPs", prefixCidr: "2001:db8::/64" }).result).toEqual(ips6);
    const same = Namespace.fromRecords(ns.records());
    expect(same.records()).toEqual(ns.records());
  });

  it("takes a block before its prefix (it waits for the end)", () => {
    const ns = Namespace.fromRecords([block("10.1.0.0/24", ["10.1.0.0", "10.1.0.255"]), pfx("10.1.0.0/24")]);
    expect(ns.apply({ op: "listIPs", prefixCidr: "10.1.0.0/24" }).result).toEqual(["10.1.0.0", "10.1.0.255"]);
  });

  const refused = (records: LoadRecord[], message: RegExp) => {
    expect(() => Namespace.fromRecords(records)).toThrow(expect.objectContaining({ kind: "invalid_input", message: expect.stringMatching(message) }));
  };

  it("refuses a block of an unknown prefix", () => {
    refused([pfx("10.0.0.0/24"), block("10.9.0.0/24", ["10.9.0.1"])], /ip 10\.9\.0\.1 names prefix 10\.9\.0\.0\/24, which does not exist/);
  });

  it("refuses a block reaching out of its prefix, at either end", () => {
    refused([pfx("10.0.0.0/24"), block("10.0.0.0/24", ["10.0.0.1", "10.0.1.0"])], /ip 10\.0\.1\.0 is not in its prefix 10\.0\.0\.0\/24/);
    refused([pfx("10.0.1.0/24"), block("10.0.1.0/24", ["10.0.0.255", "10.0.1.3"])], /ip 10\.0\.0\.255 is not in its prefix/);
  });

  it("refuses a block of the other family", () => {
    refused([pfx("10.0.0.0/8"), block("10.0.0.0/8", ["::a00:1"])], /ip ::a00:1 is not in its prefix 10\.0\.0\.0\/8/);
  });

  it("refuses a duplicate: within a block, across blocks, against a single record", () => {
    const dup: IPBlockRecord = { kind: "ips", prefix: "10.0.0.0/24", family: 4, first: BigInt(0x0a000001), offsets: new Float64Array([0, 1, 1]) };
    refused([pfx("10.0.0.0/24"), dup], /ip 10\.0\.0\.2 appears twice in prefix 10\.0\.0\.0\/24/);
    refused([pfx("10.0.0.0/24"), block("10.0.0.0/24", ["10.0.0.1", "10.0.0.2"]), block("10.0.0.0/24", ["10.0.0.2"])], /ip 10\.0\.0\.2 appears twice/);
    refused([pfx("10.0.0.0/24"), { kind: "ip", prefix: "10.0.0.0/24", ip: "10.0.0.9" }, block("10.0.0.0/24", ["10.0.0.3", "10.0.0.9"])], /ip 10\.0\.0\.9 appears twice/);
    const unordered: IPBlockRecord = { kind: "ips", prefix: "10.0.0.0/24", family: 4, first: BigInt(0x0a000001), offsets: new Float64Array([0, 4, 2]) };
    refused([pfx("10.0.0.0/24"), unordered], /ip 10\.0\.0\.3 is out of order/);
  });

  it("refuses a block in a prefix that has children", () => {
    refused([pfx("10.0.0.0/16"), pfx("10.0.1.0/24", "10.0.0.0/16"), block("10.0.0.0/16", ["10.0.0.0", "10.0.0.7"])], /holds both ips and child prefixes/);
  });

  it("takes bigint offsets for a block spanning more than 2^53 addresses", () => {
    const first = parseAddr("2001:db8::").value;
    const wide: IPBlockRecord = { kind: "ips", prefix: "2001:db8::/48", family: 6, first, offsets: [0n, 1n << 60n, (1n << 80n) - 1n] };
    const ns = Namespace.fromRecords([pfx("2001:db8::/48"), wide]);
    expect(ns.apply({ op: "listIPs", prefixCidr: "2001:db8::/48" }).result).toEqual(["2001:db8::", "2001:db8:0:0:1000::", "2001:db8:0:ffff:ffff:ffff:ffff:ffff"]);
    // in segments of less than 2^53, the same as one record per address
    const offsets = [0n, 1n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n];
    const segmented = Namespace.fromRecords([pfx("2001:db8::/64"), { kind: "ips", prefix: "2001:db8::/64", family: 6, first, offsets }]);
    const single = Namespace.fromRecords([pfx("2001:db8::/64"), ...offsets.map((o) => ({ kind: "ip" as const, prefix: "2001:db8::/64", ip: formatAddr(6, first + o) }))]);
    expect(segmented.records()).toEqual(single.records());
    refused([pfx("2001:db8::/64"), { kind: "ips", prefix: "2001:db8::/64", family: 6, first, offsets: [0n, 2n ** 60n, 2n ** 60n] }], /ip 2001:db8::1000:0:0:0 appears twice|ip 2001:db8:0:0:1000:: appears twice/);
    refused([pfx("2001:db8::/64"), block("2001:db8::/64", ["2001:db8::5"]), { kind: "ips", prefix: "2001:db8::/64", family: 6, first, offsets: [0n, 5n, 2n ** 60n] }], /ip 2001:db8::5 appears twice/);
  });
});

describe("PackedRuns.append", () => {
  const runsOfStore = <K extends number | bigint>(s: PackedRuns<K>) => {
    const out: [K, K][] = [];
    s.forEach((a, b) => out.push([a, b]));
    return out;
  };

  it("holds what set() holds, in chunks that still take inserts and removals afterwards", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(4, 32, 512),
        fc.array(fc.tuple(fc.integer({ min: 2, max: 2 ** 44 }), fc.nat(5)), { minLength: 1, maxLength: 2000 }),
        fc.array(fc.integer({ min: 1, max: 300 }), { maxLength: 30 }),
        (maxRuns, gaps, cuts) => {
          // runs, ascending, never adjacent: start = previous end + gap (gap >= 2)
          const starts: number[] = [];
          const lengths: number[] = [];
          let at = 0;
          for (const [gap, len] of gaps) {
            const start = starts.length === 0 ? gap : at + gap;
            starts.push(start);
            lengths.push(len);
            at = start + len;
          }
          const bulk = new PackedRuns<number>(maxRuns);
          const one = new PackedRuns<number>(maxRuns);
          let i = 0;
          for (const c of [...cuts, starts.length]) {
            const n = Math.min(c, starts.length - i);
            if (n <= 0) continue;
            const base = starts[i];
            bulk.append(base, starts.slice(i, i + n).map((s) => s - base), lengths.slice(i, i + n), n);
            i += n;
          }
          for (let k = 0; k < starts.length; k++) one.set(starts[k], starts[k] + lengths[k]);
          expect(runsOfStore(bulk)).toEqual(runsOfStore(one));
          expect(bulk.size).toBe(one.size);
          // then the usual edits, on both
          for (let k = 0; k < starts.length; k += 7) {
            const x = starts[k] + lengths[k] + 1;
            expect(bulk.addOne(x)).toBe(one.addOne(x));
            expect(bulk.removeOne(starts[k])).toBe(one.removeOne(starts[k]));
          }
          expect(runsOfStore(bulk)).toEqual(runsOfStore(one));
        },
      ),
      { numRuns: 60 },
    );
  });

  it("appends bigint offsets of an IPv6 /64 near the chunk span limit", () => {
    const bulk = new PackedRuns<bigint>();
    const one = new PackedRuns<bigint>();
    let at = 5n;
    for (let block = 0; block < 40; block++) {
      const base = at;
      const starts: number[] = [];
      for (let k = 0; k < 100; k++) {
        starts.push(Number(at - base));
        one.set(at, at);
        at += 2n ** 45n + BigInt(k * 7919);
      }
      bulk.append(base, starts, new Array(100).fill(0), 100);
    }
    expect(runsOfStore(bulk)).toEqual(runsOfStore(one));
  });
});
