// The labels of a prefix's labelled addresses, kept beside its address set so that unlabelled addresses cost
// nothing more than before. Keys are what the prefix keys its addresses by: number offsets from the first
// address for IPv4 (no allocation per entry), bigint addresses for IPv6. A ChurnSafeMap, because the same
// lowest address is acquired and released again and again.
import { ChurnSafeMap } from "./churn-safe-map";
import type { Labels } from "./labels";

export type AddressKey = number | bigint;

export class AddressLabels {
  private readonly map = new ChurnSafeMap<AddressKey, Labels>();

  get size(): number {
    return this.map.size;
  }

  get(key: AddressKey): Labels | undefined {
    return this.map.get(key);
  }

  set(key: AddressKey, labels: Labels): void {
    this.map.set(key, labels);
  }

  /** Forgets the key's labels; returns them. */
  delete(key: AddressKey): Labels | undefined {
    const labels = this.map.get(key);
    if (labels !== undefined) this.map.deleteLive(key);
    return labels;
  }

  /** The labelled keys in ascending order, with their labels (optionally only those `keep` accepts). */
  sorted(keep?: (labels: Labels) => boolean): [AddressKey, Labels][] {
    const out: [AddressKey, Labels][] = [];
    for (const entry of this.map) if (keep === undefined || keep(entry[1])) out.push(entry);
    return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
}
