// Our own dump format: one JSON document per namespace, every prefix with its acquired addresses.
//
//   {"format":"edge-ipam/v1","prefixes":[
//     {"cidr":"10.0.0.0/16","parentCidr":"","ips":["10.0.0.0","10.0.0.1","10.0.255.255"]},
//     {"cidr":"10.0.1.0/24","parentCidr":"10.0.0.0/16","ips":["10.0.1.0","10.0.1.255"]}]}
//
// Prefixes are ordered by family, address and length; addresses ascending; everything canonical. A dump is
// exactly the namespace's records, so loading one rebuilds the same state (docs/dump-format.md).
import { invalidDump, unableToUnmarshal } from "./errors";
import type { Namespace } from "./namespace";
import type { IpamRecord } from "./types";

export const DUMP_FORMAT = "edge-ipam/v1";

export interface DumpPrefix {
  cidr: string;
  parentCidr: string;
  ips: string[];
}

export function exportDump(ns: Namespace): string {
  const prefixes: DumpPrefix[] = ns.sortedPrefixes().map((node) => ({
    cidr: node.cidr,
    parentCidr: node.parentCidr,
    ips: node.ipStrings(),
  }));
  return JSON.stringify({ format: DUMP_FORMAT, prefixes });
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
    records.push({ kind: "prefix", cidr: p.cidr, parentCidr });
    for (const ip of ips) records.push({ kind: "ip", prefix: p.cidr, ip });
  }
  return records;
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
