// One prefix of a namespace: its range, the addresses acquired from it, and (once it has had children) the
// free space left for further children. Memory grows with what is allocated, never with the prefix's size.
//
// IPv4 prefixes keep their first address as a number and their addresses as number offsets from it, so the
// IPv4 paths of the namespace never touch a bigint; IPv6 prefixes keep bigints.
import { type Family, type Prefix, bitLen, formatAddr, formatIPv4, formatPrefix, prefixFirst, prefixSize } from "../net";
import { type AddressKey, AddressLabels } from "./address-labels";
import { AddressSet } from "./address-set";
import { FreeSpace } from "./free-space";
import type { Labels } from "./labels";
import { RunSet } from "./run-set";
import type { Reservation } from "./types";

/** 2^k for k = 0..32, the sizes of IPv4 prefixes (a table: `2 ** k` is a slow call in V8). */
const IPV4_SPANS: readonly number[] = Array.from({ length: 33 }, (_, k) => 2 ** k);

/** The number of addresses of an IPv4 prefix with `hostBits` host bits. */
export const ipv4Span = (hostBits: number): number => IPV4_SPANS[hostBits];

export class PrefixNode {
  readonly family: Family;
  readonly bits: number;
  /** bitLen(family) - bits. */
  readonly hostBits: number;
  /** IPv4: the first address (IPv6: 0). */
  readonly first4: number;
  /** IPv6: the first address (IPv4: 0n). */
  readonly first6: bigint;
  /**
   * IPv4: the acquired addresses, as offsets from first4; null while exactly the reserved ones are held (a new
   * prefix, or a parent), which is what most prefixes ever hold.
   */
  private set4: AddressSet<number> | null;
  /** IPv6: the acquired addresses. */
  readonly ips6: RunSet | null;
  /** Live children. */
  childCount = 0;
  /** Free space for children; null until the first child (then all of it is free; kept after the last one goes). */
  free: FreeSpace | null = null;
  /** IPv4: the last address printed, once needed (every record of a prefix's removal needs it again). */
  private lastText: string | null = null;
  /** Labels and a reservation choice: one field, null for the prefixes that have neither (most). */
  private extras: PrefixExtras | null = null;

  /** `reserved`: holding the addresses go-ipam reserves at creation (else nothing, for the records to fill). */
  private constructor(
    family: Family,
    bits: number,
    first4: number,
    first6: bigint,
    readonly cidr: string,
    readonly parent: PrefixNode | null,
    reserved: boolean,
  ) {
    this.family = family;
    this.bits = bits;
    this.hostBits = bitLen(family) - bits;
    this.first4 = first4;
    this.first6 = first6;
    if (family === 4) {
      this.set4 = reserved ? null : new AddressSet(IPV4_SPANS[this.hostBits]);
      this.ips6 = null;
    } else {
      this.set4 = null;
      this.ips6 = new RunSet(first6, this.last);
      if (reserved) this.ips6.add(first6);
    }
  }

  /** A new IPv4 prefix whose first address is `first` (a number), holding its reserved addresses (or none). */
  static v4(first: number, bits: number, cidr: string, parent: PrefixNode | null, reserved = true): PrefixNode {
    return new PrefixNode(4, bits, first, 0n, cidr, parent, reserved);
  }

  /** A prefix of either family from a masked Prefix, holding its reserved addresses or (`reserved` false) none. */
  static of(prefix: Prefix, cidr: string, parent: PrefixNode | null, reserved: boolean): PrefixNode {
    const first = prefixFirst(prefix);
    return prefix.family === 4
      ? new PrefixNode(4, prefix.bits, Number(first), 0n, cidr, parent, reserved)
      : new PrefixNode(6, prefix.bits, 0, first, cidr, parent, reserved);
  }

  /** IPv4: the acquired addresses, as offsets from first4. */
  ipv4(): AddressSet<number> {
    let set = this.set4;
    if (set === null) {
      set = new AddressSet(IPV4_SPANS[this.hostBits]);
      set.add(0);
      if (this.reservesLast) set.add(set.span - 1);
      this.set4 = set;
    }
    return set;
  }

  get parentCidr(): string {
    return this.parent === null ? "" : this.parent.cidr;
  }

  get first(): bigint {
    return this.family === 4 ? BigInt(this.first4) : this.first6;
  }

  get last(): bigint {
    return this.first + this.size - 1n;
  }

  get size(): bigint {
    return prefixSize(this.bits, this.family);
  }

  /** IPv4: the number of addresses. */
  get span4(): number {
    return IPV4_SPANS[this.hostBits];
  }

  /** Number of acquired addresses, reserved ones included. */
  get heldCount(): number {
    if (this.family === 6) return this.ips6!.size;
    return this.set4 === null ? (this.reservesLast ? 2 : 1) : this.set4.size;
  }

  /** Number of runs of consecutive acquired addresses. */
  get runCount(): number {
    return this.family === 6 ? this.ips6!.runCount : this.ipv4().runCount;
  }

  /** True when the last address is reserved at creation too (IPv4 prefixes of two or more addresses). */
  get reservesLast(): boolean {
    return this.family === 4 && this.hostBits > 0;
  }

  /** True while the prefix has child prefixes (and so cannot hold IPs). */
  get isParent(): boolean {
    return this.childCount > 0;
  }

  /** True when an address other than the reserved ones is acquired (any address, when the prefix reserves none). */
  hasIPs(): boolean {
    if (this.extras !== null && this.extras.reservation === "none") return this.heldCount > 0;
    if (this.family === 4 && this.set4 === null) return false;
    const held = this.heldCount;
    if (held === 0) return false;
    if (held > 2) return true;
    let reservedHeld: number;
    if (this.set4 !== null) reservedHeld = (this.set4.has(0) ? 1 : 0) + (this.reservesLast && this.set4.has(this.span4 - 1) ? 1 : 0);
    else reservedHeld = this.ips6!.has(this.first6) ? 1 : 0;
    return held > reservedHeld;
  }

  /** Whether the address `value` (of this family) lies in the prefix. */
  contains(value: bigint): boolean {
    if (this.family === 4) {
      const offset = Number(value) - this.first4;
      return offset >= 0 && offset < this.span4;
    }
    return value >= this.first6 && value <= this.last;
  }

  /** Acquires the address `value`, which lies in the prefix; false when it was held already. */
  addValue(value: bigint): boolean {
    return this.family === 4 ? this.ipv4().add(Number(value) - this.first4) : this.ips6!.add(value);
  }

  /**
   * Acquires the addresses start + offsets[i], strictly ascending and inside the prefix (the caller checks),
   * in one pass: what a rebuild from a store's sorted blocks uses. Returns the index of the first address that
   * was held already or out of order, or -1.
   */
  addSorted(start: bigint, offsets: ArrayLike<number>): number {
    return this.family === 4 ? this.ipv4().addSorted(Number(start) - this.first4, offsets) : this.ips6!.addSorted(start, offsets);
  }

  /** The prefix's own labels; null when it has none. */
  get labels(): Labels | null {
    return this.extras === null ? null : this.extras.labels;
  }

  set labels(labels: Labels | null) {
    this.extrasToSet().labels = labels;
  }

  /** "none": created holding no reserved address, and none counts as reserved. */
  get reservation(): Reservation {
    return this.extras === null ? "default" : this.extras.reservation;
  }

  set reservation(reservation: Reservation) {
    this.extrasToSet().reservation = reservation;
  }

  /** Labels of the labelled acquired addresses by address key; null until the first. */
  get ipLabels(): AddressLabels | null {
    return this.extras === null ? null : this.extras.ipLabels;
  }

  private extrasToSet(): PrefixExtras {
    if (this.extras === null) this.extras = { labels: null, reservation: "default", ipLabels: null };
    return this.extras;
  }

  // ---- labels of addresses, by key: the IPv4 offset from first4, or the IPv6 address ----

  keyOf(value: bigint): AddressKey {
    return this.family === 4 ? Number(value) - this.first4 : value;
  }

  /** A key, printed as an address. */
  formatKey(key: AddressKey): string {
    return this.family === 4 ? (key === 0 ? this.addressPart() : formatIPv4(this.first4 + (key as number))) : this.formatAddress(key as bigint);
  }

  labelsAt(key: AddressKey): Labels | undefined {
    const ipLabels = this.ipLabels;
    return ipLabels === null ? undefined : ipLabels.get(key);
  }

  setLabelsAt(key: AddressKey, labels: Labels): void {
    const extras = this.extrasToSet();
    if (extras.ipLabels === null) extras.ipLabels = new AddressLabels();
    extras.ipLabels.set(key, labels);
  }

  /** Forgets the labels of a released address; returns them. */
  dropLabelsAt(key: AddressKey): Labels | undefined {
    const ipLabels = this.ipLabels;
    return ipLabels === null ? undefined : ipLabels.delete(key);
  }

  /** The labelled addresses in ascending order, by key (optionally only those whose labels `keep` accepts). */
  labelled(keep?: (labels: Labels) => boolean): [AddressKey, Labels][] {
    const ipLabels = this.ipLabels;
    return ipLabels === null || ipLabels.size === 0 ? [] : ipLabels.sorted(keep);
  }

  /** The acquired addresses, formatted, in ascending order. */
  ipStrings(): string[] {
    const out: string[] = [];
    if (this.family === 4) {
      const first = this.first4;
      const head = this.addressPart();
      if (this.holdsOnlyReserved4()) {
        // just the reserved addresses (a prefix that was never used, or a parent)
        out.push(head);
        if (this.reservesLast) out.push(this.lastAddress4());
        return out;
      }
      this.set4!.forEachRun((start, end) => {
        for (let o = start; o <= end; o++) out.push(o === 0 ? head : formatIPv4(first + o));
      });
    } else {
      this.ips6!.forEach((v) => out.push(this.formatAddress(v)));
    }
    return out;
  }

  /**
   * At most `limit` acquired addresses above `after` (from the first when undefined), ascending, with their
   * keys; `more` when others follow. A page starts where the last one stopped, without walking what came before.
   */
  ipPage(after: bigint | undefined, limit: number): { ips: string[]; keys: AddressKey[]; more: boolean } {
    const ips: string[] = [];
    const keys: AddressKey[] = [];
    let more = false;
    const take = (key: AddressKey): boolean => {
      if (ips.length === limit) {
        more = true;
        return false;
      }
      ips.push(this.formatKey(key));
      keys.push(key);
      return true;
    };
    if (this.family === 6) {
      this.ips6!.forEachFrom(after === undefined ? this.first6 : after + 1n, take);
    } else {
      const from = after === undefined ? 0 : Number(after) - this.first4 + 1;
      if (this.holdsOnlyReserved4()) {
        for (const o of this.reservesLast ? [0, this.span4 - 1] : [0]) if (o >= from && !take(o)) break;
      } else {
        this.set4!.forEachRunFrom(from, (start, end) => {
          for (let o = Math.max(start, from); o <= end; o++) if (!take(o)) return false;
          return true;
        });
      }
    }
    return { ips, keys, more };
  }

  /** Whether the address `value`, which lies in the prefix, is acquired. */
  holdsValue(value: bigint): boolean {
    if (this.family === 6) return this.ips6!.has(value);
    const offset = Number(value) - this.first4;
    if (this.set4 === null) return offset === 0 || (this.reservesLast && offset === this.span4 - 1);
    return this.set4.has(offset);
  }

  /** IPv4: true when exactly the reserved addresses are held (a prefix never used, or a parent). */
  holdsOnlyReserved4(): boolean {
    if (this.family !== 4) return false;
    const ips = this.set4;
    if (ips === null) return true;
    if (this.hostBits === 0) return ips.size === 1 && ips.has(0);
    return ips.size === 2 && ips.has(0) && ips.has(this.span4 - 1);
  }

  /** IPv4: the last address, printed. */
  lastAddress4(): string {
    if (this.lastText === null) this.lastText = formatIPv4(this.first4 + this.span4 - 1);
    return this.lastText;
  }

  /** The CIDR's address part: the first address, printed. */
  addressPart(): string {
    return this.cidr.slice(0, this.cidr.length - 1 - (this.bits < 10 ? 1 : this.bits < 100 ? 2 : 3));
  }

  formatAddress(value: bigint): string {
    // The first address is the canonical CIDR's address part: no need to print it again.
    return value === this.first ? this.addressPart() : formatAddr(this.family, value);
  }

  freeSpace(): FreeSpace {
    if (this.free === null) this.free = new FreeSpace(this.first, this.last);
    return this.free;
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

interface PrefixExtras {
  labels: Labels | null;
  reservation: Reservation;
  ipLabels: AddressLabels | null;
}

export function log2(powerOfTwo: bigint): number {
  let n = 0;
  while (powerOfTwo > 1n) {
    powerOfTwo >>= 1n;
    n++;
  }
  return n;
}
