// The core's vocabulary: what a namespace is asked to do, what it answers, and what it asks the store to keep.
// Everything here is plain data, so it crosses a Durable Object RPC boundary (structured clone) unchanged.
import type { Labels } from "./labels";

export type { Labels };

/**
 * Which addresses a prefix reserves when it is created: go-ipam's ("default": the first address, and the
 * last of an IPv4 prefix), or none (point-to-point /31 and /127, loopback pools, pools where the caller decides).
 */
export type Reservation = "default" | "none";

/** A prefix as clients see it: canonical CIDR and, for a child, its parent's canonical CIDR ("" otherwise). */
export interface PrefixInfo {
  cidr: string;
  parentCidr: string;
  /** Present only when the prefix has labels. */
  labels?: Labels;
  /** Present only when it is not "default". */
  reservation?: Reservation;
}

/** An acquired address and the canonical CIDR of the prefix it belongs to. */
export interface IPInfo {
  ip: string;
  parentPrefix: string;
  /** Present only when the address has labels. */
  labels?: Labels;
}

/** The acquired addresses of a prefix, and of those the labelled ones with their labels. */
export interface IPList {
  ips: string[];
  labelled: IPInfo[];
  /** Paged listings: the last address listed, when more follow (the next page starts after it). */
  next?: string;
}

/** Where a paged dump continues: at prefix `prefix` (or the next one, if it is gone), after its address `ip`. */
export interface DumpCursor {
  prefix: string;
  /** Absent: from the prefix's first address. */
  ip?: string;
}

export interface DumpPage {
  /** A dump in our format (edge-ipam/v1) holding this page's part of the namespace. */
  dump: string;
  /** Absent on the last page. */
  next?: DumpCursor;
}

/** go-ipam's Usage, exact for any prefix size (uint64 fields saturate at 2^64-1). */
export interface Usage {
  availableIPs: bigint;
  acquiredIPs: bigint;
  availableSmallestPrefixes: bigint;
  availablePrefixes: string[];
  acquiredPrefixes: bigint;
}

/**
 * One command against one namespace. Field names follow the wire API. `labels` are attached to what the
 * command creates; `selector` filters by labels (every key given, with exactly that value).
 */
export type Command =
  | { op: "createPrefix"; cidr: string; labels?: Labels; reservation?: Reservation }
  | { op: "deletePrefix"; cidr: string }
  | { op: "getPrefix"; cidr: string }
  /** `overlapping`: only the prefixes (children included) that overlap this CIDR. */
  | { op: "listPrefixes"; selector?: Labels; overlapping?: string }
  | { op: "prefixUsage"; cidr: string }
  | { op: "acquireChildPrefix"; cidr: string; length: number; childCidr?: string; labels?: Labels; reservation?: Reservation }
  /** `count` best-fit children, as `count` acquireChildPrefix in a row would take them; all or nothing. */
  | { op: "acquireChildPrefixes"; cidr: string; length: number; count: number; labels?: Labels; reservation?: Reservation }
  | { op: "releaseChildPrefix"; cidr: string }
  /** All or nothing; each is checked against the state before the command. */
  | { op: "releaseChildPrefixes"; cidrs: string[] }
  | { op: "acquireIP"; prefixCidr: string; ip?: string; labels?: Labels }
  /** The `count` lowest free addresses; all or nothing. */
  | { op: "acquireIPs"; prefixCidr: string; count: number; labels?: Labels }
  | { op: "releaseIP"; prefixCidr: string; ip: string }
  /** All or nothing: fails naming the first address that is not held. */
  | { op: "releaseIPs"; prefixCidr: string; ips: string[] }
  /** Every address whose labels match, in the prefix or (without prefixCidr) in the whole namespace. */
  | { op: "releaseIPsByLabel"; prefixCidr?: string; selector: Labels }
  | { op: "listIPs"; prefixCidr: string; selector?: Labels }
  /** With pageSize: at most that many addresses above `after`. Without: all of them (up to ONE_MESSAGE_MAX_ADDRESSES). */
  | { op: "listIPEntries"; prefixCidr: string; selector?: Labels; pageSize?: number; after?: string }
  | { op: "dump" }
  /** `append`: onto what the namespace holds, skipping records it holds already (else: into an empty namespace). */
  | { op: "load"; dump: string; append?: boolean }
  | { op: "exportGoIpam" }
  | { op: "importGoIpam"; dump: string; append?: boolean }
  /** About `pageSize` records (prefixes and addresses) of the namespace from `after` on, in our format. */
  | { op: "dumpPage"; pageSize: number; after?: DumpCursor };

/** What each command answers. */
export interface CommandResults {
  createPrefix: PrefixInfo;
  deletePrefix: PrefixInfo;
  getPrefix: PrefixInfo;
  listPrefixes: PrefixInfo[];
  prefixUsage: Usage;
  acquireChildPrefix: PrefixInfo;
  acquireChildPrefixes: PrefixInfo[];
  releaseChildPrefix: PrefixInfo;
  releaseChildPrefixes: PrefixInfo[];
  acquireIP: IPInfo;
  acquireIPs: IPInfo[];
  releaseIP: IPInfo;
  releaseIPs: IPInfo[];
  releaseIPsByLabel: IPInfo[];
  listIPs: string[];
  listIPEntries: IPList;
  dump: string;
  load: null;
  exportGoIpam: string;
  importGoIpam: null;
  dumpPage: DumpPage;
}

export type ResultOf<C extends Command> = CommandResults[C["op"]];

/**
 * The records a namespace is rebuilt from. One record per prefix and one per acquired address (reserved
 * addresses included), so every acquire or release changes O(1) records whatever the prefix's fill.
 */
export type IpamRecord = PrefixRecord | IPRecord;

export interface PrefixRecord {
  kind: "prefix";
  cidr: string;
  /** "" for a top-level prefix. */
  parentCidr: string;
  /** Absent when the prefix has none. */
  labels?: Labels;
  /** Absent for go-ipam's reservation ("default"). */
  reservation?: Reservation;
}

export interface IPRecord {
  kind: "ip";
  /** Canonical CIDR of the prefix the address was acquired from. */
  prefix: string;
  ip: string;
  /** Absent when the address has none. */
  labels?: Labels;
}

/**
 * Many unlabelled addresses of one prefix in one record: what a store that keeps addresses in blocks (DO
 * SQLite) hands a rebuild, so ten million addresses are not ten million objects. Never written: a store is
 * always given one IPRecord per address.
 */
export interface IPBlockRecord {
  kind: "ips";
  /** Canonical CIDR of the prefix the addresses were acquired from. */
  prefix: string;
  family: 4 | 6;
  /** The first member, as a number (IPv4: 0 .. 2^32-1; IPv6: 0 .. 2^128-1). */
  first: bigint;
  /**
   * The members' offsets from `first`, strictly ascending (offsets[0] is 0): numbers in a Float64Array when
   * the block spans less than 2^53 addresses (every IPv4 one, and IPv6 ones but the sparsest), bigints beyond.
   */
  offsets: Float64Array | readonly bigint[];
}

/** What a namespace is rebuilt from: its records, where a store may hand addresses over in blocks. */
export type LoadRecord = IpamRecord | IPBlockRecord;

/** A change to persist: put (insert or replace) or delete one record, identified by its key fields. */
export type Change = { op: "put"; record: IpamRecord } | { op: "delete"; record: IpamRecord };
