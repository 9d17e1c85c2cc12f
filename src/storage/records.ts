// How the external stores write the core's records: a record's key fields become the store's key (a row's
// primary key, a hash field, an etcd key, a document _id), and every other field travels as one JSON
// object ("extras"), so a field the core adds later (labels, leases, ...) needs no per-store schema change.
// Also: a batch of changes collapsed to one final operation per key, which the stores write as bulk puts and
// bulk deletes.

import type { IPBlockRecord, IPRecord, PrefixRecord } from "../core/types";
import { formatAddr } from "../net";
import { type ExtraRecord, type LoadedRecord, type StoredChange, type StoredRecord, validateChange } from "./types";

/**
 * A record's identity within its namespace and kind: the prefix's CIDR, "<prefix> <ip>" for an address, the
 * key of an extra kind's record.
 */
export function recordKey(r: StoredRecord): string {
  return r.kind === "prefix" ? r.cidr : r.kind === "ip" ? `${r.prefix} ${r.ip}` : r.key;
}

/** The fields of a record beyond its kind, key and parent, as JSON; null when there are none (today's records). */
export function recordExtras(r: StoredRecord): string | null {
  let extras: Record<string, unknown>;
  if (r.kind === "prefix") {
    const { kind: _k, cidr: _c, parentCidr: _p, ...rest } = r;
    extras = rest;
  } else if (r.kind === "ip") {
    const { kind: _k, prefix: _p, ip: _i, ...rest } = r;
    extras = rest;
  } else {
    const { kind: _k, key: _key, ...rest } = r;
    extras = rest;
  }
  for (const _ in extras) return JSON.stringify(extras);
  return null;
}

function withExtras<R extends StoredRecord>(base: R, extras: string | null | undefined): R {
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

export function extraRecord(kind: ExtraRecord["kind"], key: string, extras?: string | null): ExtraRecord {
  const base: ExtraRecord = { kind, key };
  if (extras === null || extras === undefined || extras === "" || extras === "{}") return base;
  return { ...(JSON.parse(extras) as Record<string, unknown>), kind, key };
}

/** "<kind> <key>": an extra record's field or key name where a store keeps every extra kind together. */
export const extraId = (r: ExtraRecord) => `${r.kind} ${r.key}`;

/** Splits an extra record's id back into kind and key. */
export function splitExtraId(id: string): { kind: ExtraRecord["kind"]; key: string } {
  const at = id.indexOf(" ");
  return { kind: id.slice(0, at) as ExtraRecord["kind"], key: id.slice(at + 1) };
}

/** Splits an address key ("<prefix> <ip>") back into its parts. */
export function splitIpKey(key: string): { prefix: string; ip: string } {
  const at = key.indexOf(" ");
  return { prefix: key.slice(0, at), ip: key.slice(at + 1) };
}

/** The addresses of a block record, one ip record each, in ascending order. */
export function* blockIpRecords(block: IPBlockRecord): IterableIterator<IPRecord> {
  const { prefix, family, first, offsets } = block;
  for (const offset of offsets) yield { kind: "ip", prefix, ip: formatAddr(family, first + BigInt(offset)) };
}

/** Loaded records with every block record (kind "ips") expanded into its ip records: one record per address. */
export function* expandRecords(records: Iterable<LoadedRecord>): IterableIterator<StoredRecord> {
  for (const r of records) {
    if (r.kind === "ips") yield* blockIpRecords(r);
    else yield r;
  }
}

/** A batch reduced to its effect: for every key touched, the last operation on it. */
export interface CollapsedChanges {
  prefixPuts: PrefixRecord[];
  prefixDeletes: PrefixRecord[];
  ipPuts: IPRecord[];
  ipDeletes: IPRecord[];
  extraPuts: ExtraRecord[];
  extraDeletes: ExtraRecord[];
}

/**
 * Validates every change (InvalidChangeError before anything is written) and keeps the last operation per
 * key. Applying the result in any order equals applying the batch in order: a put replaces, a delete of a
 * missing record does nothing, and operations on different keys are independent.
 */
export function collapseChanges(changes: readonly StoredChange[]): CollapsedChanges {
  changes.forEach(validateChange);
  const prefixes = new Map<string, StoredChange>();
  const ips = new Map<string, StoredChange>();
  const extras = new Map<string, StoredChange>();
  for (const c of changes) {
    const r = c.record;
    if (r.kind === "prefix") prefixes.set(r.cidr, c);
    else if (r.kind === "ip") ips.set(recordKey(r), c);
    else extras.set(extraId(r), c);
  }
  const out: CollapsedChanges = { prefixPuts: [], prefixDeletes: [], ipPuts: [], ipDeletes: [], extraPuts: [], extraDeletes: [] };
  for (const c of prefixes.values()) (c.op === "put" ? out.prefixPuts : out.prefixDeletes).push(c.record as PrefixRecord);
  for (const c of ips.values()) (c.op === "put" ? out.ipPuts : out.ipDeletes).push(c.record as IPRecord);
  for (const c of extras.values()) (c.op === "put" ? out.extraPuts : out.extraDeletes).push(c.record as ExtraRecord);
  return out;
}
