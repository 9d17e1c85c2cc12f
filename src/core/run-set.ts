// The acquired addresses of one prefix [first, last] as bigint addresses: an AddressSet of offsets from
// `first`, numbers where the prefix has at most 2^53 addresses and bigints beyond. What IPv6 prefixes use
// (IPv4 prefixes use an AddressSet of numbers directly).
import { AddressSet } from "./address-set";

const MAX_NUMBER_SPAN = 2n ** 53n;

export class RunSet {
  private readonly small: AddressSet<number> | null;
  private readonly big: AddressSet<bigint> | null;

  constructor(
    private readonly first: bigint,
    private readonly last: bigint,
  ) {
    const span = last - first + 1n;
    this.small = span <= MAX_NUMBER_SPAN ? new AddressSet(Number(span)) : null;
    this.big = this.small === null ? new AddressSet(span) : null;
  }

  /** Number of addresses held. */
  get size(): number {
    return this.small !== null ? this.small.size : this.big!.size;
  }

  get runCount(): number {
    return this.small !== null ? this.small.runCount : this.big!.runCount;
  }

  get capacityBytes(): number {
    return this.small !== null ? this.small.capacityBytes : this.big!.capacityBytes;
  }

  has(x: bigint): boolean {
    if (x < this.first || x > this.last) return false;
    return this.small !== null ? this.small.has(Number(x - this.first)) : this.big!.has(x - this.first);
  }

  /** The lowest address that is not held, or undefined when all are. */
  lowestFree(): bigint | undefined {
    const free = this.small !== null ? this.small.lowestFree() : this.big!.lowestFree();
    return free === undefined ? undefined : this.first + BigInt(free);
  }

  /** Adds x (which must lie in [first, last]); false when it was already held. */
  add(x: bigint): boolean {
    return this.small !== null ? this.small.add(Number(x - this.first)) : this.big!.add(x - this.first);
  }

  /**
   * Adds the addresses start + offsets[i] (strictly ascending, all in [first, last]: the caller checks);
   * returns the index of the first that was already held or out of order, or -1.
   */
  addSorted(start: bigint, offsets: ArrayLike<number>): number {
    return this.small !== null ? this.small.addSorted(Number(start - this.first), offsets) : this.big!.addSorted(start - this.first, offsets);
  }

  /** Removes x; false when it was not held. */
  delete(x: bigint): boolean {
    if (x < this.first || x > this.last) return false;
    return this.small !== null ? this.small.delete(Number(x - this.first)) : this.big!.delete(x - this.first);
  }

  /** Runs in ascending order, as [start, end] pairs. */
  *ranges(): IterableIterator<[bigint, bigint]> {
    const out: [bigint, bigint][] = [];
    const first = this.first;
    if (this.small !== null) this.small.forEachRun((s, e) => out.push([first + BigInt(s), first + BigInt(e)]));
    else this.big!.forEachRun((s, e) => out.push([first + s, first + e]));
    yield* out;
  }

  /** Every held address in ascending order. */
  *values(): IterableIterator<bigint> {
    for (const [start, end] of this.ranges()) for (let x = start; x <= end; x++) yield x;
  }

  /** Calls fn for every held address in ascending order (cheaper than iterating values()). */
  forEach(fn: (x: bigint) => void): void {
    for (const [start, end] of this.ranges()) for (let x = start; x <= end; x++) fn(x);
  }

  /** Calls fn for every held address >= from in ascending order, until fn returns false. */
  forEachFrom(from: bigint, fn: (x: bigint) => boolean): void {
    const first = this.first;
    if (from > this.last) return;
    if (from < first) from = first;
    if (this.small !== null) {
      const lowest = Number(from - first);
      this.small.forEachRunFrom(lowest, (start, end) => {
        for (let o = Math.max(start, lowest); o <= end; o++) if (!fn(first + BigInt(o))) return false;
        return true;
      });
    } else {
      const lowest = from - first;
      this.big!.forEachRunFrom(lowest, (start, end) => {
        for (let o = start > lowest ? start : lowest; o <= end; o++) if (!fn(first + o)) return false;
        return true;
      });
    }
  }
}
