// The free space of a parent of at most 2^31 addresses (every IPv4 parent but /0, IPv6 /97 and longer), as
// offsets from its first address: the free-space treap of bigint-free-space.ts in plain numbers, updated in
// place (nodes know their parent, so a change refreshes the block-size masks up one path) instead of split
// and merged, so taking or returning a block allocates at most one node. Block sizes are powers of two up to
// 2^31, so a range's mask (bit k set: it offers a block of 2^k) fits in an int32.

interface Node {
  start: number;
  end: number; // exclusive
  /** Where the range's aligned blocks stop growing and start shrinking (see midpoint). */
  mid: number;
  /** The block sizes of the range: (mid - start) | (end - mid), as int32 bits. */
  mask: number;
  /** OR of the masks in this subtree. */
  sub: number;
  priority: number;
  left: Node | null;
  right: Node | null;
  up: Node | null;
}

/** The aligned boundary of [start, end) where block sizes stop growing and start shrinking. */
function midpoint(start: number, end: number): number {
  const length = end - start;
  if ((length & (length - 1)) === 0 && (start & (length - 1)) === 0) return end; // one aligned block
  const highestDiffering = 31 - Math.clz32(start ^ (end - 1));
  return (((end - 1) >>> highestDiffering) << highestDiffering) >>> 0;
}

let seed = 0x2545f491;
function nextPriority(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
}

function makeNode(start: number, end: number, up: Node | null): Node {
  const mid = midpoint(start, end);
  const mask = (mid - start) | (end - mid);
  return { start, end, mid, mask, sub: mask, priority: nextPriority(), left: null, right: null, up };
}

function refresh(n: Node): void {
  let m = n.mask;
  if (n.left !== null) m |= n.left.sub;
  if (n.right !== null) m |= n.right.sub;
  n.sub = m;
}

/** Start of the lowest block of exactly `size` in the range; `size` must be one of its block sizes. */
function blockOfSize(n: Node, size: number): number {
  const rising = n.mid - n.start;
  if ((rising & size) !== 0) return n.start + ((rising & (size - 1)) >>> 0);
  return n.mid + (((n.end - n.mid) & ~(size * 2 - 1)) >>> 0);
}

export class NumberFreeSpace {
  private root: Node | null;
  private ranges = 1;

  /** All of [0, span) free; span <= 2^31. */
  constructor(readonly span: number) {
    this.root = makeNode(0, span, null);
  }

  get rangeCount(): number {
    return this.ranges;
  }

  /** True when all of [0, span) is free again. */
  get isWhole(): boolean {
    return this.ranges === 1 && this.root!.start === 0 && this.root!.end === this.span;
  }

  /** Takes the lowest block of `size` from the smallest free block that holds it; -1 when none does. */
  takeBestFit(size: number): number {
    if (this.root === null) return -1;
    const available = this.root.sub & -size;
    if (available === 0) return -1;
    const chosen = available & -available;
    let n = this.root;
    for (;;) {
      if (n.left !== null && (n.left.sub & chosen) !== 0) n = n.left;
      else if ((n.mask & chosen) !== 0) break;
      else n = n.right!;
    }
    const at = blockOfSize(n, chosen >>> 0);
    this.carve(n, at, at + size);
    return at;
  }

  /** Takes [start, start+size) if all of it is free. */
  takeSpecific(start: number, size: number): boolean {
    const n = this.atOrBelow(start);
    if (n === null || n.end < start + size) return false;
    this.carve(n, start, start + size);
    return true;
  }

  /** Returns [start, start+size), which must be taken, joining its free neighbours. */
  release(start: number, size: number): void {
    const end = start + size;
    // the free ranges just below and just above the block
    let below: Node | null = null;
    let above: Node | null = null;
    for (let n = this.root; n !== null; ) {
      if (n.start < start) {
        below = n;
        n = n.right;
      } else {
        above = n;
        n = n.left;
      }
    }
    const joinsBelow = below !== null && below.end === start;
    const joinsAbove = above !== null && above.start === end;
    if (joinsBelow && joinsAbove) {
      const to = above!.end;
      this.remove(above!);
      this.reshape(below!, below!.start, to);
    } else if (joinsBelow) this.reshape(below!, below!.start, end);
    else if (joinsAbove) this.reshape(above!, start, above!.end);
    else this.insert(start, end);
  }

  /** Calls fn for every free block (the minimal CIDR decomposition) in ascending order. */
  forEachBlock(fn: (start: number, size: number) => void): void {
    const stack: Node[] = [];
    let n = this.root;
    while (n !== null || stack.length > 0) {
      while (n !== null) {
        stack.push(n);
        n = n.left;
      }
      const top = stack.pop()!;
      let at = top.start;
      for (let rising = top.mid - top.start; rising > 0; ) {
        const size = (rising & -rising) >>> 0;
        fn(at, size);
        at += size;
        rising -= size;
      }
      for (let falling = top.end - top.mid; falling > 0; ) {
        const size = 2 ** (31 - Math.clz32(falling));
        fn(at, size);
        at += size;
        falling -= size;
      }
      n = top.right;
    }
  }

  private atOrBelow(x: number): Node | null {
    let best: Node | null = null;
    for (let n = this.root; n !== null; ) {
      if (n.start <= x) {
        best = n;
        n = n.right;
      } else n = n.left;
    }
    return best;
  }

  /** Replaces the free range n by what remains of it after taking [from, to). */
  private carve(n: Node, from: number, to: number): void {
    const end = n.end;
    if (n.start < from) {
      this.reshape(n, n.start, from);
      if (to < end) this.insert(to, end);
    } else if (to < end) this.reshape(n, to, end);
    else this.remove(n);
  }

  /** Gives node n the range [start, end) (its place in the order does not change). */
  private reshape(n: Node, start: number, end: number): void {
    n.start = start;
    n.end = end;
    n.mid = midpoint(start, end);
    n.mask = (n.mid - start) | (end - n.mid);
    this.refreshUp(n);
  }

  private insert(start: number, end: number): void {
    this.ranges++;
    let parent: Node | null = null;
    for (let n = this.root; n !== null; ) {
      parent = n;
      n = start < n.start ? n.left : n.right;
    }
    const x = makeNode(start, end, parent);
    if (parent === null) this.root = x;
    else if (start < parent.start) parent.left = x;
    else parent.right = x;
    while (x.up !== null && x.priority > x.up.priority) this.rotateUp(x);
    this.refreshUp(x.up); // x and what it rotated past are fresh; above, x's blocks are new
  }

  private remove(n: Node): void {
    this.ranges--;
    // rotate n down until it has at most one child, then splice it out
    while (n.left !== null && n.right !== null) this.rotateUp(n.left.priority > n.right.priority ? n.left : n.right);
    const child = n.left ?? n.right;
    const up = n.up;
    if (child !== null) child.up = up;
    if (up === null) this.root = child;
    else if (up.left === n) up.left = child;
    else up.right = child;
    if (up !== null) this.refreshUp(up);
  }

  /** Recomputes subtree masks from n up, stopping where nothing changes. */
  private refreshUp(n: Node | null): void {
    while (n !== null) {
      const before = n.sub;
      refresh(n);
      if (n.sub === before) {
        // masks above depend only on this one (and on untouched siblings)
        return;
      }
      n = n.up;
    }
  }

  /** Rotates x above its parent, keeping the order. */
  private rotateUp(x: Node): void {
    const p = x.up!;
    const g = p.up;
    if (p.left === x) {
      p.left = x.right;
      if (x.right !== null) x.right.up = p;
      x.right = p;
    } else {
      p.right = x.left;
      if (x.left !== null) x.left.up = p;
      x.left = p;
    }
    p.up = x;
    x.up = g;
    if (g === null) this.root = x;
    else if (g.left === p) g.left = x;
    else g.right = x;
    refresh(p);
    refresh(x);
  }
}
