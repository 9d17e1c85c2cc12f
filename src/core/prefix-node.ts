// One prefix of a namespace: its range, the addresses acquired from it, and (once it has had children) the
// free space left for further children. Memory grows with what is allocated, never with the prefix's size.
import { type Family, type Prefix, bitLen, formatAddr, formatPrefix, prefixFirst, prefixLast } from "../net";
import { AddressLabels } from "./address-labels";
import { ChurnSafeMap } from "./churn-safe-map";
import { FreeSpace } from "./free-space";
import type { Labels } from "./labels";
import { RunSet } from "./run-set";
import type { Reservation } from "./types";

export class PrefixNode {
  readonly family: Family;
  readonly bits: number;
  readonly first: bigint;
  readonly last: bigint;
  readonly ips: RunSet;
  /** Live children by canonical CIDR; null until the first child (kept, empty, after the last one goes). */
  children: ChurnSafeMap<string, PrefixNode> | null = null;
  /** Free space for children; null until the first child (then all of it is free). */
  free: FreeSpace | null = null;
  /** The prefix's own labels; null when it has none. */
  labels: Labels | null = null;
  /** Labels of the labelled acquired addresses; null until the first one (so unlabelled prefixes cost nothing). */
  ipLabels: AddressLabels | null = null;
  reservation: Reservation = "default";

  constructor(
    /** Masked prefix. */
    prefix: Prefix,
    readonly cidr: string,
    readonly parent: PrefixNode | null,
  ) {
    this.family = prefix.family;
    this.bits = prefix.bits;
    this.first = prefixFirst(prefix);
    this.last = prefixLast(prefix);
    this.ips = new RunSet(this.first, this.last);
  }

  get parentCidr(): string {
    return this.parent === null ? "" : this.parent.cidr;
  }

  get size(): bigint {
    return this.last - this.first + 1n;
  }

  /** True when the first address is reserved at creation (go-ipam's reservation). */
  get reservesFirst(): boolean {
    return this.reservation === "default";
  }

  /** True when the last address is reserved at creation too (IPv4 prefixes of two or more addresses). */
  get reservesLast(): boolean {
    return this.reservation === "default" && this.family === 4 && this.last !== this.first;
  }

  /** The acquired addresses, formatted, in ascending order. */
  ipStrings(): string[] {
    const out: string[] = [];
    this.ips.forEach((v) => out.push(this.formatAddress(v)));
    return out;
  }

  /** True when an address other than the reserved ones is acquired. */
  hasIPs(): boolean {
    const held = this.ips.size;
    if (held === 0) return false;
    if (held > 2) return true;
    const reservedHeld =
      (this.reservesFirst && this.ips.has(this.first) ? 1 : 0) + (this.reservesLast && this.ips.has(this.last) ? 1 : 0);
    return held > reservedHeld;
  }

  labelsOf(x: bigint): Labels | undefined {
    return this.ipLabels === null ? undefined : this.ipLabels.get(x);
  }

  setIPLabels(x: bigint, labels: Labels): void {
    if (this.ipLabels === null) this.ipLabels = new AddressLabels(this.first, this.size);
    this.ipLabels.set(x, labels);
  }

  /** Forgets the labels of a released address; returns them. */
  dropIPLabels(x: bigint): Labels | undefined {
    return this.ipLabels === null ? undefined : this.ipLabels.delete(x);
  }

  childCount(): number {
    return this.children === null ? 0 : this.children.size;
  }

  /** True while the prefix has child prefixes (and so cannot hold IPs). */
  get isParent(): boolean {
    return this.children !== null && this.children.size > 0;
  }

  addChild(child: PrefixNode): void {
    if (this.children === null) this.children = new ChurnSafeMap();
    this.children.set(child.cidr, child);
  }

  /** Forgets a released child; its range must already be back in `free`. */
  removeChild(child: PrefixNode): void {
    this.children!.delete(child.cidr);
  }

  freeSpace(): FreeSpace {
    if (this.free === null) this.free = new FreeSpace(this.first, this.last);
    return this.free;
  }

  formatAddress(value: bigint): string {
    // The first address is the canonical CIDR's address part: no need to print it again.
    return value === this.first ? this.cidr.slice(0, this.cidr.lastIndexOf("/")) : formatAddr(this.family, value);
  }

  /** The free space as CIDR blocks in ascending order (the whole prefix while it has no children). */
  *freeBlocks(): IterableIterator<{ start: bigint; size: bigint }> {
    if (this.free === null) yield { start: this.first, size: this.size };
    else yield* this.free.blocks();
  }

  blockCidr(start: bigint, size: bigint): string {
    return formatPrefix({ family: this.family, addr: start, bits: bitLen(this.family) - log2(size) });
  }
}

export function log2(powerOfTwo: bigint): number {
  let n = 0;
  while (powerOfTwo > 1n) {
    powerOfTwo >>= 1n;
    n++;
  }
  return n;
}
