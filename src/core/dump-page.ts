// Paged dumps: a namespace too large for one message leaves in pages of about `pageSize` records each (a
// prefix counts one, each address one). Every page is a dump in our format holding a part of the namespace:
// whole prefixes, and at its ends the part of a prefix's addresses that fits. A prefix cut across pages appears
// on each with the same fields, so loading the pages in order with `append` rebuilds the namespace.
//
// The cursor is a key, not a position: the prefix to continue at and its last address dumped. A page goes on
// where the previous one stopped, whatever changed before that point meanwhile.
import { type Family, formatPrefix, maskPrefix, parseAddr, parsePrefix, prefixFirst } from "../net";
import { type DumpPrefix, DUMP_FORMAT } from "./dump";
import { describe, invalidPageToken } from "./errors";
import type { Labels } from "./labels";
import { parsed } from "./parsed";
import type { PrefixNode } from "./prefix-node";
import type { DumpCursor, DumpPage } from "./types";

/** A page of the prefixes `nodes` (in dump order: family, address, length) from `after` on. */
export function dumpPage(nodes: PrefixNode[], pageSize: number, after: ParsedCursor | undefined): DumpPage {
  let i = 0;
  let afterIp: bigint | undefined;
  if (after !== undefined) {
    i = lowerBound(nodes, after);
    if (i < nodes.length && nodes[i].cidr === after.cidr && after.ip !== undefined) {
      const node = nodes[i];
      if (after.family !== node.family || !node.contains(after.ip)) throw invalidPageToken(`its address is not in prefix ${node.cidr}`);
      afterIp = after.ip;
    }
  }
  const prefixes: DumpPrefix[] = [];
  let budget = pageSize;
  for (; i < nodes.length; i++, afterIp = undefined) {
    const node = nodes[i];
    // a prefix costs one record, and comes with at least one address (so a page of size 1 still moves on)
    if (prefixes.length > 0 && budget < 2) return page(prefixes, { prefix: node.cidr });
    budget--;
    const part = node.ipPage(afterIp, Math.max(budget, 1));
    budget -= part.ips.length;
    prefixes.push(entry(node, part.ips, part.keys));
    if (part.more) return page(prefixes, { prefix: node.cidr, ip: part.ips[part.ips.length - 1] });
  }
  return page(prefixes, undefined);
}

function page(prefixes: DumpPrefix[], next: DumpCursor | undefined): DumpPage {
  const dump = JSON.stringify({ format: DUMP_FORMAT, prefixes });
  return next === undefined ? { dump } : { dump, next };
}

function entry(node: PrefixNode, ips: string[], keys: (number | bigint)[]): DumpPrefix {
  const p: DumpPrefix = { cidr: node.cidr, parentCidr: node.parentCidr, ips };
  if (node.labels !== null) p.labels = node.labels;
  if (node.reservation !== "default") p.reservation = node.reservation;
  if (node.ipLabels !== null) {
    const ipLabels: Record<string, Labels> = {};
    let any = false;
    keys.forEach((key, k) => {
      const labels = node.labelsAt(key);
      if (labels !== undefined) {
        ipLabels[ips[k]] = labels;
        any = true;
      }
    });
    if (any) p.ipLabels = ipLabels;
  }
  return p;
}

export interface ParsedCursor {
  cidr: string;
  family: Family;
  first: bigint;
  bits: number;
  ip: bigint | undefined;
}

/** A cursor as a command carries it, checked: a canonical CIDR and, if given, an address. */
export function dumpCursor(value: unknown): ParsedCursor {
  const c = value as Partial<DumpCursor> | null;
  if (c === null || typeof c !== "object" || typeof c.prefix !== "string" || (c.ip !== undefined && typeof c.ip !== "string"))
    throw invalidPageToken(`expected a prefix and an address, got ${describe(value)}`);
  const prefix = maskPrefix(parsed(() => parsePrefix(c.prefix!), (m) => invalidPageToken(`prefix ${c.prefix}: ${m}`)));
  if (formatPrefix(prefix) !== c.prefix) throw invalidPageToken(`prefix ${c.prefix} is not canonical`);
  let ip: bigint | undefined;
  if (c.ip !== undefined) {
    const addr = parsed(() => parseAddr(c.ip!), (m) => invalidPageToken(`address ${c.ip}: ${m}`));
    if (addr.family !== prefix.family || addr.zone !== "") throw invalidPageToken(`address ${c.ip} is not in prefix ${c.prefix}`);
    ip = addr.value;
  }
  return { cidr: c.prefix, family: prefix.family, first: prefixFirst(prefix), bits: prefix.bits, ip };
}

/** The index of the first node at or after the cursor's prefix in dump order. */
function lowerBound(nodes: PrefixNode[], c: ParsedCursor): number {
  let lo = 0;
  let hi = nodes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const n = nodes[mid];
    const before = n.family < c.family || (n.family === c.family && (n.first < c.first || (n.first === c.first && n.bits < c.bits)));
    if (before) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
