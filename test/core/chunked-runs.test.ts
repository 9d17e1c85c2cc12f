// ChunkedRuns (packed 32-bit runs) against a sorted Map model, with enough runs to grow, split, merge and
// empty chunks many times.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ChunkedRuns } from "../../src/core/chunked-runs";

type Op = { t: "set"; start: number; len: number } | { t: "delete"; pick: number } | { t: "bulk"; from: number; n: number; gap: number } | { t: "drain"; keepEvery: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant("set" as const), start: fc.nat(0xffffffff), len: fc.nat(3) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant("delete" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("bulk" as const), from: fc.nat(0xffff0000), n: fc.integer({ min: 1, max: 700 }), gap: fc.integer({ min: 2, max: 9 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("drain" as const), keepEvery: fc.integer({ min: 1, max: 50 }) }) },
);

function check(runs: ChunkedRuns, model: Map<number, number>): void {
  const sorted = [...model.entries()].sort((a, b) => a[0] - b[0]);
  expect([...runs.entries()]).toEqual(sorted);
  expect(runs.size).toBe(model.size);
}

describe("ChunkedRuns", () => {
  it("agrees with a sorted map under random inserts, updates, deletes, bulk loads and drains", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.array(fc.nat(0xffffffff), { minLength: 1, maxLength: 20 }), (ops, probes) => {
        const runs = new ChunkedRuns();
        const model = new Map<number, number>();
        const put = (start: number, end: number) => {
          runs.set(start, end);
          model.set(start, end);
        };
        const remove = (start: number) => {
          runs.delete(start);
          model.delete(start);
        };
        for (const o of ops) {
          if (o.t === "set") {
            // a new run, or a new end for an existing one (the structure does not look at overlaps)
            put(o.start, Math.min(0xffffffff, o.start + o.len));
          } else if (o.t === "delete") {
            const keys = [...model.keys()];
            if (keys.length > 0) remove(keys[o.pick % keys.length]);
            else runs.delete(o.pick); // deleting from nothing is a no-op
          } else if (o.t === "bulk") {
            for (let i = 0; i < o.n; i++) {
              const s = o.from + i * o.gap;
              if (s <= 0xffffffff && !model.has(s)) put(s, s);
            }
          } else {
            const keys = [...model.keys()].sort((a, b) => a - b);
            keys.forEach((k, i) => i % o.keepEvery !== 0 && remove(k));
          }
          check(runs, model);
        }
        const sorted = [...model.entries()].sort((a, b) => a[0] - b[0]);
        for (const x of probes) {
          const below = sorted.filter(([s]) => s <= x).at(-1);
          expect(runs.atOrBelow(x)).toEqual(below);
          expect(runs.get(x)).toBe(model.get(x));
        }
      }),
      { numRuns: 150 },
    );
  });

  it("keeps its chunks more than half full when runs arrive at random", () => {
    const runs = new ChunkedRuns();
    let x = 12345;
    for (let i = 0; i < 200_000; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      runs.set(x & 0xffffff, x & 0xffffff);
    }
    // Structure, not timing: chunks are at least a quarter full on average after random inserts.
    const chunks = (runs as unknown as { chunks: Uint32Array[] }).chunks;
    const capacity = chunks.reduce((sum, c) => sum + c.length / 2, 0);
    expect(runs.size / capacity).toBeGreaterThan(0.5);
  });
});
