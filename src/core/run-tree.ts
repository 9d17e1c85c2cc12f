// Runs of addresses (start -> end, inclusive) between a prefix's low and high run (see run-set.ts). Where
// the prefix has at most 2^32 addresses (every IPv4 prefix, IPv6 /96 and longer) they are 32-bit offsets from
// the prefix's first address in packed chunks (chunked-runs.ts, ~11 bytes a run); larger IPv6 prefixes keep
// bigints in a B+ tree (~60 bytes a run), which only addresses acquired out of order there ever reach.
import { BTree, compareBigints } from "./btree";
import { ChunkedRuns } from "./chunked-runs";

const MAX_UINT32_OFFSET = 0xffffffffn;

export class RunTree {
  private readonly packed: ChunkedRuns | null;
  private readonly bigints: BTree<bigint, bigint> | null;

  constructor(
    private readonly first: bigint,
    last: bigint,
  ) {
    const small = last - first <= MAX_UINT32_OFFSET;
    this.packed = small ? new ChunkedRuns() : null;
    this.bigints = small ? null : new BTree<bigint, bigint>(undefined, compareBigints);
  }

  get size(): number {
    return this.packed !== null ? this.packed.size : this.bigints!.size;
  }

  /** End of the run starting at `start`. */
  get(start: bigint): bigint | undefined {
    if (this.packed === null) return this.bigints!.get(start);
    const end = this.packed.get(Number(start - this.first));
    return end === undefined ? undefined : this.first + BigInt(end);
  }

  set(start: bigint, end: bigint): void {
    if (this.packed === null) this.bigints!.set(start, end);
    else this.packed.set(Number(start - this.first), Number(end - this.first));
  }

  delete(start: bigint): void {
    if (this.packed === null) this.bigints!.delete(start);
    else this.packed.delete(Number(start - this.first));
  }

  /** The run starting at or below x (an address of the prefix), as [start, end]. */
  atOrBelow(x: bigint): [bigint, bigint] | undefined {
    if (this.packed === null) return this.bigints!.getPairOrNextLower(x);
    const run = this.packed.atOrBelow(Number(x - this.first));
    return run === undefined ? undefined : [this.first + BigInt(run[0]), this.first + BigInt(run[1])];
  }

  *entries(): IterableIterator<[bigint, bigint]> {
    if (this.packed === null) yield* this.bigints!.entries();
    else for (const [start, end] of this.packed.entries()) yield [this.first + BigInt(start), this.first + BigInt(end)];
  }
}
