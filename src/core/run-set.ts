// The acquired addresses of one prefix [first, last], kept as maximal runs of consecutive addresses.
//
// The run that starts at `first` (the "low run", holding the network address and everything acquired in order
// after it) and the run that ends at `last` (the "high run", the IPv4 broadcast address) live in two fields;
// only the runs in between go into a B+ tree (start -> end, inclusive; see run-tree.ts), created when first needed. So a fresh
// prefix costs no tree at all, acquiring the next free address extends the low run in O(1), and any other
// change costs O(log runs). A prefix filled from the bottom is a single run, whatever its size.
import { RunTree } from "./run-tree";

export class RunSet {
  /** End of the run starting at `first`; first - 1 when `first` is free. */
  private lowEnd: bigint;
  /** Start of the run ending at `last`, when it is not part of the low run; last + 1 otherwise. */
  private highStart: bigint;
  /** Runs strictly between the low and the high run, never adjacent to them or to each other. */
  private middle: RunTree | null = null;
  /** A number: every held address was added one at a time, so the count stays far below 2^53. */
  private count = 0;

  constructor(
    private readonly first: bigint,
    private readonly last: bigint,
  ) {
    this.lowEnd = first - 1n;
    this.highStart = last + 1n;
  }

  /** Number of addresses held. */
  get size(): number {
    return this.count;
  }

  get runCount(): number {
    return (this.lowEnd >= this.first ? 1 : 0) + (this.highStart <= this.last ? 1 : 0) + (this.middle?.size ?? 0);
  }

  has(x: bigint): boolean {
    if (x <= this.lowEnd || x >= this.highStart) return x >= this.first && x <= this.last;
    if (this.middle === null) return false;
    const run = this.middle.atOrBelow(x);
    return run !== undefined && run[1] >= x;
  }

  /** The lowest address that is not held, or undefined when all are. */
  lowestFree(): bigint | undefined {
    const candidate = this.lowEnd + 1n;
    return candidate <= this.last ? candidate : undefined;
  }

  /** Adds x (which must lie in [first, last]); false when it was already held. */
  add(x: bigint): boolean {
    if (this.has(x)) return false;
    this.count++;
    if (x === this.lowEnd + 1n) {
      this.lowEnd = x;
      const next = this.middle?.get(x + 1n);
      if (next !== undefined) {
        this.middle!.delete(x + 1n);
        this.lowEnd = next;
      }
    } else if (x === this.highStart - 1n) {
      this.highStart = x;
      const previous = this.middle?.atOrBelow(x - 1n);
      if (previous !== undefined && previous[1] === x - 1n) {
        this.middle!.delete(previous[0]);
        this.highStart = previous[0];
      }
    } else {
      this.addToMiddle(x);
      return true;
    }
    if (this.lowEnd + 1n === this.highStart) {
      this.lowEnd = this.last;
      this.highStart = this.last + 1n;
    }
    return true;
  }

  /** Removes x; false when it was not held. */
  delete(x: bigint): boolean {
    if (!this.has(x)) return false;
    this.count--;
    if (x <= this.lowEnd) {
      const end = this.lowEnd;
      this.lowEnd = x - 1n;
      if (x < end) {
        if (end === this.last) this.highStart = x + 1n;
        else this.tree().set(x + 1n, end);
      }
    } else if (x >= this.highStart) {
      const start = this.highStart;
      this.highStart = x + 1n;
      if (x > start) this.tree().set(start, x - 1n);
    } else {
      const tree = this.middle!;
      const [start, end] = tree.atOrBelow(x)!;
      if (start === x) tree.delete(start);
      else tree.set(start, x - 1n);
      if (end > x) tree.set(x + 1n, end);
    }
    return true;
  }

  /** Runs in ascending order, as [start, end] pairs. */
  *ranges(): IterableIterator<[bigint, bigint]> {
    if (this.lowEnd >= this.first) yield [this.first, this.lowEnd];
    if (this.middle !== null) for (const [start, end] of this.middle.entries()) yield [start, end];
    if (this.highStart <= this.last) yield [this.highStart, this.last];
  }

  /** Every held address in ascending order. */
  *values(): IterableIterator<bigint> {
    for (const [start, end] of this.ranges()) for (let x = start; x <= end; x++) yield x;
  }

  /** Calls fn for every held address in ascending order (cheaper than iterating values()). */
  forEach(fn: (x: bigint) => void): void {
    for (let x = this.first; x <= this.lowEnd; x++) fn(x);
    if (this.middle !== null) for (const [start, end] of this.middle.entries()) for (let x = start; x <= end; x++) fn(x);
    for (let x = this.highStart; x <= this.last; x++) fn(x);
  }

  private tree(): RunTree {
    if (this.middle === null) this.middle = new RunTree(this.first, this.last);
    return this.middle;
  }

  /** Adds x, which is adjacent to neither the low nor the high run. */
  private addToMiddle(x: bigint): void {
    const tree = this.tree();
    const below = tree.atOrBelow(x);
    const above = tree.get(x + 1n);
    const joinsBelow = below !== undefined && below[1] === x - 1n;
    if (joinsBelow && above !== undefined) {
      tree.delete(x + 1n);
      tree.set(below[0], above);
    } else if (joinsBelow) {
      tree.set(below[0], x);
    } else if (above !== undefined) {
      tree.delete(x + 1n);
      tree.set(x, above);
    } else {
      tree.set(x, x);
    }
  }
}
