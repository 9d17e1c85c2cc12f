// Runs of addresses (start -> end, inclusive) in a B+ tree. Where a prefix has at most 2^53 addresses (every
// IPv4 prefix, IPv6 /75 and longer) the tree holds offsets from the prefix's first address as plain numbers,
// which V8 stores unboxed: about 8 bytes per run instead of the ~60 that two bigints cost.
import { BTree, compareBigints } from "./btree";

const MAX_EXACT_OFFSET = BigInt(Number.MAX_SAFE_INTEGER);

export class RunTree {
  private readonly numbers: BTree<number, number> | null;
  private readonly bigints: BTree<bigint, bigint> | null;

  constructor(
    private readonly first: bigint,
    last: bigint,
  ) {
    const small = last - first <= MAX_EXACT_OFFSET;
    this.numbers = small ? new BTree<number, number>(undefined, (a, b) => a - b) : null;
    this.bigints = small ? null : new BTree<bigint, bigint>(undefined, compareBigints);
  }

  get size(): number {
    return this.numbers !== null ? this.numbers.size : this.bigints!.size;
  }

  /** End of the run starting at `start`. */
  get(start: bigint): bigint | undefined {
    if (this.numbers === null) return this.bigints!.get(start);
    const end = this.numbers.get(Number(start - this.first));
    return end === undefined ? undefined : this.first + BigInt(end);
  }

  set(start: bigint, end: bigint): void {
    if (this.numbers === null) this.bigints!.set(start, end);
    else this.numbers.set(Number(start - this.first), Number(end - this.first));
  }

  delete(start: bigint): void {
    if (this.numbers === null) this.bigints!.delete(start);
    else this.numbers.delete(Number(start - this.first));
  }

  /** The run starting at or below x, as [start, end]. */
  atOrBelow(x: bigint): [bigint, bigint] | undefined {
    if (this.numbers === null) return this.bigints!.getPairOrNextLower(x);
    const offset = x - this.first;
    const run = this.numbers.getPairOrNextLower(offset > MAX_EXACT_OFFSET ? Number.MAX_SAFE_INTEGER : Number(offset));
    return run === undefined ? undefined : [this.first + BigInt(run[0]), this.first + BigInt(run[1])];
  }

  *entries(): IterableIterator<[bigint, bigint]> {
    if (this.numbers === null) yield* this.bigints!.entries();
    else for (const [start, end] of this.numbers.entries()) yield [this.first + BigInt(start), this.first + BigInt(end)];
  }
}
