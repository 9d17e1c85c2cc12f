// One chunk of packed runs: sorted runs of addresses stored as (delta, length) fields, where delta is the
// run's start minus the chunk's base (at or below the first run's start) and length is its end minus its start. Every field is dw + lw bits wide, dw and lw just wide enough for the largest delta and
// length in the chunk, so a chunk of n runs spanning s addresses costs about n * log2(s) bits: ~6 bytes a run
// for addresses scattered over an IPv6 /64, ~2 for addresses scattered over an IPv4 /8, with the run lengths
// mostly 0 bits. A field is found by binary search on the deltas; inserting or removing one shifts the bits
// above it.
import { FIELD_PADDING, bitsFor, moveBits, readField, writeField } from "./bit-fields";

/** Deltas and lengths of a chunk's runs, decoded. */
export interface Decoded {
  deltas: number[];
  lengths: number[];
}

export class PackedChunk {
  words: Uint32Array;
  count = 0;
  /** Bits per delta and per length. */
  dw = 0;
  lw = 0;

  constructor(capacityWords = FIELD_PADDING + 2) {
    this.words = new Uint32Array(capacityWords);
  }

  /** A chunk holding runs [from, to) of `d`, their deltas made relative to `origin` (by default the first of them). */
  static encode(d: Decoded, from = 0, to = d.deltas.length, origin = d.deltas[from]): PackedChunk {
    const shift = origin;
    let lw = 0;
    for (let i = from; i < to; i++) lw = Math.max(lw, bitsFor(d.lengths[i]));
    const dw = bitsFor(d.deltas[to - 1] - shift);
    const chunk = new PackedChunk(capacityFor(to - from, dw + lw));
    chunk.dw = dw;
    chunk.lw = lw;
    chunk.count = to - from;
    const fw = dw + lw;
    for (let i = from, pos = 0; i < to; i++, pos += fw) {
      writeField(chunk.words, pos, dw, d.deltas[i] - shift);
      writeField(chunk.words, pos + dw, lw, d.lengths[i]);
    }
    return chunk;
  }

  delta(i: number): number {
    return readField(this.words, i * (this.dw + this.lw), this.dw);
  }

  length(i: number): number {
    return readField(this.words, i * (this.dw + this.lw) + this.dw, this.lw);
  }

  get lastDelta(): number {
    return this.delta(this.count - 1);
  }

  /**
   * Index of the last run whose delta is <= d (-1 when none is). Deltas of scattered addresses grow about
   * linearly with the index, so the search starts where d would be if they did and gallops out from there:
   * a few probes in neighbouring words instead of a binary search across the chunk (at ten million
   * addresses, each probe of a binary search is a cache miss).
   */
  search(d: number): number {
    const n = this.count;
    if (n === 0) return -1;
    const words = this.words;
    const fw = this.dw + this.lw;
    const dw = this.dw;
    const top = readField(words, (n - 1) * fw, dw);
    if (d >= top) return n - 1;
    let lo: number; // delta(lo) <= d, or lo = -1
    let hi: number; // delta(hi) > d
    const guess = Math.floor((d / top) * (n - 1));
    if (readField(words, guess * fw, dw) <= d) {
      lo = guess;
      hi = n - 1;
      for (let step = 1; lo + step < n - 1; step *= 2) {
        if (readField(words, (lo + step) * fw, dw) > d) {
          hi = lo + step;
          break;
        }
        lo += step;
      }
    } else {
      hi = guess;
      lo = -1;
      for (let step = 1; hi - step >= 0; step *= 2) {
        if (readField(words, (hi - step) * fw, dw) <= d) {
          lo = hi - step;
          break;
        }
        hi -= step;
      }
    }
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if (readField(words, mid * fw, dw) <= d) lo = mid;
      else hi = mid;
    }
    return lo;
  }

  /** Inserts a run at index i (the caller keeps deltas sorted). */
  insert(i: number, delta: number, length: number): void {
    this.fit(delta, length, this.count + 1);
    const fw = this.dw + this.lw;
    moveBits(this.words, i * fw, (i + 1) * fw, (this.count - i) * fw);
    this.count++;
    writeField(this.words, i * fw, this.dw, delta);
    writeField(this.words, i * fw + this.dw, this.lw, length);
  }

  /**
   * Appends runs [from, to) of deltas and lengths, above every run held, growing the array at most once. Where
   * the deltas need wider fields, they are widened for the deltas the chunk would reach at `fullCount` runs if
   * they kept growing as they did (capped at `maxDelta`), so a chunk filled block by block re-encodes once or
   * twice rather than at every block.
   */
  appendRuns(deltas: ArrayLike<number>, lengths: ArrayLike<number>, from: number, to: number, fullCount: number, maxDelta: number): void {
    let lw = this.lw;
    for (let k = from; k < to; k++) lw = Math.max(lw, bitsFor(lengths[k]));
    const count = this.count + (to - from);
    const last = deltas[to - 1];
    let dw = this.dw;
    if (bitsFor(last) > dw) dw = bitsFor(Math.min(maxDelta, Math.max(last, Math.ceil((last / count) * fullCount))));
    if (dw !== this.dw || lw !== this.lw) this.reencode(dw, lw, count);
    else {
      const needed = wordsFor(count, dw + lw);
      if (needed > this.words.length) {
        const grown = new Uint32Array(needed + growthFor(needed));
        grown.set(this.words);
        this.words = grown;
      }
    }
    const fw = dw + lw;
    for (let k = from, pos = this.count * fw; k < to; k++, pos += fw) {
      writeField(this.words, pos, dw, deltas[k]);
      writeField(this.words, pos + dw, lw, lengths[k]);
    }
    this.count = count;
  }

  remove(i: number): void {
    const fw = this.dw + this.lw;
    moveBits(this.words, (i + 1) * fw, i * fw, (this.count - i - 1) * fw);
    this.count--;
  }

  setLength(i: number, length: number): void {
    this.fit(0, length, this.count);
    writeField(this.words, i * (this.dw + this.lw) + this.dw, this.lw, length);
  }

  /** Changes the delta of run i (the caller keeps deltas sorted). */
  setDelta(i: number, delta: number): void {
    this.fit(delta, 0, this.count);
    writeField(this.words, i * (this.dw + this.lw), this.dw, delta);
  }

  decode(): Decoded {
    const deltas: number[] = [];
    const lengths: number[] = [];
    const fw = this.dw + this.lw;
    for (let i = 0, pos = 0; i < this.count; i++, pos += fw) {
      deltas.push(readField(this.words, pos, this.dw));
      lengths.push(readField(this.words, pos + this.dw, this.lw));
    }
    return { deltas, lengths };
  }

  /** Bytes held by the chunk's fields, for measurements. */
  get capacityBytes(): number {
    return this.words.byteLength;
  }

  /** Makes room for `count` runs and fields wide enough for delta and length. */
  private fit(delta: number, length: number, count: number): void {
    const dw = Math.max(this.dw, bitsFor(delta));
    const lw = Math.max(this.lw, bitsFor(length));
    if (dw !== this.dw || lw !== this.lw) {
      this.reencode(dw, lw, count);
      return;
    }
    const needed = wordsFor(count, dw + lw);
    if (needed > this.words.length) {
      const grown = new Uint32Array(needed + growthFor(needed));
      grown.set(this.words);
      this.words = grown;
    }
  }

  private reencode(dw: number, lw: number, count: number): void {
    const old = this.decode();
    const words = new Uint32Array(capacityFor(count, dw + lw));
    for (let i = 0, pos = 0; i < this.count; i++, pos += dw + lw) {
      writeField(words, pos, dw, old.deltas[i]);
      writeField(words, pos + dw, lw, old.lengths[i]);
    }
    this.words = words;
    this.dw = dw;
    this.lw = lw;
  }
}

const wordsFor = (count: number, fw: number) => Math.ceil((count * fw) / 32) + FIELD_PADDING;
/** Chunks grow by a sixteenth: little slack, and a reallocation only every few inserts. */
const growthFor = (words: number) => Math.max(2, words >>> 4);
const capacityFor = (count: number, fw: number) => {
  const needed = wordsFor(count, fw);
  return needed + growthFor(needed);
};
