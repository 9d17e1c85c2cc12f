// Values by sorted key (numbers or bigints), with the neighbours of a key: what overlap checks among a
// namespace's top-level prefixes need. Keys live in sorted chunks of at most CHUNK, found through the
// chunks' first keys, so a lookup is two binary searches and an insert or delete shifts one chunk. A B+ tree
// from npm (sorted-btree) does the same at ~50 ns a call, which alone would take half of NewPrefix's budget.

const CHUNK = 64;

export class SortedIndex<K extends number | bigint, V> {
  private keys: K[][] = [];
  private values: V[][] = [];
  /** First key of each chunk. */
  private mins: K[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The value with the largest key <= k. */
  atOrBelow(k: K): V | undefined {
    const c = this.chunkFor(k);
    if (c < 0) return undefined;
    return this.values[c][lastAtOrBelow(this.keys[c], k)];
  }

  /** The entry with the largest key <= k, as [key, value]. */
  floorEntry(k: K): [K, V] | undefined {
    const c = this.chunkFor(k);
    if (c < 0) return undefined;
    const i = lastAtOrBelow(this.keys[c], k);
    return [this.keys[c][i], this.values[c][i]];
  }

  /** The entry with the largest key, as [key, value]. */
  lastEntry(): [K, V] | undefined {
    if (this.count === 0) return undefined;
    const c = this.keys.length - 1;
    const i = this.keys[c].length - 1;
    return [this.keys[c][i], this.values[c][i]];
  }

  /** Replaces the value of key k, which must be present. */
  replace(k: K, v: V): void {
    const c = this.chunkFor(k);
    this.values[c][lastAtOrBelow(this.keys[c], k)] = v;
  }

  /** The value with the smallest key > k. */
  above(k: K): V | undefined {
    const c = this.chunkFor(k);
    if (c < 0) return this.count === 0 ? undefined : this.values[0][0];
    const i = lastAtOrBelow(this.keys[c], k) + 1;
    if (i < this.keys[c].length) return this.values[c][i];
    return c + 1 < this.keys.length ? this.values[c + 1][0] : undefined;
  }

  get(k: K): V | undefined {
    const c = this.chunkFor(k);
    if (c < 0) return undefined;
    const i = lastAtOrBelow(this.keys[c], k);
    return this.keys[c][i] === k ? this.values[c][i] : undefined;
  }

  /** Adds k, which must not be present. */
  insert(k: K, v: V): void {
    if (this.count++ === 0) {
      // the last chunk is kept when it empties, so a namespace that comes and goes allocates nothing
      if (this.keys.length === 0) {
        this.keys.push([]);
        this.values.push([]);
        this.mins.push(k);
      }
      this.keys[0].push(k);
      this.values[0].push(v);
      this.mins[0] = k;
      return;
    }
    let c = Math.max(this.chunkFor(k), 0);
    if (this.keys[c].length === CHUNK) {
      const half = CHUNK >>> 1;
      this.keys.splice(c + 1, 0, this.keys[c].splice(half));
      this.values.splice(c + 1, 0, this.values[c].splice(half));
      this.mins.splice(c + 1, 0, this.keys[c + 1][0]);
      if (!(k < this.mins[c + 1])) c++;
    }
    const keys = this.keys[c];
    const values = this.values[c];
    const i = lastAtOrBelow(keys, k) + 1;
    keys.push(k);
    values.push(v);
    for (let j = keys.length - 1; j > i; j--) {
      keys[j] = keys[j - 1];
      values[j] = values[j - 1];
    }
    keys[i] = k;
    values[i] = v;
    if (i === 0) this.mins[c] = k;
  }

  delete(k: K): void {
    const c = this.chunkFor(k);
    if (c < 0) return;
    const keys = this.keys[c];
    const values = this.values[c];
    const i = lastAtOrBelow(keys, k);
    if (i < 0 || keys[i] !== k) return;
    this.count--;
    for (let j = i + 1; j < keys.length; j++) {
      keys[j - 1] = keys[j];
      values[j - 1] = values[j];
    }
    keys.pop();
    values.pop();
    if (keys.length === 0) {
      if (this.keys.length > 1) {
        this.keys.splice(c, 1);
        this.values.splice(c, 1);
        this.mins.splice(c, 1);
      }
      return;
    }
    if (i === 0) this.mins[c] = keys[0];
    // chunks that run low join a neighbour, so the chunk list stays proportional to the keys
    if (keys.length <= CHUNK / 8) {
      if (c + 1 < this.keys.length && keys.length + this.keys[c + 1].length <= CHUNK / 2) this.merge(c);
      else if (c > 0 && keys.length + this.keys[c - 1].length <= CHUNK / 2) this.merge(c - 1);
    }
  }

  *entries(): IterableIterator<[K, V]> {
    for (let c = 0; c < this.keys.length; c++) for (let i = 0; i < this.keys[c].length; i++) yield [this.keys[c][i], this.values[c][i]];
  }

  /** The entries from the one with the largest key <= k (from the first, when there is none), ascending. */
  *entriesFrom(k: K): IterableIterator<[K, V]> {
    let c = this.chunkFor(k);
    let i = c < 0 ? 0 : lastAtOrBelow(this.keys[c], k);
    if (c < 0) c = 0;
    for (; c < this.keys.length; c++, i = 0) for (; i < this.keys[c].length; i++) yield [this.keys[c][i], this.values[c][i]];
  }

  /** The last chunk whose first key is <= k; -1 when k is below every key (or there is none). */
  private chunkFor(k: K): number {
    const mins = this.mins;
    if (this.count === 0 || k < mins[0]) return -1;
    return lastAtOrBelow(mins, k);
  }

  /** Appends chunk c+1 to chunk c. */
  private merge(c: number): void {
    this.keys[c].push(...this.keys[c + 1]);
    this.values[c].push(...this.values[c + 1]);
    this.keys.splice(c + 1, 1);
    this.values.splice(c + 1, 1);
    this.mins.splice(c + 1, 1);
  }

}

/** Index of the last element <= k in a sorted array (-1 when there is none). */
function lastAtOrBelow<K extends number | bigint>(a: K[], k: K): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= k) lo = mid + 1;
    else hi = mid - 1;
  }
  return hi;
}
