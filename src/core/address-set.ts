// The acquired addresses of one prefix, as offsets 0 .. span-1 from its first address, kept as maximal runs.
//
// The run starting at offset 0 (the "low run": the network address and everything acquired in order after
// it) and the run ending at span-1 (the "high run": the IPv4 broadcast address) are two fields; the runs in
// between are packed (packed-runs.ts), created when first needed. So a fresh prefix costs no storage at all,
// acquiring the next free address extends the low run in O(1), a prefix filled from the bottom is one run
// whatever its size, and any other change costs O(log runs). Offsets are numbers where the prefix has at most
// 2^53 addresses (every IPv4 prefix) and bigints beyond (large IPv6 prefixes); prefixes of more than 2^64
// addresses keep their runs sparse (sparse-runs.ts), as scattered addresses there lie too far apart to pack.
import { MAX_RUNS, PackedRuns } from "./packed-runs";
import type { RunStore } from "./run-store";
import { SparseRuns } from "./sparse-runs";

type Offset = number | bigint;

/** Prefixes with more addresses than this keep sparse runs. */
const SPARSE_ABOVE = 1n << 64n;

const inc = <K extends Offset>(x: K): K => (typeof x === "number" ? x + 1 : (x as bigint) + 1n) as K;
const dec = <K extends Offset>(x: K): K => (typeof x === "number" ? x - 1 : (x as bigint) - 1n) as K;
const zeroLike = <K extends Offset>(x: K): K => (typeof x === "number" ? 0 : 0n) as K;
/** a - b as a number (exact while below 2^53). */
const diff = <K extends Offset>(a: K, b: K): number =>
  typeof a === "number" ? a - (b as number) : Number((a as bigint) - (b as bigint));
const plus = <K extends Offset>(a: K, d: number): K => (typeof a === "number" ? a + d : (a as bigint) + BigInt(d)) as K;

/** Runs of the members addSorted is adding (shared: one call at a time). */
const scratchStarts: number[] = [];
const scratchLengths: number[] = [];

export class AddressSet<K extends Offset> {
  /** The low run is [0, lowEnd). */
  private lowEnd: K;
  /** The high run is [highStart, span), when it is not part of the low run (else highStart = span). */
  private highStart: K;
  /** Runs strictly between the low and the high run, never adjacent to them or to each other. */
  private middle: RunStore<K> | null = null;
  /** A number: held addresses came from calls and records, far fewer than 2^53. */
  private count = 0;

  /** `span` addresses, all free; `maxRuns` per packed chunk. */
  constructor(
    readonly span: K,
    private readonly maxRuns = MAX_RUNS,
  ) {
    this.lowEnd = zeroLike(span);
    this.highStart = span;
  }

  /** Number of offsets held. */
  get size(): number {
    return this.count;
  }

  get runCount(): number {
    return (this.lowEnd > 0 ? 1 : 0) + (this.highStart < this.span ? 1 : 0) + (this.middle?.size ?? 0);
  }

  has(x: K): boolean {
    if (x < this.lowEnd || x >= this.highStart) return x >= 0 && x < this.span;
    const middle = this.middle;
    return middle !== null && middle.atOrBelow(x) && middle.foundEnd >= x;
  }

  /** The lowest offset not held, or undefined when all are. */
  lowestFree(): K | undefined {
    return this.lowEnd < this.span ? this.lowEnd : undefined;
  }

  /** Adds x (0 <= x < span); false when it was already held. */
  add(x: K): boolean {
    if (x < this.lowEnd || x >= this.highStart) return false;
    const middle = this.middle;
    if (x === this.lowEnd) {
      let end = inc(x);
      if (middle !== null && middle.size > 0) {
        const joined = middle.endOf(end);
        if (joined !== undefined) {
          middle.delete(end);
          end = inc(joined);
        }
      }
      this.lowEnd = end;
    } else if (inc(x) === this.highStart) {
      let start = x;
      if (middle !== null && middle.size > 0 && middle.atOrBelow(x) && inc(middle.foundEnd) === x) {
        start = middle.foundStart;
        middle.delete(start);
      }
      this.highStart = start;
    } else if (!this.runs().addOne(x)) return false;
    if (this.lowEnd === this.highStart) {
      this.lowEnd = this.span;
      this.highStart = this.span;
    }
    this.count++;
    return true;
  }

  /**
   * Adds the offsets base + offsets[i], strictly ascending (a rebuild from a store's sorted blocks), all in
   * [0, span) (the caller checks). Members above everything held below the high run are appended as whole
   * runs; any other goes through add(). Returns the index of the first member that was already held or not
   * above the one before it, or -1 when all were added.
   */
  addSorted(base: K, offsets: ArrayLike<number>): number {
    const n = offsets.length;
    const starts = scratchStarts;
    const lengths = scratchLengths;
    let runs = 0;
    for (let i = 0; i < n; i++) {
      const x = offsets[i];
      if (i > 0 && !(x > offsets[i - 1])) return i;
      if (runs > 0 && x === starts[runs - 1] + lengths[runs - 1] + 1) lengths[runs - 1]++;
      else {
        starts[runs] = x;
        lengths[runs] = 0;
        runs++;
      }
    }
    // The last held offset below the high run, and the high run's start, from base, as numbers: exact below
    // 2^53, and further away they only ever send members down the slow path.
    let tail = diff(dec(this.lowEnd), base);
    const middle = this.middle !== null && this.middle.lastRun() ? this.middle : null;
    if (middle !== null) tail = diff(middle.foundEnd, base);
    const high = diff(this.highStart, base);
    let r = 0;
    if (runs > 0 && starts[0] === tail + 1 && starts[0] + lengths[0] + 1 < high) {
      // the first run joins the low run or the last middle run
      const end = plus(base, starts[0] + lengths[0]);
      if (middle === null) this.lowEnd = inc(end);
      else middle.set(middle.foundStart, end);
      this.count += lengths[0] + 1;
      r = 1;
    }
    let appendable = r;
    if (r < runs && starts[r] > tail + 1) while (appendable < runs && starts[appendable] + lengths[appendable] + 1 < high) appendable++;
    if (appendable > r) {
      this.runs().append(base, starts.slice(r, appendable), lengths.slice(r, appendable), appendable - r);
      for (let k = r; k < appendable; k++) this.count += lengths[k] + 1;
    }
    // The rest (a run reaching the high run, or members among those held) one by one.
    let index = 0;
    for (let k = 0; k < appendable; k++) index += lengths[k] + 1;
    for (; index < n; index++) if (!this.add(plus(base, offsets[index]))) return index;
    return -1;
  }

  /** Removes x; false when it was not held. */
  delete(x: K): boolean {
    if (x < this.lowEnd) {
      if (x < 0) return false;
      const end = this.lowEnd; // exclusive
      this.lowEnd = x;
      if (inc(x) < end) {
        if (end === this.span) this.highStart = inc(x);
        else this.runs().set(inc(x), dec(end));
      }
    } else if (x >= this.highStart) {
      if (x >= this.span) return false;
      const start = this.highStart;
      this.highStart = inc(x);
      if (x > start) this.runs().set(start, dec(x));
    } else if (this.middle === null || !this.middle.removeOne(x)) return false;
    this.count--;
    return true;
  }

  /** Calls fn for every run in ascending order, with its first and last offset. */
  forEachRun(fn: (start: K, end: K) => void): void {
    if (this.lowEnd > 0) fn(zeroLike(this.span), dec(this.lowEnd));
    if (this.middle !== null) this.middle.forEach(fn);
    if (this.highStart < this.span) fn(this.highStart, dec(this.span));
  }

  /**
   * Calls fn for every run that ends at or after `from`, in ascending order, until fn returns false: a page of
   * a listing starts where the last one stopped without walking the runs before it.
   */
  forEachRunFrom(from: K, fn: (start: K, end: K) => boolean): void {
    if (this.lowEnd > 0 && from < this.lowEnd && !fn(zeroLike(this.span), dec(this.lowEnd))) return;
    let going = true;
    if (this.middle !== null) this.middle.forEachFrom(from, (start, end) => (going = fn(start, end)));
    if (going && this.highStart < this.span) fn(this.highStart, dec(this.span));
  }

  /** Bytes of typed-array storage (for measurements and tests). */
  get capacityBytes(): number {
    return this.middle?.capacityBytes ?? 0;
  }

  private runs(): RunStore<K> {
    if (this.middle === null) {
      // (K is bigint where the span is, which TypeScript cannot follow)
      const sparse = typeof this.span === "bigint" && this.span > SPARSE_ABOVE;
      this.middle = sparse ? (new SparseRuns() as unknown as RunStore<K>) : new PackedRuns<K>(this.maxRuns);
    }
    return this.middle;
  }
}
