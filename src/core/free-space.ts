// The free space of a parent prefix [first, last], in bigint addresses: numbers underneath where the parent
// has at most 2^31 addresses (number-free-space.ts), bigints beyond (bigint-free-space.ts). Best fit (the
// smallest free block that can hold the child, lowest address first; reference §2.5) is one walk down a
// treap either way: O(log ranges) per acquire or release, however many children the parent holds.
import { BigintFreeSpace, type Block } from "./bigint-free-space";
import { NumberFreeSpace } from "./number-free-space";

export type { Block };

const MAX_NUMBER_SPAN = 2n ** 31n;

export class FreeSpace {
  /** The number treap (offsets from first), when the parent is small enough for one. */
  readonly small: NumberFreeSpace | null;
  private readonly big: BigintFreeSpace | null;

  /** All of [first, last] free. */
  constructor(
    private readonly first: bigint,
    last: bigint,
  ) {
    const span = last - first + 1n;
    this.small = span <= MAX_NUMBER_SPAN ? new NumberFreeSpace(Number(span)) : null;
    this.big = this.small === null ? new BigintFreeSpace(first, last) : null;
  }

  get rangeCount(): number {
    return this.small !== null ? this.small.rangeCount : this.big!.rangeCount;
  }

  /** True when the whole of [first, last] is free again. */
  isWhole(first: bigint, last: bigint): boolean {
    return this.small !== null ? this.small.isWhole : this.big!.isWhole(first, last);
  }

  /** Takes the lowest block of `size` from the smallest free block that holds it; undefined when none does. */
  takeBestFit(size: bigint): bigint | undefined {
    if (this.small === null) return this.big!.takeBestFit(size);
    if (size > BigInt(this.small.span)) return undefined;
    const at = this.small.takeBestFit(Number(size));
    return at < 0 ? undefined : this.first + BigInt(at);
  }

  /** Takes [start, start+size) if all of it is free. */
  takeSpecific(start: bigint, size: bigint): boolean {
    if (this.small === null) return this.big!.takeSpecific(start, size);
    const offset = start - this.first;
    if (offset < 0n || offset + size > BigInt(this.small.span)) return false;
    return this.small.takeSpecific(Number(offset), Number(size));
  }

  /** Returns [start, start+size) to the free space, joining its free neighbours. */
  release(start: bigint, size: bigint): void {
    if (this.small === null) this.big!.release(start, size);
    else this.small.release(Number(start - this.first), Number(size));
  }

  /** Free blocks (the minimal CIDR decomposition of the free space) in ascending address order. */
  *blocks(): IterableIterator<Block> {
    if (this.small === null) {
      yield* this.big!.blocks();
      return;
    }
    const out: Block[] = [];
    const first = this.first;
    this.small.forEachBlock((start, size) => out.push({ start: first + BigInt(start), size: BigInt(size) }));
    yield* out;
  }
}
