// The free space of a parent prefix of any size, as maximal free address ranges (bigints) in a treap ordered
// by address. (Parents of at most 2^31 addresses use number-free-space.ts, the same treap in numbers.)
//
// Each range [start, end) splits into aligned CIDR blocks: sizes growing from `start` up to an aligned
// boundary `mid`, then shrinking to `end` (the minimal CIDR decomposition). The block sizes of a range are
// the set bits of (mid - start) and (end - mid), so a range's `mask` (their OR) says which block sizes it
// offers, and every treap node keeps the OR over its subtree. Best fit (the smallest free block that can hold
// the child, lowest address first; reference §2.5) is then one walk down the treap: O(log ranges) per
// acquire or release, however many children the parent holds.

export interface Block {
  start: bigint;
  size: bigint;
}

interface Node {
  start: bigint;
  end: bigint; // exclusive
  /** midpoint(start, end) */
  mid: bigint;
  /** The block sizes of the range: (mid - start) | (end - mid). */
  mask: bigint;
  subtreeMask: bigint;
  priority: number;
  left: Node | null;
  right: Node | null;
}

/** The aligned boundary of [start, end) where the block sizes stop growing and start shrinking. */
function midpoint(start: bigint, end: bigint): bigint {
  const length = end - start;
  if ((length & (length - 1n)) === 0n && (start & (length - 1n)) === 0n) return end; // one aligned block
  const highestDiffering = BigInt(bitLength(start ^ (end - 1n)) - 1);
  return ((end - 1n) >> highestDiffering) << highestDiffering;
}

function bitLength(x: bigint): number {
  let bits = 0;
  if (x >= 0x10000000000000000n) {
    x >>= 64n;
    bits = 64;
  }
  if (x >= 0x100000000n) {
    x >>= 32n;
    bits += 32;
  }
  return bits + 32 - Math.clz32(Number(x));
}

/** The aligned blocks of [start, end) in ascending address order. */
export function* rangeBlocks(start: bigint, end: bigint, mid = midpoint(start, end)): IterableIterator<Block> {
  let rising = mid - start;
  let at = start;
  while (rising > 0n) {
    const size = rising & -rising;
    yield { start: at, size };
    at += size;
    rising -= size;
  }
  let falling = end - mid;
  while (falling > 0n) {
    const size = 1n << BigInt(bitLength(falling) - 1);
    yield { start: at, size };
    at += size;
    falling -= size;
  }
}

/** Start of the lowest block of exactly `size` inside [start, end); `size` must be one of its block sizes. */
function blockOfSize(start: bigint, end: bigint, mid: bigint, size: bigint): bigint {
  const rising = mid - start;
  if ((rising & size) !== 0n) return start + (rising & (size - 1n));
  const falling = end - mid;
  return mid + (falling & ~(size * 2n - 1n));
}

let seed = 0x2545f491;
function nextPriority(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
}

function makeNode(start: bigint, end: bigint): Node {
  const mid = midpoint(start, end);
  const mask = (mid - start) | (end - mid);
  return { start, end, mid, mask, subtreeMask: mask, priority: nextPriority(), left: null, right: null };
}

function refresh(n: Node): Node {
  let m = n.mask;
  if (n.left !== null) m |= n.left.subtreeMask;
  if (n.right !== null) m |= n.right.subtreeMask;
  n.subtreeMask = m;
  return n;
}

function merge(a: Node | null, b: Node | null): Node | null {
  if (a === null) return b;
  if (b === null) return a;
  if (a.priority > b.priority) {
    a.right = merge(a.right, b);
    return refresh(a);
  }
  b.left = merge(a, b.left);
  return refresh(b);
}

/** Splits into ranges starting below `key` and ranges starting at or above it. */
function split(n: Node | null, key: bigint): [Node | null, Node | null] {
  if (n === null) return [null, null];
  if (n.start < key) {
    const [l, r] = split(n.right, key);
    n.right = l;
    return [refresh(n), r];
  }
  const [l, r] = split(n.left, key);
  n.left = r;
  return [l, refresh(n)];
}

export class BigintFreeSpace {
  private root: Node | null;
  private ranges = 1;

  /** All of [first, last] free. */
  constructor(first: bigint, last: bigint) {
    this.root = makeNode(first, last + 1n);
  }

  get rangeCount(): number {
    return this.ranges;
  }

  /** True when the whole of [first, last] is free again. */
  isWhole(first: bigint, last: bigint): boolean {
    return this.ranges === 1 && this.root!.start === first && this.root!.end === last + 1n;
  }

  /** Takes the lowest block of `size` from the smallest free block that holds it; undefined when none does. */
  takeBestFit(size: bigint): bigint | undefined {
    const available = this.root === null ? 0n : this.root.subtreeMask & -size;
    if (available === 0n) return undefined;
    const chosen = available & -available;
    let n = this.root!;
    for (;;) {
      if (n.left !== null && (n.left.subtreeMask & chosen) !== 0n) n = n.left;
      else if ((n.mask & chosen) !== 0n) break;
      else n = n.right!;
    }
    const at = blockOfSize(n.start, n.end, n.mid, chosen);
    this.carve(n.start, n.end, at, at + size);
    return at;
  }

  /** Takes [start, start+size) if all of it is free. */
  takeSpecific(start: bigint, size: bigint): boolean {
    const range = this.rangeAtOrBelow(start);
    if (range === null || range.end < start + size) return false;
    this.carve(range.start, range.end, start, start + size);
    return true;
  }

  /** Returns [start, start+size) to the free space, joining its free neighbours. */
  release(start: bigint, size: bigint): void {
    let from = start;
    let to = start + size;
    const [below, rest] = split(this.root, start);
    const [, above] = split(rest, to); // nothing free starts inside a taken block
    let left = below;
    if (below !== null) {
      const [keep, last] = this.splitLast(below);
      if (last!.end === start) {
        from = last!.start;
        this.ranges--;
        left = keep;
      } else left = merge(keep, last);
    }
    let right = above;
    if (above !== null) {
      const [first, keep] = this.splitFirst(above);
      if (first!.start === to) {
        to = first!.end;
        this.ranges--;
        right = keep;
      } else right = merge(first, keep);
    }
    this.ranges++;
    this.root = merge(merge(left, makeNode(from, to)), right);
  }

  /** Free blocks (the minimal CIDR decomposition of the free space) in ascending address order. */
  *blocks(): IterableIterator<Block> {
    const stack: Node[] = [];
    let n = this.root;
    while (n !== null || stack.length > 0) {
      while (n !== null) {
        stack.push(n);
        n = n.left;
      }
      const top = stack.pop()!;
      yield* rangeBlocks(top.start, top.end, top.mid);
      n = top.right;
    }
  }

  private rangeAtOrBelow(x: bigint): Node | null {
    let n = this.root;
    let best: Node | null = null;
    while (n !== null) {
      if (n.start <= x) {
        best = n;
        n = n.right;
      } else n = n.left;
    }
    return best;
  }

  /** Replaces the free range [start, end) by what remains of it after taking [from, to). */
  private carve(start: bigint, end: bigint, from: bigint, to: bigint): void {
    const [left, rest] = split(this.root, start);
    const [, right] = split(rest, start + 1n);
    let middle: Node | null = null;
    this.ranges--;
    if (start < from) {
      middle = makeNode(start, from);
      this.ranges++;
    }
    if (to < end) {
      middle = merge(middle, makeNode(to, end));
      this.ranges++;
    }
    this.root = merge(merge(left, middle), right);
  }

  private splitLast(n: Node): [Node | null, Node | null] {
    let last = n;
    while (last.right !== null) last = last.right;
    const [keep, tail] = split(n, last.start);
    return [keep, tail];
  }

  private splitFirst(n: Node): [Node | null, Node | null] {
    let first = n;
    while (first.left !== null) first = first.left;
    return split(n, first.start + 1n);
  }
}
