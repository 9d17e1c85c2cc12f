// Runs [start, end] of bigint offsets in a SortedIndex (start -> length), for prefixes of more than 2^64
// addresses (IPv6 shorter than /64). There, scattered addresses can lie further apart than a packed chunk
// spans (2^52), so packed runs would give each its own chunk (~300 bytes); a run here costs ~50 bytes, and
// every change is O(log runs). The same interface as PackedRuns, for AddressSet.
import type { RunStore } from "./run-store";
import { SortedIndex } from "./sorted-index";

export class SparseRuns implements RunStore<bigint> {
  private readonly runs = new SortedIndex<bigint, number>();
  /** The run atOrBelow found. */
  foundStart = 0n;
  foundEnd = 0n;

  get size(): number {
    return this.runs.size;
  }

  get capacityBytes(): number {
    return 0;
  }

  /** Finds the run with the largest start <= x (into foundStart, foundEnd); false when there is none. */
  atOrBelow(x: bigint): boolean {
    const run = this.runs.floorEntry(x);
    if (run === undefined) return false;
    this.foundStart = run[0];
    this.foundEnd = run[0] + BigInt(run[1]);
    return true;
  }

  /** End of the run that starts at `start`. */
  endOf(start: bigint): bigint | undefined {
    const length = this.runs.get(start);
    return length === undefined ? undefined : start + BigInt(length);
  }

  /** Inserts the run [start, end], or changes the end of the run that starts at `start`. */
  set(start: bigint, end: bigint): void {
    const length = Number(end - start);
    if (this.runs.get(start) === undefined) this.runs.insert(start, length);
    else this.runs.replace(start, length);
  }

  delete(start: bigint): void {
    this.runs.delete(start);
  }

  /** Adds the single offset x, joining the runs next to it; false when x is already in a run. */
  addOne(x: bigint): boolean {
    const below = this.atOrBelow(x) ? this.foundStart : undefined;
    if (below !== undefined && this.foundEnd >= x) return false;
    const joinsBelow = below !== undefined && this.foundEnd + 1n === x;
    const aboveLength = this.runs.get(x + 1n);
    if (joinsBelow && aboveLength !== undefined) {
      this.runs.delete(x + 1n);
      this.runs.replace(below!, Number(x - below!) + 1 + aboveLength);
    } else if (joinsBelow) this.runs.replace(below!, Number(x - below!));
    else if (aboveLength !== undefined) {
      this.runs.delete(x + 1n);
      this.runs.insert(x, aboveLength + 1);
    } else this.runs.insert(x, 0);
    return true;
  }

  /** Removes the single offset x from its run, splitting it; false when x is in no run. */
  removeOne(x: bigint): boolean {
    if (!this.atOrBelow(x) || this.foundEnd < x) return false;
    const start = this.foundStart;
    const end = this.foundEnd;
    if (start === x) this.runs.delete(start);
    else this.runs.replace(start, Number(x - start) - 1);
    if (end > x) this.runs.insert(x + 1n, Number(end - x) - 1);
    return true;
  }

  lastRun(): boolean {
    const last = this.runs.lastEntry();
    if (last === undefined) return false;
    this.foundStart = last[0];
    this.foundEnd = last[0] + BigInt(last[1]);
    return true;
  }

  append(base: bigint, starts: ArrayLike<number>, lengths: ArrayLike<number>, count: number): void {
    for (let i = 0; i < count; i++) this.runs.insert(base + BigInt(starts[i]), lengths[i]);
  }

  forEach(fn: (start: bigint, end: bigint) => void): void {
    for (const [start, length] of this.runs.entries()) fn(start, start + BigInt(length));
  }

  forEachFrom(from: bigint, fn: (start: bigint, end: bigint) => boolean): void {
    for (const [start, length] of this.runs.entriesFrom(from)) {
      const end = start + BigInt(length);
      if (end >= from && !fn(start, end)) return;
    }
  }
}
