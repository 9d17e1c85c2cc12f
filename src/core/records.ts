// The record changes commands hand to the store: one record per prefix and one per acquired address, so a
// command changes O(1) records whatever the prefix's fill.
import type { Labels } from "./labels";
import type { PrefixNode } from "./prefix-node";
import type { Change, IpamRecord, PrefixRecord } from "./types";

export const put = (record: IpamRecord): Change => ({ op: "put", record });
export const del = (record: IpamRecord): Change => ({ op: "delete", record });

/** A prefix's record: its labels and reservation as extra fields only where set. */
export function prefixRecord(node: PrefixNode): IpamRecord {
  const record: PrefixRecord = { kind: "prefix", cidr: node.cidr, parentCidr: node.parentCidr };
  if (node.labels !== null) record.labels = node.labels;
  if (node.reservation !== "default") record.reservation = node.reservation;
  return record;
}

export const ipRecord = (node: PrefixNode, ip: string, labels: Labels | undefined): IpamRecord =>
  labels === undefined ? { kind: "ip", prefix: node.cidr, ip } : { kind: "ip", prefix: node.cidr, ip, labels };

/**
 * The records of a new prefix, which holds the addresses go-ipam reserves at creation (the first, and for
 * IPv4 the last), unless it reserves none: the prefix and those addresses. `head` is the first address, printed.
 */
export function recordsOfNew(node: PrefixNode, head: string): Change[] {
  if (node.reservation === "none") return [put(prefixRecord(node))];
  const changes: Change[] = [put(prefixRecord(node)), put({ kind: "ip", prefix: node.cidr, ip: head })];
  if (node.reservesLast) changes.push(put({ kind: "ip", prefix: node.cidr, ip: node.lastAddress4() }));
  return changes;
}

/** The records a prefix's removal deletes: its addresses, then the prefix. */
export function recordsOfRemoved(node: PrefixNode): Change[] {
  const changes: Change[] = [];
  if (node.holdsOnlyReserved4()) {
    // an IPv4 prefix that was never used, or a parent: its reserved addresses, printed already
    changes.push(del({ kind: "ip", prefix: node.cidr, ip: node.addressPart() }));
    if (node.reservesLast) changes.push(del({ kind: "ip", prefix: node.cidr, ip: node.lastAddress4() }));
  } else for (const ip of node.ipStrings()) changes.push(del({ kind: "ip", prefix: node.cidr, ip }));
  changes.push(del({ kind: "prefix", cidr: node.cidr, parentCidr: node.parentCidr }));
  return changes;
}
