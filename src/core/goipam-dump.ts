// The original go-ipam's Dump format (reference §2.13), for migrating in and out: a JSON array of
//   {"Cidr","ParentCidr","Namespace","AvailableChildPrefixes","ChildPrefixLength","IsParent","IPs","Version"}
// in that field order, map keys sorted as Go's encoding/json sorts them. What go-ipam has no field for travels
// as extra fields after "Version", only where set, which go-ipam's decoder ignores: "Labels" (the prefix's),
// "Reservation" ("none"), "IPLabels" (address -> labels).
import { formatAddr, formatPrefix, maskPrefix, parseAddr, parsePrefix } from "../net";
import { dumpRecords, isObject, labelsByAddress, parseJson, pushPrefix } from "./dump";
import { invalidDump, unableToUnmarshal } from "./errors";
import type { Namespace } from "./namespace";
import { parsed } from "./parsed";
import type { PrefixNode } from "./prefix-node";
import type { IpamRecord } from "./types";

export function exportGoIpamDump(ns: Namespace): string {
  const nodes = ns.sortedPrefixes();
  const childrenOf = new Map<PrefixNode, string[]>();
  for (const node of nodes) {
    if (node.parent === null) continue;
    const list = childrenOf.get(node.parent);
    if (list === undefined) childrenOf.set(node.parent, [node.cidr]);
    else list.push(node.cidr);
  }
  const out = nodes.map((node) => {
    const children: Record<string, boolean> = {};
    for (const cidr of (childrenOf.get(node) ?? []).sort()) children[cidr] = false;
    const ips: Record<string, boolean> = {};
    for (const ip of node.ipStrings().sort()) ips[ip] = true;
    const entry: Record<string, unknown> = {
      Cidr: node.cidr,
      ParentCidr: node.parentCidr,
      Namespace: "",
      AvailableChildPrefixes: children,
      ChildPrefixLength: 0,
      IsParent: node.isParent,
      IPs: ips,
      Version: 0,
    };
    if (node.labels !== null) entry.Labels = node.labels;
    if (node.reservation !== "default") entry.Reservation = node.reservation;
    const ipLabels = labelsByAddress(node);
    if (ipLabels !== undefined) entry.IPLabels = Object.fromEntries(Object.entries(ipLabels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return entry;
  });
  return JSON.stringify(out);
}

/**
 * Records from a go-ipam dump (or from our own format, recognised by its "format" field). Everything is
 * canonicalised. Which children are live is taken from the child prefixes present in the dump, not from the
 * parent's AvailableChildPrefixes map: ranges go-ipam leaked (a child deleted directly, a host-bits key) come
 * back as free space, and a child whose parent is missing (go-ipam's orphans) becomes a top-level prefix.
 */
export function parseGoIpamDump(text: string): IpamRecord[] {
  const doc = parseJson(text);
  if (doc === null) return [];
  if (isObject(doc) && "format" in doc) return dumpRecords(doc);
  if (!Array.isArray(doc)) throw unableToUnmarshal("a dump must be a JSON array of prefixes (or null)");
  const entries = doc.map((p, i) => {
    if (!isObject(p) || typeof p.Cidr !== "string") throw invalidDump(`element ${i} must be an object with a string "Cidr"`);
    if (p.ParentCidr !== undefined && typeof p.ParentCidr !== "string") throw invalidDump(`element ${i}: "ParentCidr" must be a string`);
    if (p.IPs !== undefined && p.IPs !== null && !isObject(p.IPs)) throw invalidDump(`element ${i}: "IPs" must be an object`);
    if (p.IPLabels !== undefined && p.IPLabels !== null && !isObject(p.IPLabels)) throw invalidDump(`element ${i}: "IPLabels" must be an object`);
    const ipLabels = Object.fromEntries(Object.entries((p.IPLabels ?? {}) as Record<string, unknown>).map(([ip, l]) => [canonicalIP(ip), l]));
    return {
      cidr: canonical(p.Cidr),
      parentCidr: p.ParentCidr ? canonical(p.ParentCidr) : "",
      ips: Object.entries((p.IPs ?? {}) as Record<string, unknown>).filter(([, held]) => held === true).map(([ip]) => canonicalIP(ip)),
      extras: { labels: p.Labels, reservation: p.Reservation, ipLabels },
    };
  });
  const present = new Set(entries.map((e) => e.cidr));
  const records: IpamRecord[] = [];
  entries.forEach((e, i) => pushPrefix(records, e.cidr, present.has(e.parentCidr) ? e.parentCidr : "", e.ips, e.extras, `element ${i}`));
  return records;
}

function canonical(cidr: string): string {
  return formatPrefix(maskPrefix(parsed(() => parsePrefix(cidr), invalidDump)));
}

function canonicalIP(ip: string): string {
  const a = parsed(() => parseAddr(ip), invalidDump);
  return formatAddr(a.family, a.value, a.zone);
}
