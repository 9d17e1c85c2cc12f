// How the MongoDB store lays out the records: one document per namespace (its fence), one per prefix, one per
// acquired address and one per record of the extra kinds (idempotency entries, ...), each with its key fields
// spelled out so `mongosh` reads them directly, and the indexes the adapter's queries need (created by the
// adapter). docs/storage.md ("MongoDB") shows the layout.
//
//   namespaces  { _id: "<ns>", present: true, version: 7 }
//   prefixes    { _id: "<ns> <cidr>", ns, cidr, parentCidr: "" | "<cidr>", extras?: "<JSON>" }
//   ips         { _id: "<ns> <prefix> <ip>", ns, prefix, ip, extras?: "<JSON>" }
//   records     { _id: "<ns> <kind> <key>", ns, kind, key, extras?: "<JSON>" }
//
// A namespace name is visible ASCII (no space) and CIDRs, addresses and kinds hold no space, so the _ids are
// unique.
import type { IPRecord, PrefixRecord } from "../core/types";
import { extraRecord, ipRecord, prefixRecord, recordExtras } from "./records";
import type { ExtraRecord } from "./types";

export interface NamespaceDoc {
  _id: string;
  /** false: deleted; the document stays as a tombstone so the version never goes back. */
  present: boolean;
  version: number;
}

export interface PrefixDoc {
  _id: string;
  ns: string;
  cidr: string;
  parentCidr: string;
  /** Fields of the record beyond these, as JSON (records.ts), when there are any. */
  extras?: string;
}

export interface IpDoc {
  _id: string;
  ns: string;
  prefix: string;
  ip: string;
  extras?: string;
}

export interface ExtraDoc {
  _id: string;
  ns: string;
  kind: ExtraRecord["kind"];
  key: string;
  extras?: string;
}

export const COLLECTIONS = { namespaces: "namespaces", prefixes: "prefixes", ips: "ips", records: "records" } as const;

/** The indexes the adapter creates: load and delete read a namespace's records by `ns`; listNamespaces reads by `present`. */
export const INDEXES = {
  namespaces: [{ key: { present: 1 }, name: "present_1" }],
  prefixes: [{ key: { ns: 1 }, name: "ns_1" }],
  // ns first serves the by-namespace queries; prefix second lets an operator list a prefix's addresses.
  ips: [{ key: { ns: 1, prefix: 1 }, name: "ns_1_prefix_1" }],
  records: [{ key: { ns: 1 }, name: "ns_1" }],
} as const;

export const prefixId = (ns: string, cidr: string) => `${ns} ${cidr}`;
export const ipId = (ns: string, prefix: string, ip: string) => `${ns} ${prefix} ${ip}`;
export const extraDocId = (ns: string, r: Pick<ExtraRecord, "kind" | "key">) => `${ns} ${r.kind} ${r.key}`;

export function prefixDoc(ns: string, r: PrefixRecord): PrefixDoc {
  const extras = recordExtras(r);
  return { _id: prefixId(ns, r.cidr), ns, cidr: r.cidr, parentCidr: r.parentCidr, ...(extras === null ? {} : { extras }) };
}

export function ipDoc(ns: string, r: IPRecord): IpDoc {
  const extras = recordExtras(r);
  return { _id: ipId(ns, r.prefix, r.ip), ns, prefix: r.prefix, ip: r.ip, ...(extras === null ? {} : { extras }) };
}

export function extraDoc(ns: string, r: ExtraRecord): ExtraDoc {
  const extras = recordExtras(r);
  return { _id: extraDocId(ns, r), ns, kind: r.kind, key: r.key, ...(extras === null ? {} : { extras }) };
}

export const recordOfPrefix = (d: PrefixDoc): PrefixRecord => prefixRecord(d.cidr, d.parentCidr, d.extras);
export const recordOfIp = (d: IpDoc): IPRecord => ipRecord(d.prefix, d.ip, d.extras);
export const recordOfExtra = (d: ExtraDoc): ExtraRecord => extraRecord(d.kind, d.key, d.extras);
