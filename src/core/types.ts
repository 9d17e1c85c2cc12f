// The core's vocabulary: what a namespace is asked to do, what it answers, and what it asks the store to keep.
// Everything here is plain data, so it crosses a Durable Object RPC boundary (structured clone) unchanged.

/** A prefix as clients see it: canonical CIDR and, for a child, its parent's canonical CIDR ("" otherwise). */
export interface PrefixInfo {
  cidr: string;
  parentCidr: string;
}

/** An acquired address and the canonical CIDR of the prefix it belongs to. */
export interface IPInfo {
  ip: string;
  parentPrefix: string;
}

/** go-ipam's Usage, exact for any prefix size (uint64 fields saturate at 2^64-1). */
export interface Usage {
  availableIPs: bigint;
  acquiredIPs: bigint;
  availableSmallestPrefixes: bigint;
  availablePrefixes: string[];
  acquiredPrefixes: bigint;
}

/** One command against one namespace. Field names follow the wire API. */
export type Command =
  | { op: "createPrefix"; cidr: string }
  | { op: "deletePrefix"; cidr: string }
  | { op: "getPrefix"; cidr: string }
  | { op: "listPrefixes" }
  | { op: "prefixUsage"; cidr: string }
  | { op: "acquireChildPrefix"; cidr: string; length: number; childCidr?: string }
  | { op: "releaseChildPrefix"; cidr: string }
  | { op: "acquireIP"; prefixCidr: string; ip?: string }
  | { op: "releaseIP"; prefixCidr: string; ip: string }
  | { op: "listIPs"; prefixCidr: string }
  | { op: "dump" }
  | { op: "load"; dump: string }
  | { op: "exportGoIpam" }
  | { op: "importGoIpam"; dump: string };

/** What each command answers. */
export interface CommandResults {
  createPrefix: PrefixInfo;
  deletePrefix: PrefixInfo;
  getPrefix: PrefixInfo;
  listPrefixes: PrefixInfo[];
  prefixUsage: Usage;
  acquireChildPrefix: PrefixInfo;
  releaseChildPrefix: PrefixInfo;
  acquireIP: IPInfo;
  releaseIP: IPInfo;
  listIPs: string[];
  dump: string;
  load: null;
  exportGoIpam: string;
  importGoIpam: null;
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
}

export interface IPRecord {
  kind: "ip";
  /** Canonical CIDR of the prefix the address was acquired from. */
  prefix: string;
  ip: string;
}

/** A change to persist: put (insert or replace) or delete one record, identified by its key fields. */
export type Change = { op: "put"; record: IpamRecord } | { op: "delete"; record: IpamRecord };
