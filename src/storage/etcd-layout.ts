// Where the etcd store keeps what (docs/storage.md, "etcd"): every key under "ipam/", one namespace's keys
// under a prefix that no other namespace's prefix covers (the name is URI-encoded, so it holds no "/").
//
//   ipam/namespaces/<name>                  ""  (the directory: one key per existing namespace)
//   ipam/ns/<enc-name>/meta                 {"present":true,"version":7}   (+ "pending":{"id","stages"} mid-batch)
//   ipam/ns/<enc-name>/p/<cidr>             {"parentCidr":"10.0.0.0/16"}   (+ extras)
//   ipam/ns/<enc-name>/i/<prefix> <ip>      ""  (or extras JSON)
//   ipam/ns/<enc-name>/r/<kind> <key>       ""  (or extras JSON): the extra record kinds (idempotency entries, ...)
//   ipam/ns/<enc-name>/s/<batch>/<n>        a big batch's staged operations (JSON), until it is applied

import type { IpamRecord, PrefixRecord } from "../core/types";
import { StoreUnavailableError } from "./failure";
import { type CollapsedChanges, extraId, extraRecord, ipRecord, recordExtras, recordKey, splitExtraId, splitIpKey } from "./records";
import type { ExtraRecord } from "./types";

export const ROOT_PREFIX = "ipam/";
export const DIRECTORY_PREFIX = "ipam/namespaces/";
export const directoryKey = (name: string) => DIRECTORY_PREFIX + name;

export interface NamespaceKeys {
  /** Every key of the namespace starts with this. */
  base: string;
  meta: string;
  prefixes: string;
  ips: string;
  /** The extra record kinds, as "<kind> <key>". */
  records: string;
  stages: string;
}

export function namespaceKeys(name: string): NamespaceKeys {
  const base = `ipam/ns/${encodeURIComponent(name)}/`;
  return { base, meta: `${base}meta`, prefixes: `${base}p/`, ips: `${base}i/`, records: `${base}r/`, stages: `${base}s/` };
}

/** The keys of one staged batch: `<stages><id>/<n>`, n zero-padded so they sort in order. */
export const stagePrefix = (keys: NamespaceKeys, id: string) => `${keys.stages}${id}/`;
export const stageKey = (keys: NamespaceKeys, id: string, n: number) => `${stagePrefix(keys, id)}${String(n).padStart(6, "0")}`;

/** A batch whose commit point has passed but whose staged operations are not all applied yet. */
export interface Pending {
  id: string;
  /** How many stage keys hold its operations. */
  stages: number;
}

export interface Meta {
  present: boolean;
  version: number;
  pending?: Pending;
}

/** The meta key's value. Always written by this function, so a value compare against it is exact. */
export function metaValue(m: Meta): string {
  return m.pending
    ? JSON.stringify({ present: m.present, version: m.version, pending: { id: m.pending.id, stages: m.pending.stages } })
    : JSON.stringify({ present: m.present, version: m.version });
}

export function parseMeta(value: string, key: string): Meta {
  let m: Partial<Meta>;
  try {
    m = JSON.parse(value) as Partial<Meta>;
  } catch {
    throw new StoreUnavailableError(`etcd key ${key} does not hold namespace meta JSON: ${value.slice(0, 100)}`);
  }
  const p = m.pending;
  if (
    typeof m.present !== "boolean" ||
    !Number.isSafeInteger(m.version) ||
    (p !== undefined && (typeof p?.id !== "string" || !Number.isSafeInteger(p.stages)))
  ) {
    throw new StoreUnavailableError(`etcd key ${key} holds malformed namespace meta: ${value.slice(0, 100)}`);
  }
  return m as Meta;
}

/** One write to a live key: a put (value set) or a delete. */
export interface Op {
  key: string;
  value?: string;
}

function prefixValue(r: PrefixRecord): string {
  const extras = recordExtras(r);
  const parent = JSON.stringify({ parentCidr: r.parentCidr });
  return extras === null ? parent : `${parent.slice(0, -1)},${extras.slice(1)}`;
}

/** A collapsed batch as key writes: puts first, then deletes (one op per key, so the order is free). */
export function opsOf(keys: NamespaceKeys, c: CollapsedChanges): Op[] {
  const ops: Op[] = [];
  for (const r of c.prefixPuts) ops.push({ key: keys.prefixes + r.cidr, value: prefixValue(r) });
  for (const r of c.ipPuts) ops.push({ key: keys.ips + recordKey(r), value: recordExtras(r) ?? "" });
  for (const r of c.extraPuts) ops.push({ key: keys.records + extraId(r), value: recordExtras(r) ?? "" });
  for (const r of c.prefixDeletes) ops.push({ key: keys.prefixes + r.cidr });
  for (const r of c.ipDeletes) ops.push({ key: keys.ips + recordKey(r) });
  for (const r of c.extraDeletes) ops.push({ key: keys.records + extraId(r) });
  return ops;
}

export function prefixFromKV(keys: NamespaceKeys, key: string, value: string): IpamRecord {
  let parsed: { parentCidr?: unknown };
  try {
    parsed = JSON.parse(value) as { parentCidr?: unknown };
  } catch {
    throw new StoreUnavailableError(`etcd key ${key} does not hold prefix JSON: ${value.slice(0, 100)}`);
  }
  if (typeof parsed?.parentCidr !== "string") throw new StoreUnavailableError(`etcd key ${key} has no parentCidr`);
  return { ...parsed, kind: "prefix", cidr: key.slice(keys.prefixes.length), parentCidr: parsed.parentCidr };
}

export function ipFromKV(keys: NamespaceKeys, key: string, value: string): IpamRecord {
  const { prefix, ip } = splitIpKey(key.slice(keys.ips.length));
  return ipRecord(prefix, ip, value);
}

export function extraFromKV(keys: NamespaceKeys, key: string, value: string): ExtraRecord {
  const { kind, key: recordKey } = splitExtraId(key.slice(keys.records.length));
  try {
    return extraRecord(kind, recordKey, value);
  } catch {
    throw new StoreUnavailableError(`etcd key ${key} does not hold record JSON: ${value.slice(0, 100)}`);
  }
}

/** One operation in a stage value (a JSON list of them), its key relative to the namespace's base: [k, v] put, [k] delete. */
export function stageEntry(keys: NamespaceKeys, op: Op): string {
  const k = op.key.slice(keys.base.length);
  return JSON.stringify(op.value === undefined ? [k] : [k, op.value]);
}

export function parseStage(keys: NamespaceKeys, key: string, value: string): Op[] {
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    throw new StoreUnavailableError(`etcd stage key ${key} does not hold JSON`);
  }
  if (!Array.isArray(raw)) throw new StoreUnavailableError(`etcd stage key ${key} does not hold a list of operations`);
  return raw.map((entry: unknown) => {
    const o = entry as unknown[];
    const ok = Array.isArray(o) && typeof o[0] === "string" && /^[pir]\//.test(o[0]) && (o.length === 1 || (o.length === 2 && typeof o[1] === "string"));
    if (!ok) throw new StoreUnavailableError(`etcd stage key ${key} holds a malformed operation`);
    return o.length === 1 ? { key: keys.base + (o[0] as string) } : { key: keys.base + (o[0] as string), value: o[1] as string };
  });
}
