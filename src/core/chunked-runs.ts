// Runs of 32-bit offsets ([start, end], inclusive, sorted, disjoint) packed into Uint32Array chunks of up to
// CHUNK runs, with the first start of every chunk in a small index. A run costs 8 bytes plus chunk slack
// (about 11 bytes in all when runs arrive at random), where a JavaScript B+ tree spends about 35: that is what
// keeps addresses acquired in random order within the memory budget. Finding a run is two binary searches;
// inserting or removing one shifts at most one chunk (CHUNK runs) and, when a chunk splits, merges or
// empties, the index (one entry per chunk). A chunk starts small and doubles up to CHUNK runs.

const CHUNK = 256;
const FIRST_CAPACITY = 4;

export class ChunkedRuns {
  /** Each chunk holds its runs as start, end pairs; counts[i] runs are in use. */
  private chunks: Uint32Array[] = [];
  private counts: number[] = [];
  /** The first start of each chunk. */
  private mins: number[] = [];
  private total = 0;

  get size(): number {
    return this.total;
  }

  /** End of the run starting at `start`. */
  get(start: number): number | undefined {
    const c = this.chunkFor(start);
    if (c < 0) return undefined;
    const i = this.lastAtOrBelow(c, start);
    return i >= 0 && this.chunks[c][2 * i] === start ? this.chunks[c][2 * i + 1] : undefined;
  }

  /** The run with the largest start <= x, as [start, end]. */
  atOrBelow(x: number): [number, number] | undefined {
    const c = this.chunkFor(x);
    if (c < 0) return undefined;
    const i = this.lastAtOrBelow(c, x);
    if (i < 0) return undefined;
    const chunk = this.chunks[c];
    return [chunk[2 * i], chunk[2 * i + 1]];
  }

  /** Inserts the run [start, end], or changes the end of the run that starts at `start`. */
  set(start: number, end: number): void {
    if (this.chunks.length === 0) {
      this.chunks.push(new Uint32Array(2 * FIRST_CAPACITY));
      this.counts.push(0);
      this.mins.push(start);
    }
    let c = Math.max(this.chunkFor(start), 0);
    let i = this.lastAtOrBelow(c, start);
    if (i >= 0 && this.chunks[c][2 * i] === start) {
      this.chunks[c][2 * i + 1] = end;
      return;
    }
    if (this.counts[c] === CHUNK) {
      this.split(c);
      if (start >= this.mins[c + 1]) c++;
      i = this.lastAtOrBelow(c, start);
    } else if (2 * this.counts[c] === this.chunks[c].length) {
      const grown = new Uint32Array(2 * Math.min(CHUNK, 2 * this.counts[c]));
      grown.set(this.chunks[c]);
      this.chunks[c] = grown;
    }
    const chunk = this.chunks[c];
    const at = i + 1;
    chunk.copyWithin(2 * at + 2, 2 * at, 2 * this.counts[c]);
    chunk[2 * at] = start;
    chunk[2 * at + 1] = end;
    this.counts[c]++;
    if (at === 0) this.mins[c] = start;
    this.total++;
  }

  /** Removes the run that starts at `start`, if there is one. */
  delete(start: number): void {
    const c = this.chunkFor(start);
    if (c < 0) return;
    const i = this.lastAtOrBelow(c, start);
    const chunk = this.chunks[c];
    if (i < 0 || chunk[2 * i] !== start) return;
    chunk.copyWithin(2 * i, 2 * i + 2, 2 * this.counts[c]);
    this.counts[c]--;
    this.total--;
    if (this.counts[c] === 0) {
      this.remove(c);
      return;
    }
    if (i === 0) this.mins[c] = chunk[0];
    // Keep chunks reasonably full, so memory stays proportional to the runs after many releases.
    if (this.counts[c] <= CHUNK / 8) {
      if (c + 1 < this.chunks.length && this.counts[c] + this.counts[c + 1] <= CHUNK / 2) this.merge(c);
      else if (c > 0 && this.counts[c - 1] + this.counts[c] <= CHUNK / 2) this.merge(c - 1);
    }
  }

  *entries(): IterableIterator<[number, number]> {
    for (let c = 0; c < this.chunks.length; c++) {
      const chunk = this.chunks[c];
      for (let i = 0; i < this.counts[c]; i++) yield [chunk[2 * i], chunk[2 * i + 1]];
    }
  }

  /** The last chunk whose first start is <= x; 0 when x is below every chunk; -1 when there is none. */
  private chunkFor(x: number): number {
    let lo = 0;
    let hi = this.mins.length - 1;
    if (hi < 0) return -1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.mins[mid] <= x) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Index of the last run of chunk c whose start is <= x, or -1. */
  private lastAtOrBelow(c: number, x: number): number {
    const chunk = this.chunks[c];
    let lo = 0;
    let hi = this.counts[c] - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (chunk[2 * mid] <= x) lo = mid + 1;
      else hi = mid - 1;
    }
    return hi;
  }

  /** Appends chunk c+1 to chunk c (their runs fit in one chunk) and drops c+1. */
  private merge(c: number): void {
    const n = this.counts[c] + this.counts[c + 1];
    const merged = new Uint32Array(2 * Math.max(FIRST_CAPACITY, Math.min(CHUNK, 2 * n)));
    merged.set(this.chunks[c].subarray(0, 2 * this.counts[c]));
    merged.set(this.chunks[c + 1].subarray(0, 2 * this.counts[c + 1]), 2 * this.counts[c]);
    this.chunks[c] = merged;
    this.counts[c] = n;
    this.remove(c + 1);
  }

  private remove(c: number): void {
    this.chunks.splice(c, 1);
    this.counts.splice(c, 1);
    this.mins.splice(c, 1);
  }

  /** Moves the upper half of a full chunk into a new chunk after it. */
  private split(c: number): void {
    const chunk = this.chunks[c];
    const keep = CHUNK >> 1;
    const upper = new Uint32Array(2 * CHUNK);
    upper.set(chunk.subarray(2 * keep, 2 * CHUNK));
    this.chunks.splice(c + 1, 0, upper);
    this.counts.splice(c + 1, 0, CHUNK - keep);
    this.mins.splice(c + 1, 0, upper[0]);
    this.counts[c] = keep;
  }
}
