// The labels of a prefix's labelled addresses, kept beside its RunSet so that unlabelled addresses cost
// nothing more than before. Keys are offsets from the prefix's first address: small integers (no allocation
// per entry) for prefixes of up to 2^32 addresses, bigints beyond. A ChurnSafeMap, because the same lowest
// address is acquired and released again and again.
import { ChurnSafeMap } from "./churn-safe-map";
import type { Labels } from "./labels";

const SMALL_PREFIX = 1n << 32n;

export class AddressLabels {
  private readonly map = new ChurnSafeMap<number | bigint, Labels>();
  private readonly small: boolean;

  constructor(
    private readonly first: bigint,
    size: bigint,
  ) {
    this.small = size <= SMALL_PREFIX;
  }

  get size(): number {
    return this.map.size;
  }

  get(x: bigint): Labels | undefined {
    return this.map.get(this.key(x));
  }

  set(x: bigint, labels: Labels): void {
    this.map.set(this.key(x), labels);
  }

  delete(x: bigint): Labels | undefined {
    const key = this.key(x);
    const labels = this.map.get(key);
    if (labels !== undefined) this.map.delete(key);
    return labels;
  }

  /** The labelled addresses in ascending order, with their labels (optionally only those `keep` accepts). */
  sorted(keep?: (labels: Labels) => boolean): [bigint, Labels][] {
    const out: [bigint, Labels][] = [];
    for (const [key, labels] of this.map) {
      if (keep === undefined || keep(labels)) out.push([this.first + BigInt(key), labels]);
    }
    return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  private key(x: bigint): number | bigint {
    return this.small ? Number(x - this.first) : x - this.first;
  }
}
