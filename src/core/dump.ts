// Our own dump format: one JSON document per namespace, every prefix with its acquired addresses.
//
//   {"format":"edge-ipam/v1","prefixes":[
//     {"cidr":"10.0.0.0/16","parentCidr":"","ips":["10.0.0.0","10.0.0.1","10.0.255.255"]},
//     {"cidr":"10.0.1.0/24","parentCidr":"10.0.0.0/16","ips":["10.0.1.0","10.0.1.255"]}]}
//
// Prefixes are ordered by family, address and length; addresses ascending; everything canonical. A dump is
// exactly the namespace's records, so loading one rebuilds the same state (docs/dump-format.md). Labels and a
// reservation other than go-ipam's appear only where set: "labels" and "reservation" on a prefix, and
// "ipLabels" (address -> labels) for its labelled addresses.
import { invalidDump, unableToUnmarshal } from "./errors";
import type { Labels } from "./labels";
import type { Namespace } from "./namespace";
import type { PrefixNode } from "./prefix-node";
import type { IPRecord, IpamRecord, PrefixRecord, Reservation } from "./types";

export const DUMP_FORMAT = "edge-ipam/v1";

export interface DumpPrefix {
  cidr: string;
  parentCidr: string;
  ips: string[];
  labels?: Labels;
  reservation?: Reservation;
  ipLabels?: Record<string, Labels>;
}

export function exportDump(ns: Namespace): string {
  const prefixes: DumpPrefix[] = ns.sortedPrefixes().map((node) => {
    const p: DumpPrefix = { cidr: node.cidr, parentCidr: node.parentCidr, ips: node.ipStrings() };
    if (node.labels !== null) p.labels = node.labels;
    if (node.reservation !== "default") p.reservation = node.reservation;
    const ipLabels = labelsByAddress(node);
    if (ipLabels !== undefined) p.ipLabels = ipLabels;
    return p;
  });
  return JSON.stringify({ format: DUMP_FORMAT, prefixes });
}

/** The labelled addresses of a prefix, ascending, as address -> labels; undefined when there are none. */
export function labelsByAddress(node: PrefixNode): Record<string, Labels> | undefined {
  const labelled = node.labelled();
  if (labelled.length === 0) return undefined;
  const out: Record<string, Labels> = {};
  for (const [key, labels] of labelled) out[node.formatKey(key)] = labels;
  return out;
}

export function parseDump(text: string): IpamRecord[] {
  return dumpRecords(parseJson(text));
}

/** JSON.parse with go-ipam's error wording for a dump that is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw unableToUnmarshal((e as Error).message);
  }
}

/** Records of an already parsed dump document; throws invalid_input naming what is wrong. */
export function dumpRecords(doc: unknown): IpamRecord[] {
  if (!isObject(doc) || doc.format !== DUMP_FORMAT || !Array.isArray(doc.prefixes))
    throw invalidDump(`expected {"format":"${DUMP_FORMAT}","prefixes":[...]}`);
  const records: IpamRecord[] = [];
  for (const [i, p] of doc.prefixes.entries()) {
    if (!isObject(p) || typeof p.cidr !== "string")
      throw invalidDump(`prefixes[${i}] must be an object with a string "cidr"`);
    const parentCidr = p.parentCidr ?? "";
    if (typeof parentCidr !== "string") throw invalidDump(`prefixes[${i}].parentCidr must be a string`);
    const ips = p.ips ?? [];
    if (!Array.isArray(ips)) throw invalidDump(`prefixes[${i}].ips must be an array of addresses`);
    pushPrefix(records, p.cidr, parentCidr, ips, { labels: p.labels, reservation: p.reservation, ipLabels: p.ipLabels }, `prefixes[${i}]`);
  }
  return records;
}

/** What a dump may carry beyond go-ipam's fields, as read (checked when the namespace is built). */
export interface DumpExtras {
  labels?: unknown;
  reservation?: unknown;
  ipLabels?: unknown;
}

/** Records of one dumped prefix and its addresses, with the extras attached where they belong. */
export function pushPrefix(records: IpamRecord[], cidr: string, parentCidr: string, ips: unknown[], extras: DumpExtras, where: string): void {
  const prefix: PrefixRecord = { kind: "prefix", cidr, parentCidr };
  if (extras.labels !== undefined && extras.labels !== null) prefix.labels = extras.labels as Labels;
  if (extras.reservation !== undefined && extras.reservation !== null) prefix.reservation = extras.reservation as Reservation;
  records.push(prefix);
  const ipLabels = extras.ipLabels ?? {};
  if (!isObject(ipLabels)) throw invalidDump(`${where}: the labels of its ips must be an object mapping address to labels`);
  const labelled = new Set<string>();
  for (const ip of ips) {
    const record: IPRecord = { kind: "ip", prefix: cidr, ip: ip as string };
    if (typeof ip === "string" && Object.hasOwn(ipLabels, ip)) {
      record.labels = ipLabels[ip] as Labels;
      labelled.add(ip);
    }
    records.push(record);
  }
  for (const ip of Object.keys(ipLabels))
    if (!labelled.has(ip)) throw invalidDump(`${where}: labels given for ip ${ip}, which the prefix does not hold`);
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
