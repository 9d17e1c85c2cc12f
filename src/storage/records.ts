// How the external stores write the core's records: a record's key fields become the store's key (a row's
// primary key, a hash field, an etcd key, a document _id), and every other field travels as one JSON
// object ("extras"), so a field the core adds later (labels, leases, ...) needs no per-store schema change.
// Also: a batch of changes collapsed to one final operation per key, which the stores write as bulk puts and
// bulk deletes.

import type { Change, IPRecord, IpamRecord, PrefixRecord } from "../core/types";
import { validateChange } from "./types";

/** A record's identity within its namespace and kind: the prefix's CIDR, or "<prefix> <ip>" for an address. */
export function recordKey(r: IpamRecord): string {
  return r.kind === "prefix" ? r.cidr : `${r.prefix} ${r.ip}`;
}

/** The fields of a record beyond its kind, key and parent, as JSON; null when there are none (today's records). */
export function recordExtras(r: IpamRecord): string | null {
  let extras: Record<string, unknown>;
  if (r.kind === "prefix") {
    const { kind: _k, cidr: _c, parentCidr: _p, ...rest } = r;
    extras = rest;
  } else {
    const { kind: _k, prefix: _p, ip: _i, ...rest } = r;
    extras = rest;
  }
  for (const _ in extras) return JSON.stringify(extras);
  return null;
}

function withExtras<R extends IpamRecord>(base: R, extras: string | null | undefined): R {
  if (extras === null || extras === undefined || extras === "" || extras === "{}") return base;
  const parsed = JSON.parse(extras) as Record<string, unknown>;
  return { ...parsed, ...base };
}

export function prefixRecord(cidr: string, parentCidr: string, extras?: string | null): PrefixRecord {
  return withExtras({ kind: "prefix", cidr, parentCidr }, extras);
}

export function ipRecord(prefix: string, ip: string, extras?: string | null): IPRecord {
  return withExtras({ kind: "ip", prefix, ip }, extras);
}

/** Splits an address key ("<prefix> <ip>") back into its parts. */
export function splitIpKey(key: string): { prefix: string; ip: string } {
  const at = key.indexOf(" ");
  return { prefix: key.slice(0, at), ip: key.slice(at + 1) };
}

/** A batch reduced to its effect: for every key touched, the last operation on it. */
export interface CollapsedChanges {
  prefixPuts: PrefixRecord[];
  prefixDeletes: PrefixRecord[];
  ipPuts: IPRecord[];
  ipDeletes: IPRecord[];
}

/**
 * Validates every change (InvalidChangeError before anything is written) and keeps the last operation per
 * key. Applying the result in any order equals applying the batch in order: a put replaces, a delete of a
 * missing record does nothing, and operations on different keys are independent.
 */
export function collapseChanges(changes: readonly Change[]): CollapsedChanges {
  changes.forEach(validateChange);
  const prefixes = new Map<string, Change>();
  const ips = new Map<string, Change>();
  for (const c of changes) (c.record.kind === "prefix" ? prefixes : ips).set(recordKey(c.record), c);
  const out: CollapsedChanges = { prefixPuts: [], prefixDeletes: [], ipPuts: [], ipDeletes: [] };
  for (const c of prefixes.values()) (c.op === "put" ? out.prefixPuts : out.prefixDeletes).push(c.record as PrefixRecord);
  for (const c of ips.values()) (c.op === "put" ? out.ipPuts : out.ipDeletes).push(c.record as IPRecord);
  return out;
}
