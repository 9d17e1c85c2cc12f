// PackedRuns (runs in bit-packed chunks) against a sorted map, with number offsets and with bigint offsets
// spread further apart than 2^53, with chunks small enough to grow, split, rebase, merge and empty often;
// SparseRuns (runs one by one, for prefixes of more than 2^64 addresses) against the same map.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PackedRuns } from "../../src/core/packed-runs";
import type { RunStore } from "../../src/core/run-store";
import { SparseRuns } from "../../src/core/sparse-runs";

type Op<K> =
  | { t: "set"; start: K; len: number }
  | { t: "delete"; pick: number }
  | { t: "bulk"; from: K; n: number; gap: number; down: boolean }
  | { t: "drain"; keepEvery: number };

function ops<K>(offset: fc.Arbitrary<K>): fc.Arbitrary<Op<K>[]> {
  return fc.array(
    fc.oneof(
      { weight: 6, arbitrary: fc.record({ t: fc.constant("set" as const), start: offset, len: fc.oneof(fc.nat(3), fc.nat(2 ** 40)) }) },
      { weight: 4, arbitrary: fc.record({ t: fc.constant("delete" as const), pick: fc.nat() }) },
      {
        weight: 1,
        arbitrary: fc.record({ t: fc.constant("bulk" as const), from: offset, n: fc.integer({ min: 1, max: 150 }), gap: fc.integer({ min: 2, max: 9 }), down: fc.boolean() }),
      },
      { weight: 1, arbitrary: fc.record({ t: fc.constant("drain" as const), keepEvery: fc.integer({ min: 1, max: 50 }) }) },
    ),
    { maxLength: 50, size: "max" },
  );
}

const cmp = <K extends number | bigint>(a: K, b: K) => (a < b ? -1 : a > b ? 1 : 0);

function runModel<K extends number | bigint>(
  store: number | (() => RunStore<K>),
  list: Op<K>[],
  probes: K[],
  add: (k: K, n: number) => K,
  max: K,
): void {
  const runs = typeof store === "number" ? new PackedRuns<K>(store) : store();
  const model = new Map<K, K>();
  const put = (start: K, len: number) => {
    let end = add(start, len);
    if (end > max) end = max;
    runs.set(start, end);
    model.set(start, end);
  };
  const check = () => {
    const sorted = [...model.entries()].sort((a, b) => cmp(a[0], b[0]));
    const entries: [K, K][] = [];
    runs.forEach((start, end) => entries.push([start, end]));
    expect(entries).toEqual(sorted);
    expect(runs.size).toBe(model.size);
  };
  for (const o of list) {
    if (o.t === "set") put(o.start, o.len);
    else if (o.t === "delete") {
      const keys = [...model.keys()];
      if (keys.length > 0) {
        const k = keys[o.pick % keys.length];
        runs.delete(k);
        model.delete(k);
      } else runs.delete(add(max, 0)); // deleting from nothing is a no-op
    } else if (o.t === "bulk") {
      for (let i = 0; i < o.n; i++) {
        const j = o.down ? o.n - 1 - i : i;
        const s = add(o.from, j * o.gap);
        if (s <= max && !model.has(s)) put(s, 0);
      }
    } else {
      const keys = [...model.keys()].sort(cmp);
      keys.forEach((k, i) => {
        if (i % o.keepEvery !== 0) {
          runs.delete(k);
          model.delete(k);
        }
      });
    }
    check();
  }
  const sorted = [...model.entries()].sort((a, b) => cmp(a[0], b[0]));
  for (const x of [...probes, ...sorted.map(([s]) => s), ...sorted.map(([, e]) => e)]) {
    const below = sorted.filter(([s]) => s <= x).at(-1);
    expect(runs.atOrBelow(x)).toBe(below !== undefined);
    if (below !== undefined) expect([runs.foundStart, runs.foundEnd]).toEqual(below);
    expect(runs.endOf(x)).toBe(model.get(x));
  }
}

const MAX_NUMBER = 2 ** 53 - 1;
const numberOffset = fc.oneof(fc.nat(0xffffffff), fc.nat(5000), fc.integer({ min: MAX_NUMBER - 2 ** 42, max: MAX_NUMBER - 2 ** 41 }));
const REGIONS = [0n, 1n << 52n, 1n << 53n, 3n << 53n, 1n << 64n, (1n << 127n) - (1n << 60n)];
const bigOffset = fc.tuple(fc.constantFrom(...REGIONS), fc.bigInt(0n, 1n << 20n), fc.boolean()).map(([r, k, far]) => r + (far ? k << 33n : k));

describe("PackedRuns", () => {
  for (const maxRuns of [4, 8, 64]) {
    it(`number offsets, ${maxRuns} runs a chunk: agrees with a sorted map`, () => {
      fc.assert(
        fc.property(ops(numberOffset), fc.array(numberOffset, { minLength: 1, maxLength: 20 }), (list, probes) =>
          runModel(maxRuns, list, probes, (k, n) => k + n, MAX_NUMBER),
        ),
        { numRuns: 60 },
      );
    });
    it(`bigint offsets more than 2^53 apart, ${maxRuns} runs a chunk: agrees with a sorted map`, () => {
      fc.assert(
        fc.property(ops(bigOffset), fc.array(bigOffset, { minLength: 1, maxLength: 20 }), (list, probes) =>
          runModel(maxRuns, list, probes, (k, n) => k + BigInt(n), (1n << 128n) - 1n),
        ),
        { numRuns: 60 },
      );
    });
  }

  it("SparseRuns, bigint offsets more than 2^53 apart: agrees with a sorted map", () => {
    fc.assert(
      fc.property(ops(bigOffset), fc.array(bigOffset, { minLength: 1, maxLength: 20 }), (list, probes) =>
        runModel(() => new SparseRuns(), list, probes, (k, n) => k + BigInt(n), (1n << 128n) - 1n),
      ),
      { numRuns: 60 },
    );
  });

  it("keeps its chunks more than half full when runs arrive at random", () => {
    const runs = new PackedRuns<number>();
    let x = 12345;
    for (let i = 0; i < 200_000; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      runs.set(x & 0xffffff, x & 0xffffff);
    }
    // Structure, not timing: on average a chunk holds more than half of its most runs.
    expect(runs.size / (runs.chunkCount * 512)).toBeGreaterThan(0.5);
  });

  it("packs runs as dense as 10,000,000 scattered over a /64 into under 7 bytes each", () => {
    // 100,000 scattered over 2^57 offsets: the same mean gap (~2^40.4) as 10,000,000 over 2^64
    const runs = new PackedRuns<bigint>();
    let x = 0x2545f4914f6cdd1dn;
    const mask = (1n << 64n) - 1n;
    for (let i = 0; i < 100_000; i++) {
      x ^= (x << 13n) & mask;
      x ^= x >> 7n;
      x ^= (x << 17n) & mask;
      runs.set(x >> 7n, x >> 7n);
    }
    expect(runs.capacityBytes / runs.size).toBeLessThan(7);
  });
});
