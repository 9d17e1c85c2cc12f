// Sorted, disjoint runs [start, end] of offsets, in packed chunks (packed-chunk.ts) of at most MAX_RUNS runs,
// found through the sorted list of the chunks' bases. Offsets are numbers (prefixes of up to 2^53 addresses)
// or bigints (larger IPv6 prefixes); inside a chunk everything is a number, as a chunk never spans 2^53.
// A run is found by two searches (the chunk list, then the chunk's deltas); inserting or removing one shifts
// the bits of one chunk, and splitting, merging or emptying a chunk moves one entry of the chunk list.
import { type Decoded, PackedChunk } from "./packed-chunk";
import type { RunStore } from "./run-store";

type Offset = number | bigint;

/** Most runs in a chunk; larger chunks cost less per run (a typed array has ~200 bytes of overhead) but shift more bits. */
export const MAX_RUNS = 512;
/**
 * The furthest a run may start from its chunk's base when it is inserted. Deltas and lengths then stay below
 * 2^53 (the widest field) as runs grow and split: a run is shorter than 2^52, its addresses came one by one.
 */
const MAX_START_DELTA = 2 ** 52;

const diff = <K extends Offset>(a: K, b: K): number =>
  typeof a === "number" ? a - (b as number) : Number((a as bigint) - (b as bigint));
const plus = <K extends Offset>(a: K, d: number): K =>
  (typeof a === "number" ? a + d : (a as bigint) + BigInt(d)) as K;
/** a - d, but not below zero (offsets are never negative). */
const minusFloor = <K extends Offset>(a: K, d: number): K =>
  (typeof a === "number" ? Math.max(0, a - d) : (a as bigint) > BigInt(d) ? (a as bigint) - BigInt(d) : 0n) as K;

export class PackedRuns<K extends Offset> implements RunStore<K> {
  /** Base of each chunk: at or below its first run's start, above every start in the previous chunk. */
  private bases: K[] = [];
  /**
   * The bases as numbers (rounded, for bigints), searched first: a contiguous array of doubles rather than
   * bigints scattered over the heap. Rounding keeps the order, so the exact answer is at most a step away.
   */
  private approx: number[] = [];
  private chunks: PackedChunk[] = [];
  private total = 0;
  /** A chunk this small merges with a neighbour when the two fit in half a chunk. */
  private readonly mergeAt: number;
  /** The run atOrBelow found. */
  foundStart!: K;
  foundEnd!: K;
  private foundChunk = 0;
  private foundIndex = 0;

  /** `maxRuns` per chunk (tests use small chunks to split and merge often). */
  constructor(private readonly maxRuns = MAX_RUNS) {
    this.mergeAt = maxRuns >>> 3;
  }

  get size(): number {
    return this.total;
  }

  get chunkCount(): number {
    return this.chunks.length;
  }

  /** Finds the run with the largest start <= x (into foundStart, foundEnd); false when there is none. */
  atOrBelow(x: K): boolean {
    let c = this.chunkFor(x);
    if (c < 0) return false;
    let chunk = this.chunks[c];
    let i = chunk.search(diff(x, this.bases[c]));
    if (i < 0) {
      // x lies between the chunk's base and its first run
      if (c === 0) return false;
      chunk = this.chunks[--c];
      i = chunk.count - 1;
    }
    return this.found(c, i);
  }

  /** Notes run i of chunk c as the one found. */
  private found(c: number, i: number): true {
    const start = plus(this.bases[c], this.chunks[c].delta(i));
    this.foundStart = start;
    this.foundEnd = plus(start, this.chunks[c].length(i));
    this.foundChunk = c;
    this.foundIndex = i;
    return true;
  }

  /** End of the run that starts at `start`. */
  endOf(start: K): K | undefined {
    return this.atOrBelow(start) && this.foundStart === start ? this.foundEnd : undefined;
  }

  /** Inserts the run [start, end], or changes the end of the run that starts at `start`. */
  set(start: K, end: K): void {
    const length = diff(end, start);
    const c = this.chunkFor(start);
    if (c >= 0) {
      const chunk = this.chunks[c];
      const d = diff(start, this.bases[c]);
      const i = chunk.search(d);
      if (i >= 0 && chunk.delta(i) === d) chunk.setLength(i, length);
      else this.insertAfter(c, i, start, length);
    } else this.insertAfter(-1, -1, start, length);
  }

  /** Adds the single offset x, joining the runs next to it; false when x is already in a run. */
  addOne(x: K): boolean {
    if (this.total === 0) {
      this.newChunk(0, x, 0);
      return true;
    }
    const c = this.chunkFor(x);
    if (c >= 0) {
      // Most often x falls between two runs of one chunk: all of it in deltas from the chunk's base.
      const chunk = this.chunks[c];
      const d = diff(x, this.bases[c]);
      const i = chunk.search(d);
      if (i >= 0 && i + 1 < chunk.count) {
        const belowLength = chunk.length(i);
        const past = d - chunk.delta(i) - belowLength; // x minus the run's end
        if (past <= 0) return false;
        const aboveDelta = chunk.delta(i + 1);
        if (past === 1 && aboveDelta === d + 1) {
          chunk.setLength(i, belowLength + 2 + chunk.length(i + 1));
          this.removeAt(c, i + 1);
        } else if (past === 1) chunk.setLength(i, belowLength + 1);
        else if (aboveDelta === d + 1) {
          chunk.setDelta(i + 1, d);
          chunk.setLength(i + 1, chunk.length(i + 1) + 1);
        } else this.insertAfter(c, i, x, 0);
        return true;
      }
    }
    let bc = c; // the run at or below x: run bi of chunk bc (bc = -1: there is none)
    let bi = c >= 0 ? this.chunks[c].search(diff(x, this.bases[c])) : -1;
    if (bi < 0 && c > 0) bi = this.chunks[--bc].count - 1;
    else if (bi < 0) bc = -1;
    let joinsBelow = false;
    let belowStart = x;
    let belowLength = 0;
    if (bc >= 0) {
      const chunk = this.chunks[bc];
      belowStart = plus(this.bases[bc], chunk.delta(bi));
      belowLength = chunk.length(bi);
      const past = diff(x, belowStart) - belowLength; // x minus the run's end
      if (past <= 0) return false;
      joinsBelow = past === 1;
    }
    // the run after it: run ni of chunk nc
    let nc = bc < 0 ? 0 : bc;
    let ni = bi + 1;
    if (ni === this.chunks[nc].count) {
      nc++;
      ni = 0;
    }
    let joinsAbove = false;
    let aboveDelta = 0;
    if (nc < this.chunks.length) {
      aboveDelta = this.chunks[nc].delta(ni);
      joinsAbove = diff(plus(this.bases[nc], aboveDelta), x) === 1;
    }
    if (joinsBelow && joinsAbove) {
      const aboveLength = this.chunks[nc].length(ni);
      this.chunks[bc].setLength(bi, belowLength + 2 + aboveLength);
      this.removeAt(nc, ni);
    } else if (joinsBelow) {
      this.chunks[bc].setLength(bi, belowLength + 1);
    } else if (joinsAbove && aboveDelta > 0) {
      const chunk = this.chunks[nc];
      chunk.setDelta(ni, aboveDelta - 1);
      chunk.setLength(ni, chunk.length(ni) + 1);
    } else if (joinsAbove) {
      // x is just below a chunk's base: take the run out and put it back one longer
      const start = this.bases[nc];
      const end = plus(start, this.chunks[nc].length(ni));
      this.removeAt(nc, ni);
      this.set(x, end);
    } else if (c >= 0 && bc === c) {
      this.insertAfter(c, bi, x, 0);
    } else {
      this.insertAfter(c, -1, x, 0); // below chunk c's first run (or every chunk)
    }
    return true;
  }

  /** Removes the single offset x from its run, splitting it; false when x is in no run. */
  removeOne(x: K): boolean {
    if (!this.atOrBelow(x)) return false;
    const c = this.foundChunk;
    const i = this.foundIndex;
    const start = this.foundStart;
    const end = this.foundEnd;
    const length = diff(end, start);
    const into = diff(x, start);
    if (into > length) return false;
    const chunk = this.chunks[c];
    if (length === 0) this.removeAt(c, i);
    else if (into === 0) {
      const next = plus(x, 1);
      if (i === chunk.count - 1 && c + 1 < this.chunks.length && !(next < this.bases[c + 1])) {
        this.removeAt(c, i); // its start would reach the next chunk's base: it moves there
        this.set(next, end);
      } else {
        chunk.setDelta(i, chunk.delta(i) + 1);
        chunk.setLength(i, length - 1);
      }
    } else if (into === length) chunk.setLength(i, length - 1);
    else {
      chunk.setLength(i, into - 1);
      this.insertAfter(c, i, plus(x, 1), length - into - 1);
    }
    return true;
  }

  /** Removes the run that starts at `start`, if there is one. */
  delete(start: K): void {
    if (this.atOrBelow(start) && this.foundStart === start) this.removeAt(this.foundChunk, this.foundIndex);
  }

  /** Calls fn for every run in ascending order. */
  forEach(fn: (start: K, end: K) => void): void {
    for (let c = 0; c < this.chunks.length; c++) {
      const chunk = this.chunks[c];
      const base = this.bases[c];
      for (let i = 0; i < chunk.count; i++) {
        const start = plus(base, chunk.delta(i));
        fn(start, plus(start, chunk.length(i)));
      }
    }
  }

  /** Calls fn for every run that ends at or after `from`, in ascending order, until fn returns false. */
  forEachFrom(from: K, fn: (start: K, end: K) => boolean): void {
    let c = 0;
    let i = 0;
    if (this.atOrBelow(from)) {
      c = this.foundChunk;
      i = this.foundEnd >= from ? this.foundIndex : this.foundIndex + 1;
    }
    for (; c < this.chunks.length; c++, i = 0) {
      const chunk = this.chunks[c];
      const base = this.bases[c];
      for (; i < chunk.count; i++) {
        const start = plus(base, chunk.delta(i));
        if (!fn(start, plus(start, chunk.length(i)))) return;
      }
    }
  }

  /** Finds the last run (into foundStart, foundEnd); false when there is none. */
  lastRun(): boolean {
    const c = this.chunks.length - 1;
    return c >= 0 && this.found(c, this.chunks[c].count - 1);
  }

  /**
   * Appends runs above every run held (a rebuild from sorted records): the last chunk is filled up, its
   * fields widened at most once, and the rest go into new full chunks, so no bits are shifted.
   */
  append(base: K, starts: ArrayLike<number>, lengths: ArrayLike<number>, count: number): void {
    let i = 0;
    const deltas: number[] = [];
    while (i < count) {
      const c = this.chunks.length - 1;
      if (c >= 0 && this.chunks[c].count < this.maxRuns) {
        const shift = diff(base, this.bases[c]); // where base lies from the chunk's base (exact when it matters)
        const room = this.maxRuns - this.chunks[c].count;
        let j = i;
        while (j < count && j - i < room && shift + starts[j] <= MAX_START_DELTA) j++;
        if (j > i) {
          deltas.length = 0;
          for (let k = i; k < j; k++) deltas.push(shift + starts[k]);
          this.chunks[c].appendRuns(deltas, Array.prototype.slice.call(lengths, i, j) as number[], 0, j - i, this.maxRuns, MAX_START_DELTA);
          this.total += j - i;
          i = j;
          continue;
        }
      }
      const origin = starts[i];
      let j = i + 1;
      while (j < count && j - i < this.maxRuns && starts[j] - origin <= MAX_START_DELTA) j++;
      const d: Decoded = { deltas: [], lengths: [] };
      for (let k = i; k < j; k++) {
        d.deltas.push(starts[k] - origin);
        d.lengths.push(lengths[k]);
      }
      const chunkBase = plus(base, origin);
      this.bases.push(chunkBase);
      this.approx.push(Number(chunkBase));
      const chunk = new PackedChunk();
      chunk.appendRuns(d.deltas, d.lengths, 0, j - i, this.maxRuns, MAX_START_DELTA);
      this.chunks.push(chunk);
      this.total += j - i;
      i = j;
    }
  }

  /** Bytes of typed-array storage (for measurements and tests). */
  get capacityBytes(): number {
    let n = 0;
    for (const chunk of this.chunks) n += chunk.capacityBytes;
    return n;
  }

  /** The last chunk whose base is <= x; -1 when x is below every chunk (or there is none). */
  private chunkFor(x: K): number {
    const approx = this.approx;
    const key = typeof x === "number" ? x : Number(x);
    let lo = 0;
    let hi = approx.length - 1;
    if (hi < 0 || key < approx[0]) return -1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (approx[mid] <= key) lo = mid;
      else hi = mid - 1;
    }
    if (typeof x !== "number") while (lo >= 0 && this.bases[lo] > x) lo--;
    return lo;
  }

  /**
   * Inserts the run (start, length) right after run i of chunk c (i = -1: before the chunk's first run;
   * c = -1: before every chunk), where it belongs in order.
   */
  private insertAfter(c: number, i: number, start: K, length: number): void {
    if (this.chunks.length === 0) {
      this.newChunk(0, start, length);
      return;
    }
    if (c < 0) {
      this.prepend(start, length);
      return;
    }
    let chunk = this.chunks[c];
    if (i === chunk.count - 1 && c + 1 < this.chunks.length && !(start < this.bases[c + 1])) {
      // every start of a chunk stays below the next chunk's base: it goes first into the next chunk
      chunk = this.chunks[++c];
      i = -1;
    }
    let d = diff(start, this.bases[c]);
    if (d > MAX_START_DELTA && i === chunk.count - 1) {
      // beyond every run of the chunk and far from its base: a chunk of its own
      this.newChunk(c + 1, start, length);
      return;
    }
    if (chunk.count === this.maxRuns && i === chunk.count - 1 && c === this.chunks.length - 1) {
      // past the end of a full last chunk (runs arriving in ascending order): a new chunk, leaving this one full
      this.newChunk(c + 1, start, length);
      return;
    }
    if (chunk.count === this.maxRuns) {
      this.split(c);
      if (!(start < this.bases[c + 1])) {
        i -= this.chunks[c].count;
        c++;
        d = diff(start, this.bases[c]);
      }
      chunk = this.chunks[c];
    }
    chunk.insert(i + 1, d, length);
    this.total++;
  }

  /** Removes run i of chunk c, dropping the chunk when it empties and merging it when it runs low. */
  private removeAt(c: number, i: number): void {
    const chunk = this.chunks[c];
    chunk.remove(i);
    this.total--;
    if (chunk.count === 0) {
      this.bases.splice(c, 1);
      this.approx.splice(c, 1);
      this.chunks.splice(c, 1);
    } else if (chunk.count <= this.mergeAt) {
      if (c + 1 < this.chunks.length && this.mergeable(c)) this.merge(c);
      else if (c > 0 && this.mergeable(c - 1)) this.merge(c - 1);
    }
  }

  private newChunk(c: number, start: K, length: number): void {
    const chunk = new PackedChunk();
    chunk.insert(0, 0, length);
    this.bases.splice(c, 0, start);
    this.approx.splice(c, 0, Number(start));
    this.chunks.splice(c, 0, chunk);
    this.total++;
  }

  /**
   * A run below every chunk: the first chunk takes it with a base lowered by the chunk's span again, so runs
   * arriving in descending order rebase it only now and then.
   */
  private prepend(start: K, length: number): void {
    const chunk = this.chunks[0];
    const span = diff(this.bases[0], start) + chunk.lastDelta;
    if (chunk.count >= this.maxRuns || 2 * span > MAX_START_DELTA) {
      this.newChunk(0, start, length);
      return;
    }
    const base = minusFloor(start, span);
    const decoded = chunk.decode();
    const shift = diff(this.bases[0], base);
    const d: Decoded = {
      deltas: [diff(start, base), ...decoded.deltas.map((x) => x + shift)],
      lengths: [length, ...decoded.lengths],
    };
    this.chunks[0] = PackedChunk.encode(d, 0, d.deltas.length, 0);
    this.bases[0] = base;
    this.approx[0] = Number(base);
    this.total++;
  }

  /** Moves the upper half of chunk c into a new chunk after it. */
  private split(c: number): void {
    const d = this.chunks[c].decode();
    const half = d.deltas.length >>> 1;
    const upper = PackedChunk.encode(d, half);
    this.chunks[c] = PackedChunk.encode(d, 0, half, 0);
    const base = plus(this.bases[c], d.deltas[half]);
    this.bases.splice(c + 1, 0, base);
    this.approx.splice(c + 1, 0, Number(base));
    this.chunks.splice(c + 1, 0, upper);
  }

  private mergeable(c: number): boolean {
    const a = this.chunks[c];
    const b = this.chunks[c + 1];
    return a.count + b.count <= this.maxRuns >>> 1 && diff(this.bases[c + 1], this.bases[c]) + b.lastDelta <= MAX_START_DELTA;
  }

  /** Appends chunk c+1 to chunk c and drops c+1. */
  private merge(c: number): void {
    const a = this.chunks[c].decode();
    const b = this.chunks[c + 1].decode();
    const shift = diff(this.bases[c + 1], this.bases[c]);
    for (let i = 0; i < b.deltas.length; i++) {
      a.deltas.push(b.deltas[i] + shift);
      a.lengths.push(b.lengths[i]);
    }
    this.chunks[c] = PackedChunk.encode(a, 0, a.deltas.length, 0);
    this.bases.splice(c + 1, 1);
    this.approx.splice(c + 1, 1);
    this.chunks.splice(c + 1, 1);
  }
}
