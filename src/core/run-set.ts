// The acquired addresses of one prefix, kept as maximal runs of consecutive addresses in a B+ tree
// (start -> end, inclusive). The lowest free address is read off the first run, so acquiring the next free
// address costs O(log runs) whatever the fill, and a prefix filled from the bottom is a single run.
import { BTree, compareBigints } from "./btree";

export class RunSet {
  private readonly runs: BTree<bigint, bigint> = new BTree<bigint, bigint>(undefined, compareBigints);
  private count = 0n;

  /** Number of addresses held. */
  get size(): bigint {
    return this.count;
  }

  get runCount(): number {
    return this.runs.size;
  }

  has(x: bigint): boolean {
    const run = this.runs.getPairOrNextLower(x);
    return run !== undefined && run[1] >= x;
  }

  /** The lowest address in [first, last] that is not held, or undefined when all are. */
  lowestFree(first: bigint, last: bigint): bigint | undefined {
    const run = this.runs.getPairOrNextLower(first);
    let candidate = first;
    if (run !== undefined && run[1] >= first) candidate = run[1] + 1n;
    return candidate <= last ? candidate : undefined;
  }

  /** Adds x; false when it was already held. */
  add(x: bigint): boolean {
    const below = this.runs.getPairOrNextLower(x);
    if (below !== undefined && below[1] >= x) return false;
    const above = this.runs.get(x + 1n);
    const joinsBelow = below !== undefined && below[1] === x - 1n;
    if (joinsBelow && above !== undefined) {
      this.runs.delete(x + 1n);
      this.runs.set(below[0], above);
    } else if (joinsBelow) {
      this.runs.set(below[0], x);
    } else if (above !== undefined) {
      this.runs.delete(x + 1n);
      this.runs.set(x, above);
    } else {
      this.runs.set(x, x);
    }
    this.count++;
    return true;
  }

  /** Removes x; false when it was not held. */
  delete(x: bigint): boolean {
    const run = this.runs.getPairOrNextLower(x);
    if (run === undefined || run[1] < x) return false;
    const [start, end] = run;
    if (start === x) this.runs.delete(start);
    else this.runs.set(start, x - 1n);
    if (end > x) this.runs.set(x + 1n, end);
    this.count--;
    return true;
  }

  /** Runs in ascending order, as [start, end] pairs. */
  *ranges(): IterableIterator<[bigint, bigint]> {
    for (const [start, end] of this.runs.entries()) yield [start, end];
  }

  /** Every held address in ascending order. */
  *values(): IterableIterator<bigint> {
    for (const [start, end] of this.runs.entries()) for (let x = start; x <= end; x++) yield x;
  }
}
