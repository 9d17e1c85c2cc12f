// AddressSet (low run, high run, packed runs between) against a Set, with number offsets (prefixes of up to
// 2^53 addresses) and bigint offsets (larger ones), chunks small enough that every acquire pattern splits,
// merges, rebases and empties them: random, ascending, descending, strided, filling, draining.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AddressSet } from "../../src/core/address-set";

type Op =
  | { t: "add"; x: number }
  | { t: "delete"; x: number }
  | { t: "fill"; n: number }
  | { t: "stride"; x: number; n: number; step: number; down: boolean; del: boolean };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ t: fc.constant("add" as const), x: fc.nat() }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant("delete" as const), x: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("fill" as const), n: fc.nat(20) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant("stride" as const),
      x: fc.nat(),
      n: fc.integer({ min: 1, max: 60 }),
      step: fc.integer({ min: 1, max: 3 }),
      down: fc.boolean(),
      del: fc.boolean(),
    }),
  },
);

/** A span and the offsets the operations pick from: every offset of small spans, clusters in big ones. */
function shapes<K extends number | bigint>(spans: K[], of: (n: bigint) => K): fc.Arbitrary<{ span: K; points: K[] }> {
  return fc.constantFrom(...spans).map((span) => {
    const n = BigInt(span);
    if (n <= 64n) return { span, points: Array.from({ length: Number(n) }, (_, i) => of(BigInt(i))) };
    const set = new Set<bigint>();
    const cluster = (at: bigint) => {
      for (let k = -12n; k < 12n; k++) if (at + k >= 0n && at + k < n) set.add(at + k);
    };
    for (const at of [0n, n - 1n, n / 2n, n / 3n, 1n << 32n, 1n << 53n, (n / 3n) * 2n]) cluster(at);
    return { span, points: [...set].sort((a, b) => (a < b ? -1 : 1)).map(of) };
  });
}

function runsOf(model: Set<bigint>): string {
  const sorted = [...model].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const runs: [bigint, bigint][] = [];
  for (const x of sorted) {
    const top = runs.at(-1);
    if (top !== undefined && top[1] + 1n === x) top[1] = x;
    else runs.push([x, x]);
  }
  return runs.map(([s, e]) => `${s}-${e}`).join(",");
}

function check<K extends number | bigint>(set: AddressSet<K>, model: Set<bigint>, span: K): void {
  const runs: string[] = [];
  set.forEachRun((s, e) => runs.push(`${s}-${e}`));
  let lowest: bigint | undefined;
  for (let x = 0n; x < BigInt(span); x++)
    if (!model.has(x)) {
      lowest = x;
      break;
    }
  const free = set.lowestFree();
  expect(`size ${set.size} runs ${set.runCount} ${runs.join(",")} lowest ${free === undefined ? "none" : free}`).toBe(
    `size ${model.size} runs ${runsOf(model).split(",").filter((r) => r !== "").length} ${runsOf(model)} lowest ${lowest ?? "none"}`,
  );
}

function property<K extends number | bigint>(maxRuns: number, shape: { span: K; points: K[] }, ops: Op[]): void {
  const { span, points } = shape;
  const set = new AddressSet<K>(span, maxRuns);
  const model = new Set<bigint>();
  const at = (i: number) => points[i % points.length];
  for (const o of ops) {
    if (o.t === "add") {
      const x = at(o.x);
      expect(set.add(x)).toBe(!model.has(BigInt(x)));
      model.add(BigInt(x));
    } else if (o.t === "delete") {
      const x = at(o.x);
      expect(set.delete(x)).toBe(model.has(BigInt(x)));
      model.delete(BigInt(x));
    } else if (o.t === "fill") {
      for (let i = 0; i < o.n; i++) {
        const x = set.lowestFree();
        if (x === undefined) break;
        expect(model.has(BigInt(x))).toBe(false);
        set.add(x);
        model.add(BigInt(x));
      }
    } else {
      for (let i = 0; i < o.n; i++) {
        const x = at(o.x + (o.down ? o.n - i : i) * o.step);
        if (o.del) {
          expect(set.delete(x)).toBe(model.has(BigInt(x)));
          model.delete(BigInt(x));
        } else {
          expect(set.add(x)).toBe(!model.has(BigInt(x)));
          model.add(BigInt(x));
        }
      }
    }
    check(set, model, span);
  }
  for (const x of points) expect(set.has(x)).toBe(model.has(BigInt(x)));
  for (const x of [...model]) {
    const k = (typeof span === "number" ? Number(x) : x) as K;
    expect(set.delete(k)).toBe(true);
    model.delete(x);
  }
  check(set, model, span);
}

const NUMBER_SPANS = [1, 2, 3, 4, 5, 31, 64, 2 ** 24, 2 ** 32, 2 ** 53];
const BIGINT_SPANS = [1n << 53n, (1n << 53n) + 1n, 1n << 64n, 1n << 80n, 1n << 128n];

describe("AddressSet against a Set", () => {
  for (const maxRuns of [4, 16, 512]) {
    it(`number offsets, ${maxRuns} runs a chunk`, () => {
      fc.assert(
        fc.property(shapes(NUMBER_SPANS, Number), fc.array(op, { maxLength: 80, size: "max" }), (shape, ops) => property(maxRuns, shape, ops)),
        { numRuns: 150 },
      );
    });
    it(`bigint offsets, ${maxRuns} runs a chunk`, () => {
      fc.assert(
        fc.property(shapes(BIGINT_SPANS, (n) => n), fc.array(op, { maxLength: 80, size: "max" }), (shape, ops) => property(maxRuns, shape, ops)),
        { numRuns: 150 },
      );
    });
  }

  it("a prefix acquired in order is one run, whatever its size", () => {
    const set = new AddressSet<number>(2 ** 24);
    for (let i = 0; i < 100_000; i++) set.add(set.lowestFree()!);
    set.add(2 ** 24 - 1);
    expect(set.runCount).toBe(2);
    expect(set.capacityBytes).toBe(0);
  });
});
