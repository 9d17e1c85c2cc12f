// The labels of a prefix's labelled addresses, kept beside its address set so that unlabelled addresses cost
// nothing more than before. Keys are what the prefix keys its addresses by: number offsets from the first
// address for IPv4 (no allocation per entry), bigint addresses for IPv6. A ChurnSafeMap, because the same
// lowest address is acquired and released again and again.
import { ChurnSafeMap } from "./churn-safe-map";
import type { Labels } from "./labels";

export type AddressKey = number | bigint;

export class AddressLabels {
  private readonly map = new ChurnSafeMap<AddressKey, Labels>();
  /** The keys in ascending order, built by the first page of a paged listing; dropped when a key comes or goes. */
  private order: AddressKey[] | null = null;

  get size(): number {
    return this.map.size;
  }

  get(key: AddressKey): Labels | undefined {
    return this.map.get(key);
  }

  set(key: AddressKey, labels: Labels): void {
    if (this.order !== null && this.map.get(key) === undefined) this.order = null;
    this.map.set(key, labels);
  }

  /** Forgets the key's labels; returns them. */
  delete(key: AddressKey): Labels | undefined {
    const labels = this.map.get(key);
    if (labels !== undefined) {
      this.map.deleteLive(key);
      this.order = null;
    }
    return labels;
  }

  /** At most `limit` labelled keys above `after` whose labels `keep` accepts, ascending; `more` when others follow. */
  page(after: AddressKey | undefined, limit: number, keep: (labels: Labels) => boolean): { entries: [AddressKey, Labels][]; more: boolean } {
    const order = (this.order ??= this.sorted().map(([key]) => key));
    let i = 0;
    if (after !== undefined) {
      let hi = order.length;
      while (i < hi) {
        const mid = (i + hi) >>> 1;
        if (order[mid] <= after) i = mid + 1;
        else hi = mid;
      }
    }
    const entries: [AddressKey, Labels][] = [];
    for (; i < order.length; i++) {
      const labels = this.map.get(order[i])!;
      if (!keep(labels)) continue;
      if (entries.length === limit) return { entries, more: true };
      entries.push([order[i], labels]);
    }
    return { entries, more: false };
  }

  /** The labelled keys in ascending order, with their labels (optionally only those `keep` accepts). */
  sorted(keep?: (labels: Labels) => boolean): [AddressKey, Labels][] {
    const out: [AddressKey, Labels][] = [];
    for (const entry of this.map) if (keep === undefined || keep(entry[1])) out.push(entry);
    return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
}
