// Rebuilds a namespace from records (a store's rows, or a dump), checking that they describe a state the
// commands could have produced: canonical CIDRs and addresses, no overlaps, children inside free space of
// their parent, addresses inside their prefix, no prefix holding both addresses and children.
import { type Prefix, formatAddr, formatPrefix, maskPrefix, parseAddr, parsePrefix } from "../net";
import { IpamError, describe, invalidDump, isIpamError } from "./errors";
import { type Labels, checkLabels, sameLabels } from "./labels";
import type { Namespace } from "./namespace";
import { parsed } from "./parsed";
import type { PrefixNode } from "./prefix-node";
import type { IPBlockRecord, IPRecord, IpamRecord, LoadRecord, PrefixRecord } from "./types";

export function buildNamespace(ns: Namespace, records: Iterable<LoadRecord>): Namespace {
  // Records are streamed: prefixes are gathered until the first address arrives (a store lists prefixes
  // first), then addresses go straight into their prefix, so a large namespace is never held twice in memory.
  // Anything out of that order (a child before its parent, an address before its prefix) waits for the end.
  let pending: PendingPrefix[] = [];
  const deferred: (IPRecord | IPBlockRecord)[] = [];
  const shared = new SharedLabels();
  for (const record of records) {
    if (record?.kind === "prefix") pending.push({ record, prefix: canonicalPrefix(record.cidr) });
    else if (record?.kind === "ip") {
      if (pending.length > 0) pending = insertPrefixes(ns, pending, false);
      if (ns.prefixes.has(record.prefix)) insertIP(ns, record, shared);
      else deferred.push(record);
    } else if (record?.kind === "ips") {
      if (pending.length > 0) pending = insertPrefixes(ns, pending, false);
      if (ns.prefixes.has(record.prefix)) insertBlock(ns, record);
      else deferred.push(record);
    } else throw unknownRecord(record);
  }
  insertPrefixes(ns, pending, true);
  for (const record of deferred) {
    if (record.kind === "ip") insertIP(ns, record, shared);
    else insertBlock(ns, record);
  }
  checkParents(ns.prefixes.values());
  return ns;
}

/**
 * Adds a dump's records to a live namespace (an appending Load, one part of a paged dump): records the
 * namespace already holds unchanged are skipped, so a part can be sent again; the others must fit as they
 * would in a new namespace. Returns the records added. A refusal may come after some were added: it is
 * marked halfApplied, for the caller to rebuild the namespace from its store.
 */
export function appendRecords(ns: Namespace, records: Iterable<IpamRecord>): IpamRecord[] {
  const added: IpamRecord[] = [];
  try {
    const prefixes: PendingPrefix[] = [];
    const ips: IPRecord[] = [];
    for (const record of records) {
      if (record?.kind === "prefix") {
        const prefix = canonicalPrefix(record.cidr);
        const existing = ns.prefixes.get(record.cidr);
        if (existing !== undefined) checkSamePrefix(existing, record);
        else {
          prefixes.push({ record, prefix });
          added.push(record);
        }
      } else if (record?.kind === "ip") ips.push(record);
      else throw unknownRecord(record);
    }
    insertPrefixes(ns, prefixes, true);
    const shared = new SharedLabels();
    const touched = new Set<PrefixNode>();
    for (const record of ips) {
      const node = ns.prefixes.get(record.prefix);
      if (node === undefined) throw invalidDump(`ip ${record.ip} names prefix ${record.prefix}, which does not exist`);
      const addr = canonicalAddr(record.ip);
      if (addr.family === node.family && node.contains(addr.value) && node.holdsValue(addr.value)) {
        checkSameIPLabels(node, addr.value, record);
        continue;
      }
      insertIP(ns, record, shared);
      touched.add(node);
      added.push(record);
    }
    checkParents(touched);
    for (const { record } of prefixes) {
      const parent = ns.prefixes.get(record.parentCidr);
      if (parent !== undefined) checkParents([parent]);
    }
  } catch (e) {
    if (isIpamError(e)) e.halfApplied = added.length > 0;
    throw e;
  }
  return added;
}

function unknownRecord(record: unknown): IpamError {
  return invalidDump(`unknown record ${describe(record)}${record !== null && typeof record === "object" ? ` of kind ${describe((record as { kind?: unknown }).kind)}` : ""}`);
}

function checkParents(nodes: Iterable<PrefixNode>): void {
  for (const node of nodes) if (node.isParent && node.hasIPs()) throw invalidDump(`prefix ${node.cidr} holds both ips and child prefixes`);
}

function checkSamePrefix(node: PrefixNode, record: PrefixRecord): void {
  const settings = prefixSettings(record);
  const same =
    (record.parentCidr ?? "") === node.parentCidr &&
    (settings.reservation ?? "default") === node.reservation &&
    (settings.labels === undefined ? node.labels === null : node.labels !== null && sameLabels(node.labels, settings.labels));
  if (!same) throw invalidDump(`prefix ${record.cidr} exists already with another parent, labels or reservation`);
}

function checkSameIPLabels(node: PrefixNode, value: bigint, record: IPRecord): void {
  const labels = recordLabels(record.labels, `ip ${record.ip} of prefix ${node.cidr}`);
  const held = node.labelsAt(node.keyOf(value));
  const same = labels === undefined ? held === undefined : held !== undefined && sameLabels(held, labels);
  if (!same) throw invalidDump(`ip ${record.ip} of prefix ${node.cidr} is acquired already with other labels`);
}

type PendingPrefix = { record: PrefixRecord; prefix: Prefix };

/** Inserts the prefixes, parents first; returns those whose parent has not arrived yet (unless `final`). */
function insertPrefixes(ns: Namespace, prefixes: PendingPrefix[], final: boolean): PendingPrefix[] {
  const waiting: PendingPrefix[] = [];
  prefixes.sort((a, b) => a.prefix.bits - b.prefix.bits); // parents before children
  for (const entry of prefixes) {
    const { record, prefix } = entry;
    if (ns.prefixes.has(record.cidr)) throw invalidDump(`prefix ${record.cidr} appears twice`);
    if (record.parentCidr === "" || record.parentCidr === undefined) {
      const settings = prefixSettings(record);
      try {
        applySettings(ns.insertTopLevel(prefix, record.cidr), settings);
      } catch (e) {
        throw e instanceof IpamError ? invalidDump(e.message) : e;
      }
      continue;
    }
    const parent = ns.prefixes.get(record.parentCidr);
    if (parent === undefined) {
      if (final) throw invalidDump(`prefix ${record.cidr} names parent ${record.parentCidr}, which does not exist`);
      waiting.push(entry);
      continue;
    }
    const size = parent.size >> BigInt(prefix.bits - parent.bits);
    if (prefix.family !== parent.family || prefix.bits <= parent.bits || !parent.freeSpace().takeSpecific(prefix.addr, size)) {
      throw invalidDump(`child prefix ${record.cidr} is not inside free space of its parent ${parent.cidr}`);
    }
    applySettings(ns.insertChild(parent, prefix, record.cidr), prefixSettings(record));
  }
  return waiting;
}

type Settings = { labels: Labels | undefined; reservation: "none" | undefined };

function prefixSettings(record: PrefixRecord): Settings {
  const labels = recordLabels(record.labels, `prefix ${record.cidr}`);
  const reservation = record.reservation;
  if (reservation !== undefined && reservation !== "default" && reservation !== "none")
    throw invalidDump(`prefix ${record.cidr} has reservation ${describe(reservation)}, expected "none" or none at all`);
  return { labels, reservation: reservation === "none" ? "none" : undefined };
}

function applySettings(node: PrefixNode, settings: Settings): void {
  if (settings.labels !== undefined) node.labels = settings.labels;
  if (settings.reservation !== undefined) node.reservation = settings.reservation;
}

function recordLabels(value: unknown, owner: string): Labels | undefined {
  try {
    return checkLabels("labels", value);
  } catch (e) {
    throw e instanceof IpamError ? invalidDump(`${owner}: ${e.message}`) : e;
  }
}

/**
 * Addresses acquired together carry equal labels and arrive one after the other: they share the previous
 * address's labels object instead of each keeping its own copy.
 */
class SharedLabels {
  private last: Labels | undefined;
  of(labels: Labels): Labels {
    if (this.last !== undefined && sameLabels(this.last, labels)) return this.last;
    this.last = labels;
    return labels;
  }
}

function insertIP(ns: Namespace, record: IPRecord, shared: SharedLabels): void {
  const node = ns.prefixes.get(record.prefix);
  if (node === undefined) throw invalidDump(`ip ${record.ip} names prefix ${record.prefix}, which does not exist`);
  const addr = canonicalAddr(record.ip);
  if (addr.family !== node.family || !node.contains(addr.value)) throw invalidDump(`ip ${record.ip} is not in its prefix ${node.cidr}`);
  if (!node.addValue(addr.value)) throw invalidDump(`ip ${record.ip} appears twice in prefix ${node.cidr}`);
  if (record.labels !== undefined) {
    const labels = recordLabels(record.labels, `ip ${record.ip} of prefix ${node.cidr}`);
    if (labels !== undefined) node.setLabelsAt(node.keyOf(addr.value), shared.of(labels));
  }
}

/** A block of unlabelled addresses (IPBlockRecord): the same checks as insertIP, then one sorted pass. */
function insertBlock(ns: Namespace, record: IPBlockRecord): void {
  const { prefix, family, first, offsets } = record;
  const node = ns.prefixes.get(prefix);
  const n = offsets?.length ?? 0;
  if (n === 0 || typeof first !== "bigint") throw invalidDump(`block of ips of prefix ${describe(prefix)} is malformed`);
  const at = (i: number) => first + (typeof offsets[i] === "bigint" ? (offsets[i] as bigint) : BigInt(offsets[i] as number));
  const shown = (i: number) => (family === 4 || family === 6 ? formatAddr(family, at(i), "") : String(at(i)));
  if (node === undefined) throw invalidDump(`ip ${shown(0)} names prefix ${prefix}, which does not exist`);
  if (family !== node.family) throw invalidDump(`ip ${shown(0)} is not in its prefix ${node.cidr}`);
  if (!node.contains(first) || offsets[0] < 0) throw invalidDump(`ip ${shown(0)} is not in its prefix ${node.cidr}`);
  if (!node.contains(at(n - 1))) throw invalidDump(`ip ${shown(n - 1)} is not in its prefix ${node.cidr}`);
  if (offsets instanceof Float64Array) {
    const bad = node.addSorted(first, offsets);
    if (bad > 0 && offsets[bad] < offsets[bad - 1]) throw invalidDump(`ip ${shown(bad)} is out of order in its block of prefix ${node.cidr}`);
    if (bad >= 0) throw invalidDump(`ip ${shown(bad)} appears twice in prefix ${node.cidr}`);
    return;
  }
  // Offsets too far apart for doubles: in segments that each span less than 2^53, one sorted pass each.
  const wide = offsets as readonly bigint[];
  for (let i = 1; i < n; i++) {
    if (wide[i] === wide[i - 1]) throw invalidDump(`ip ${shown(i)} appears twice in prefix ${node.cidr}`);
    if (wide[i] < wide[i - 1]) throw invalidDump(`ip ${shown(i)} is out of order in its block of prefix ${node.cidr}`);
  }
  for (let i = 0; i < n; ) {
    const from = wide[i];
    let j = i + 1;
    while (j < n && wide[j] - from < EXACT) j++;
    const segment = new Float64Array(j - i);
    for (let k = i; k < j; k++) segment[k - i] = Number(wide[k] - from);
    const bad = node.addSorted(first + from, segment);
    if (bad >= 0) throw invalidDump(`ip ${shown(i + bad)} appears twice in prefix ${node.cidr}`);
    i = j;
  }
}

/** 2^53: offsets below it are exact doubles. */
const EXACT = 2n ** 53n;

function canonicalPrefix(cidr: unknown): Prefix {
  if (typeof cidr !== "string") throw invalidDump(`prefix cidr ${describe(cidr)} is not a string`);
  const prefix = maskPrefix(parsed(() => parsePrefix(cidr), invalidDump));
  const canonical = formatPrefix(prefix);
  if (canonical !== cidr) throw invalidDump(`prefix ${cidr} is not canonical, expected ${canonical}`);
  return prefix;
}

function canonicalAddr(ip: unknown) {
  if (typeof ip !== "string") throw invalidDump(`ip ${describe(ip)} is not a string`);
  const addr = parsed(() => parseAddr(ip), invalidDump);
  if (addr.zone !== "") throw invalidDump(`ip ${ip} has a zone (%${addr.zone}): zones are not allowed in a dump`);
  const canonical = formatAddr(addr.family, addr.value, "");
  if (canonical !== ip) throw invalidDump(`ip ${ip} is not canonical, expected ${canonical}`);
  return addr;
}
