// What AddressSet needs from the runs it keeps between its low and its high run: sorted, disjoint runs
// [start, end] of offsets. PackedRuns packs them into bit fields; SparseRuns keeps them one by one.

export interface RunStore<K extends number | bigint> {
  readonly size: number;
  /** Bytes of typed-array storage (for measurements and tests). */
  readonly capacityBytes: number;
  /** The run atOrBelow found. */
  readonly foundStart: K;
  readonly foundEnd: K;
  /** Finds the run with the largest start <= x (into foundStart, foundEnd); false when there is none. */
  atOrBelow(x: K): boolean;
  /** End of the run that starts at `start`. */
  endOf(start: K): K | undefined;
  /** Inserts the run [start, end], or changes the end of the run that starts at `start`. */
  set(start: K, end: K): void;
  /** Removes the run that starts at `start`, if there is one. */
  delete(start: K): void;
  /** Adds the single offset x, joining the runs next to it; false when x is already in a run. */
  addOne(x: K): boolean;
  /** Removes the single offset x from its run, splitting it; false when x is in no run. */
  removeOne(x: K): boolean;
  /** Calls fn for every run in ascending order. */
  forEach(fn: (start: K, end: K) => void): void;
  /** Calls fn for every run that ends at or after `from`, in ascending order, until fn returns false. */
  forEachFrom(from: K, fn: (start: K, end: K) => boolean): void;
  /** Finds the last run (into foundStart, foundEnd); false when there is none. */
  lastRun(): boolean;
  /**
   * Appends `count` runs [base + starts[i], base + starts[i] + lengths[i]], ascending, each above and not
   * adjacent to the one before and to every run held (the caller checks). Starts are numbers below 2^53.
   */
  append(base: K, starts: ArrayLike<number>, lengths: ArrayLike<number>, count: number): void;
}
