// Property tests of the core's two data structures against naive models:
//   RunSet    (acquired addresses as maximal runs)  vs  a Set<bigint>
//   FreeSpace (a parent's free space, best fit)     vs  a list of taken intervals, decomposed with rangeToPrefixes
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FreeSpace } from "../../src/core/free-space.js";
import { RunSet } from "../../src/core/run-set.js";
import { type Family, rangeToPrefixes } from "../../src/net/index.js";

const MAX6 = (1n << 128n) - 1n;

// ---------------------------------------------------------------------------------------------------------
// RunSet

/**
 * A set over [first, last] and the addresses the operations pick from. Small windows (every width from a single
 * address, like a /32 or /128, up to 48), placed at both ends of both address spaces (the last one ends at
 * 2^128-1); and big ranges with clusters of addresses at the start, the end, the middle and around offset 2^53
 * (where the run tree switches from plain numbers to bigints).
 */
interface RunShape {
  first: bigint;
  last: bigint;
  points: bigint[];
}

const W = 47;
const RUN_BASES = [0n, 10n, (1n << 32n) - 48n, (1n << 64n) - 24n, 10n ** 30n, MAX6 - 47n] as const;
const BIG_RANGES: [bigint, bigint][] = [
  [0n, (1n << 32n) - 1n], // 0.0.0.0/0
  [0x20010db8n << 96n, (0x20010db8n << 96n) + (1n << 64n) - 1n], // a /64: bigint offsets
  [1n << 80n, (1n << 80n) + (1n << 53n) - 1n], // a /75: 2^53 addresses, offsets still exact numbers
  [1n << 80n, (1n << 80n) + (1n << 54n) - 1n], // a /74: just past it
  [0n, MAX6], // ::/0
  [MAX6 - (1n << 60n) + 1n, MAX6],
];

const runShape: fc.Arbitrary<RunShape> = fc.oneof(
  fc.tuple(fc.constantFrom(...RUN_BASES), fc.oneof(fc.nat(W), fc.constantFrom(0, 1, 2, 3, W))).map(([base, width]) => {
    const first = base === MAX6 - 47n ? MAX6 - BigInt(width) : base;
    const last = first + BigInt(width);
    const points: bigint[] = [];
    for (let x = first; x <= last; x++) points.push(x);
    return { first, last, points };
  }),
  fc.constantFrom(...BIG_RANGES).map(([first, last]) => {
    const set = new Set<bigint>();
    const cluster = (at: bigint) => {
      for (let k = -8n; k < 8n; k++) if (at + k >= first && at + k <= last) set.add(at + k);
    };
    cluster(first + 8n);
    cluster(last - 7n);
    cluster(first + (last - first) / 2n);
    cluster(first + (1n << 53n));
    return { first, last, points: [...set].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)) };
  }),
);

type RunOp =
  | { t: "add"; x: number }
  | { t: "delete"; x: number }
  | { t: "has"; x: number }
  | { t: "lowestFree" }
  | { t: "fill"; n: number };

const runOp: fc.Arbitrary<RunOp> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ t: fc.constant("add" as const), x: fc.nat(1000) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant("delete" as const), x: fc.nat(1000) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("has" as const), x: fc.nat(1000) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("lowestFree" as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("fill" as const), n: fc.nat(12) }) },
);

/** Everything observable about a RunSet, as one string (cheap to compare; vitest diffs it on a mismatch). */
function observeRunSet(set: RunSet): string {
  return [
    `size ${set.size}`,
    `runs ${set.runCount}`,
    `ranges ${[...set.ranges()].map(([s, e]) => `${s}-${e}`).join(",")}`,
    `values ${[...set.values()].join(",")}`,
    `forEach ${forEachOf(set).join(",")}`,
    `lowestFree ${set.lowestFree()}`,
  ].join("\n");
}

function forEachOf(set: RunSet): bigint[] {
  const out: bigint[] = [];
  set.forEach((x) => out.push(x));
  return out;
}

/** The same, computed naively from the model: maximal runs of consecutive held values, lowest free by scan. */
function observeModel(model: Set<bigint>, first: bigint, last: bigint): string {
  const sorted = [...model].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const runs: [bigint, bigint][] = [];
  for (const x of sorted) {
    const top = runs[runs.length - 1];
    if (top !== undefined && top[1] + 1n === x) top[1] = x;
    else runs.push([x, x]);
  }
  let lowest: bigint | undefined;
  for (let x = first; x <= last; x++)
    if (!model.has(x)) {
      lowest = x;
      break;
    }
  return [
    `size ${model.size}`,
    `runs ${runs.length}`,
    `ranges ${runs.map(([s, e]) => `${s}-${e}`).join(",")}`,
    `values ${sorted.join(",")}`,
    `forEach ${sorted.join(",")}`,
    `lowestFree ${lowest}`,
  ].join("\n");
}

/** size, ranges() (sorted, disjoint, non-adjacent, maximal: exactly the model's runs), values(), lowestFree(). */
function checkRunSet(set: RunSet, model: Set<bigint>, first: bigint, last: bigint): void {
  const got = observeRunSet(set);
  const want = observeModel(model, first, last);
  if (got !== want) expect(got).toBe(want);
}

describe("RunSet against a Set<bigint>", () => {
  it("add/delete/has/lowestFree agree with the model; ranges() are sorted, disjoint, non-adjacent and maximal", () => {
    fc.assert(
      fc.property(
        runShape,
        fc.array(runOp, { maxLength: 150, size: "max" }),
        ({ first, last, points }, ops) => {
          const inRange = (x: number) => points[x % points.length];
          const set = new RunSet(first, last);
          const model = new Set<bigint>();
          checkRunSet(set, model, first, last);
          for (const op of ops) {
            switch (op.t) {
              case "add": {
                const x = inRange(op.x);
                expect(set.add(x)).toBe(!model.has(x));
                model.add(x);
                break;
              }
              case "delete": {
                const x = inRange(op.x);
                expect(set.delete(x)).toBe(model.has(x));
                model.delete(x);
                break;
              }
              case "has": {
                // also one below first and one above last
                const x = op.x % 10 === 0 ? first - 1n : op.x % 10 === 1 ? last + 1n : inRange(op.x);
                expect(set.has(x)).toBe(model.has(x));
                break;
              }
              case "lowestFree":
                break; // checked after every step
              case "fill": {
                // acquire-next-free n times, as AcquireIP does
                for (let i = 0; i < op.n; i++) {
                  const got = set.lowestFree();
                  if (got === undefined) {
                    expect(BigInt(model.size)).toBe(last - first + 1n);
                    break;
                  }
                  expect(model.has(got)).toBe(false);
                  expect(set.add(got)).toBe(true);
                  model.add(got);
                }
                break;
              }
            }
            checkRunSet(set, model, first, last);
          }
          // has() over every point, and just outside the range; deleting outside the range is a no-op
          for (const x of [first - 1n, ...points, last + 1n]) expect(set.has(x)).toBe(model.has(x));
          if (first > 0n) expect(set.delete(first - 1n)).toBe(false);
          expect(set.delete(last + 1n)).toBe(false);
          // releasing everything in random order leaves an empty set
          for (const x of [...model].reverse()) {
            expect(set.delete(x)).toBe(true);
            model.delete(x);
            checkRunSet(set, model, first, last);
          }
        },
      ),
      { numRuns: 200 },
    );
  }, 60_000);

  it("holds the very last IPv6 address and joins runs across it", () => {
    const set = new RunSet(MAX6 - 3n, MAX6);
    expect(set.add(MAX6)).toBe(true);
    expect(set.add(MAX6 - 2n)).toBe(true);
    expect(set.runCount).toBe(2);
    expect(set.lowestFree()).toBe(MAX6 - 3n);
    expect(set.add(MAX6 - 3n)).toBe(true);
    expect(set.lowestFree()).toBe(MAX6 - 1n);
    expect(set.add(MAX6 - 1n)).toBe(true);
    expect([...set.ranges()]).toEqual([[MAX6 - 3n, MAX6]]);
    expect(set.lowestFree()).toBeUndefined();
    expect(set.delete(MAX6)).toBe(true);
    expect(set.lowestFree()).toBe(MAX6);
    expect(set.size).toBe(3);
  });

  it("a single-address set (/32, /128)", () => {
    for (const a of [0n, 0xffffffffn, MAX6]) {
      const set = new RunSet(a, a);
      expect(set.lowestFree()).toBe(a);
      expect(set.add(a)).toBe(true);
      expect(set.add(a)).toBe(false);
      expect(set.lowestFree()).toBeUndefined();
      expect([...set.ranges()]).toEqual([[a, a]]);
      expect(set.delete(a)).toBe(true);
      expect(set.runCount).toBe(0);
      expect(set.lowestFree()).toBe(a);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// FreeSpace

interface Parent {
  name: string;
  family: Family;
  first: bigint;
  /** log2 of the parent's size */
  hostBits: number;
}

const PARENTS: Parent[] = [
  { name: "10.0.0.0/24", family: 4, first: 0x0a000000n, hostBits: 8 },
  { name: "192.168.0.0/20", family: 4, first: 0xc0a80000n, hostBits: 12 },
  { name: "255.255.255.0/24 (top of IPv4)", family: 4, first: 0xffffff00n, hostBits: 8 },
  { name: "0.0.0.0/0", family: 4, first: 0n, hostBits: 32 },
  { name: "ffff:...:ff00/120 (top of IPv6)", family: 6, first: MAX6 - 255n, hostBits: 8 },
  { name: "2001:db8::/64", family: 6, first: 0x20010db8n << 96n, hostBits: 64 },
  { name: "::/0", family: 6, first: 0n, hostBits: 128 },
];

interface Block {
  start: bigint;
  size: bigint;
}

/** The naive model: the taken blocks; free space is their complement in [first, last]. */
class FreeModel {
  taken: Block[] = [];
  constructor(
    readonly family: Family,
    readonly first: bigint,
    readonly last: bigint,
  ) {}

  freeRanges(): [bigint, bigint][] {
    const sorted = [...this.taken].sort((a, b) => (a.start < b.start ? -1 : 1));
    const out: [bigint, bigint][] = [];
    let at = this.first;
    for (const b of sorted) {
      if (b.start > at) out.push([at, b.start - 1n]);
      at = b.start + b.size;
    }
    if (at <= this.last) out.push([at, this.last]);
    return out;
  }

  /** The minimal sorted CIDR decomposition, via src/net's rangeToPrefixes. */
  blocks(): Block[] {
    const bitlen = this.family === 4 ? 32 : 128;
    return this.freeRanges().flatMap(([a, b]) =>
      rangeToPrefixes(this.family, a, b).map((p) => ({ start: p.addr, size: 1n << BigInt(bitlen - p.bits) })),
    );
  }

  /** go-ipam's rule: the smallest free block that holds `size`, lowest address first; its lowest sub-block. */
  bestFit(size: bigint): bigint | undefined {
    let best: Block | undefined;
    for (const b of this.blocks()) if (b.size >= size && (best === undefined || b.size < best.size)) best = b;
    return best?.start;
  }

  isFree(start: bigint, size: bigint): boolean {
    if (start < this.first || start + size - 1n > this.last) return false;
    return this.taken.every((b) => start + size <= b.start || b.start + b.size <= start);
  }
}

type FreeOp =
  | { t: "best"; k: number }
  | { t: "specific"; k: number; mode: number; pick: number; delta: bigint }
  | { t: "release"; pick: number };

const freeOp: fc.Arbitrary<FreeOp> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ t: fc.constant("best" as const), k: fc.nat(200) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant("specific" as const),
      k: fc.nat(200),
      mode: fc.nat(5),
      pick: fc.nat(1000),
      delta: fc.bigInt(0n, MAX6),
    }),
  },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("release" as const), pick: fc.nat(1000) }) },
);

/** Requested sizes: mostly small blocks (so a big parent fragments), sometimes anything up to the whole parent. */
function sizeOf(k: number, hostBits: number): bigint {
  const bits = k % 4 === 0 ? k % (hostBits + 1) : k % Math.min(hostBits + 1, 9);
  return 1n << BigInt(bits);
}

function specificStart(op: Extract<FreeOp, { t: "specific" }>, size: bigint, m: FreeModel, p: Parent): bigint {
  const parentSize = 1n << BigInt(p.hostBits);
  const free = m.blocks();
  switch (op.mode) {
    case 0: // any aligned block of the parent
      return m.first + ((op.delta % (parentSize / size)) * size);
    case 1: // the start of a free block (free iff the block is at least that big)
      return free.length > 0 ? free[op.pick % free.length].start : m.first;
    case 2: // the start of a taken block
      return m.taken.length > 0 ? m.taken[op.pick % m.taken.length].start : m.first;
    case 3: // unaligned, near the start of a free range
    {
      const ranges = m.freeRanges();
      const base = ranges.length > 0 ? ranges[op.pick % ranges.length][0] : m.first;
      return base + BigInt(op.pick % 7);
    }
    case 4: // just outside the parent
      return op.pick % 2 === 0 && m.first >= size ? m.first - size : m.last + 1n;
    default: // anywhere, unaligned
      return m.first + (op.delta % parentSize);
  }
}

function checkFreeSpace(fs: FreeSpace, m: FreeModel): void {
  const expected = m.blocks();
  expect([...fs.blocks()]).toEqual(expected);
  expect(fs.rangeCount).toBe(m.freeRanges().length);
  expect(fs.isWhole(m.first, m.last)).toBe(m.taken.length === 0);
}

describe("FreeSpace against a naive interval model", () => {
  for (const p of PARENTS) {
    it(`best fit, specific takes and releases agree with go-ipam's rule in ${p.name}`, () => {
      const first = p.first;
      const last = p.first + (1n << BigInt(p.hostBits)) - 1n;
      fc.assert(
        fc.property(fc.array(freeOp, { maxLength: 60 }), (ops) => {
          const fs = new FreeSpace(first, last);
          const m = new FreeModel(p.family, first, last);
          for (const op of ops) {
            switch (op.t) {
              case "best": {
                const size = sizeOf(op.k, p.hostBits);
                const expected = m.bestFit(size);
                const got = fs.takeBestFit(size);
                expect(got).toBe(expected);
                if (got !== undefined) {
                  expect(got % size).toBe(0n); // aligned
                  m.taken.push({ start: got, size });
                }
                break;
              }
              case "specific": {
                const size = sizeOf(op.k, p.hostBits);
                const start = specificStart(op, size, m, p);
                if (start < 0n || start + size - 1n > MAX6) break;
                const expected = m.isFree(start, size);
                expect(fs.takeSpecific(start, size)).toBe(expected);
                if (expected) m.taken.push({ start, size });
                break;
              }
              case "release": {
                if (m.taken.length === 0) break;
                const [b] = m.taken.splice(op.pick % m.taken.length, 1);
                fs.release(b.start, b.size);
                break;
              }
            }
            checkFreeSpace(fs, m);
          }
          // releasing everything joins all neighbours back into one range
          while (m.taken.length > 0) {
            const b = m.taken.pop()!;
            fs.release(b.start, b.size);
          }
          checkFreeSpace(fs, m);
          expect(fs.rangeCount).toBe(1);
        }),
        { numRuns: p.hostBits <= 12 ? 120 : 60 },
      );
    }, 60_000);
  }

  it("a /20 filled with children of every size from /21 to /32 (worked examples of reference §2.5)", () => {
    const first = 0xc0a80000n; // 192.168.0.0/20
    const fs = new FreeSpace(first, first + 4095n);
    expect(fs.takeBestFit(2048n)).toBe(first); // /21 -> 192.168.0.0/21
    expect(fs.takeBestFit(1024n)).toBe(first + 2048n); // /22 -> 192.168.8.0/22
    expect(fs.takeBestFit(2048n)).toBeUndefined();
    fs.release(first + 2048n, 1024n);
    expect(fs.takeBestFit(16n)).toBe(first + 2048n); // /28 -> 192.168.8.0/28
    expect([...fs.blocks()].map((b) => [b.start - first, b.size])).toEqual([
      [2048n + 16n, 16n],
      [2048n + 32n, 32n],
      [2048n + 64n, 64n],
      [2048n + 128n, 128n],
      [2048n + 256n, 256n],
      [2048n + 512n, 512n],
      [3072n, 1024n],
    ]);
    expect(fs.takeBestFit(1024n)).toBe(first + 3072n); // /22 -> 192.168.12.0/22
  });

  it("best fit is not first fit: 10.0.0.0/16, /18, /24, release the /18, /24 -> 10.0.65.0/24", () => {
    const first = 0x0a000000n;
    const fs = new FreeSpace(first, first + 65535n);
    expect(fs.takeBestFit(1n << 14n)).toBe(first);
    expect(fs.takeBestFit(256n)).toBe(first + 64n * 256n);
    fs.release(first, 1n << 14n);
    expect(fs.takeBestFit(256n)).toBe(first + 65n * 256n);
    expect(fs.takeBestFit(1n << 15n)).toBe(first + 128n * 256n);
    expect(fs.takeBestFit(1n << 15n)).toBeUndefined();
  });
});
