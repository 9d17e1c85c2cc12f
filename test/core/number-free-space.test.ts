// NumberFreeSpace (the in-place number treap under parents of up to 2^31 addresses) against a list of taken
// blocks, with long random sequences, and its treap invariants after every step: search order, heap order of
// the priorities, parent links, and every subtree's block-size mask.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NumberFreeSpace } from "../../src/core/number-free-space";

interface Block {
  start: number;
  size: number;
}

/** The minimal CIDR decomposition of [a, b). */
function decompose(a: number, b: number): Block[] {
  const out: Block[] = [];
  while (a < b) {
    let size = 1;
    while (a % (size * 2) === 0 && a + size * 2 <= b) size *= 2;
    out.push({ start: a, size });
    a += size;
  }
  return out;
}

function freeBlocks(span: number, taken: Block[]): Block[] {
  const sorted = [...taken].sort((x, y) => x.start - y.start);
  const out: Block[] = [];
  let at = 0;
  for (const t of sorted) {
    out.push(...decompose(at, t.start));
    at = t.start + t.size;
  }
  out.push(...decompose(at, span));
  return out;
}

interface TNode {
  start: number;
  end: number;
  mid: number;
  mask: number;
  sub: number;
  priority: number;
  left: TNode | null;
  right: TNode | null;
  up: TNode | null;
}

function checkTreap(space: NumberFreeSpace): void {
  const root = (space as unknown as { root: TNode | null }).root;
  if (root !== null) expect(root.up).toBe(null);
  let count = 0;
  const visit = (n: TNode | null, lo: number, hi: number): number => {
    if (n === null) return 0;
    count++;
    expect(n.start >= lo && n.end <= hi && n.start < n.end).toBe(true);
    let sub = n.mask;
    for (const c of [n.left, n.right]) {
      if (c === null) continue;
      expect(c.up).toBe(n);
      expect(c.priority <= n.priority).toBe(true);
    }
    sub |= visit(n.left, lo, n.start);
    sub |= visit(n.right, n.end, hi);
    expect(n.sub).toBe(sub);
    return sub;
  };
  visit(root, 0, space.span);
  expect(count).toBe(space.rangeCount);
}

type Op = { t: "best"; k: number } | { t: "specific"; k: number; at: number } | { t: "release"; pick: number };
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ t: fc.constant("best" as const), k: fc.nat(40) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("specific" as const), k: fc.nat(40), at: fc.nat() }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant("release" as const), pick: fc.nat() }) },
);

describe("NumberFreeSpace against a list of taken blocks", () => {
  for (const hostBits of [0, 1, 5, 12, 24, 31]) {
    it(`a parent of 2^${hostBits} addresses: best fit, specific takes and releases, treap invariants`, () => {
      const span = 2 ** hostBits;
      fc.assert(
        fc.property(fc.array(op, { maxLength: 150, size: "max" }), (ops) => {
          const space = new NumberFreeSpace(span);
          const taken: Block[] = [];
          for (const o of ops) {
            if (o.t === "release") {
              if (taken.length === 0) continue;
              const [b] = taken.splice(o.pick % taken.length, 1);
              space.release(b.start, b.size);
            } else {
              // mostly small blocks, so that the parent fragments; now and then any size
              const bits = o.k % 5 === 0 ? o.k % (hostBits + 1) : o.k % Math.min(hostBits + 1, 4);
              const size = 2 ** bits;
              const free = freeBlocks(span, taken);
              if (o.t === "best") {
                let best: Block | undefined;
                for (const b of free) if (b.size >= size && (best === undefined || b.size < best.size)) best = b;
                expect(space.takeBestFit(size)).toBe(best?.start ?? -1);
                if (best !== undefined) taken.push({ start: best.start, size });
              } else {
                const start = (o.at % (span / size)) * size;
                const isFree = taken.every((b) => start + size <= b.start || b.start + b.size <= start);
                expect(space.takeSpecific(start, size)).toBe(isFree);
                if (isFree) taken.push({ start, size });
              }
            }
            const blocks: Block[] = [];
            space.forEachBlock((start, size) => blocks.push({ start, size }));
            expect(blocks).toEqual(freeBlocks(span, taken));
            checkTreap(space);
          }
          for (const b of taken) space.release(b.start, b.size);
          expect(space.isWhole).toBe(true);
          checkTreap(space);
        }),
        { numRuns: hostBits <= 5 ? 100 : 50 },
      );
    }, 60_000);
  }
});
