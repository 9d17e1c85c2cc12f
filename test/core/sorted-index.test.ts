// SortedIndex (top-level prefixes by first address) against a sorted array, with number and bigint keys.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SortedIndex } from "../../src/core/sorted-index";

type Op<K> = { t: "insert"; k: K } | { t: "delete"; pick: number } | { t: "bulk"; from: K; n: number } | { t: "drain"; keepEvery: number };

function ops<K>(key: fc.Arbitrary<K>): fc.Arbitrary<Op<K>[]> {
  return fc.array(
    fc.oneof(
      { weight: 5, arbitrary: fc.record({ t: fc.constant("insert" as const), k: key }) },
      { weight: 4, arbitrary: fc.record({ t: fc.constant("delete" as const), pick: fc.nat() }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant("bulk" as const), from: key, n: fc.integer({ min: 1, max: 200 }) }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant("drain" as const), keepEvery: fc.integer({ min: 1, max: 30 }) }) },
    ),
    { maxLength: 40, size: "max" },
  );
}

function property<K extends number | bigint>(list: Op<K>[], probes: K[], step: (k: K, i: number) => K): void {
  const index = new SortedIndex<K, string>();
  const model = new Map<K, string>();
  const sorted = () => [...model.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const o of list) {
    if (o.t === "insert") {
      if (!model.has(o.k)) {
        index.insert(o.k, String(o.k));
        model.set(o.k, String(o.k));
      }
    } else if (o.t === "delete") {
      const keys = [...model.keys()];
      const k = keys.length > 0 ? keys[o.pick % keys.length] : probes[0];
      index.delete(k);
      model.delete(k);
    } else if (o.t === "bulk") {
      for (let i = 0; i < o.n; i++) {
        const k = step(o.from, i);
        if (!model.has(k)) {
          index.insert(k, String(k));
          model.set(k, String(k));
        }
      }
    } else {
      sorted().forEach((k, i) => {
        if (i % o.keepEvery !== 0) {
          index.delete(k);
          model.delete(k);
        }
      });
    }
    const keys = sorted();
    expect([...index.entries()]).toEqual(keys.map((k) => [k, String(k)]));
    expect(index.size).toBe(keys.length);
    for (const p of [...probes, ...keys]) {
      const below = keys.filter((k) => k <= p).at(-1);
      const above = keys.find((k) => k > p);
      expect(index.atOrBelow(p)).toBe(below === undefined ? undefined : String(below));
      expect(index.above(p)).toBe(above === undefined ? undefined : String(above));
      expect(index.get(p)).toBe(model.get(p));
    }
  }
}

describe("SortedIndex against a sorted array", () => {
  it("number keys", () => {
    const key = fc.oneof(fc.nat(0xffffffff), fc.nat(300));
    fc.assert(fc.property(ops(key), fc.array(key, { minLength: 1, maxLength: 10 }), (list, probes) => property(list, probes, (k, i) => k + i * 3)), { numRuns: 60 });
  });
  it("bigint keys", () => {
    const key = fc.oneof(fc.bigInt(0n, (1n << 128n) - 1n), fc.bigInt(0n, 300n));
    fc.assert(fc.property(ops(key), fc.array(key, { minLength: 1, maxLength: 10 }), (list, probes) => property(list, probes, (k, i) => k + BigInt(i) * 3n)), { numRuns: 60 });
  });
});
