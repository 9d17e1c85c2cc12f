// A namespace's whole IPAM state in memory. `apply` runs one command synchronously and returns its result plus
// the record changes to persist; a failing command throws an IpamError and leaves the state as it was.
import {
  type Addr,
  type Prefix,
  bitLen,
  formatPrefix,
  maskPrefix,
  parseAddr,
  parsePrefix,
  prefixFirst,
  prefixLast,
  prefixSize,
} from "../net";
import { BTree, compareBigints } from "./btree";
import { buildNamespace } from "./builder";
import { ChurnSafeMap } from "./churn-safe-map";
import { bulkCount, bulkList, commandObject, length, optionalReservation, optionalStr, str, unknownOp } from "./command-check";
import { exportDump, parseDump } from "./dump";
import * as E from "./errors";
import { exportGoIpamDump, parseGoIpamDump } from "./goipam-dump";
import { type Labels, checkLabels, matches } from "./labels";
import { parsed } from "./parsed";
import { PrefixNode } from "./prefix-node";
import type { Change, Command, IPInfo, IPList, IpamRecord, PrefixInfo, PrefixRecord, Reservation, ResultOf, Usage } from "./types";
import { usageOf } from "./usage";

export interface Applied<R> {
  result: R;
  changes: Change[];
}

/** What a command attaches to the prefixes it creates. */
interface PrefixSettings {
  labels: Labels | undefined;
  reservation: Reservation | undefined;
}

export interface NamespaceStats {
  prefixes: number;
  acquiredIPs: bigint;
  /** Addresses of the prefixes that can hold IPs (those without children). */
  availableIPs: bigint;
}

export class Namespace {
  /** Every prefix by canonical CIDR. */
  readonly prefixes = new ChurnSafeMap<string, PrefixNode>();
  /** Top-level prefixes by first address, per family, for O(log n) overlap checks. */
  private readonly topLevel = {
    4: new BTree<bigint, PrefixNode>(undefined, compareBigints),
    6: new BTree<bigint, PrefixNode>(undefined, compareBigints),
  };

  /** Rebuilds a namespace from its records; throws IpamError (invalid_input) if they are inconsistent. */
  static fromRecords(records: Iterable<IpamRecord>): Namespace {
    return buildNamespace(new Namespace(), records);
  }

  get isEmpty(): boolean {
    return this.prefixes.size === 0;
  }

  apply<C extends Command>(cmd: C): Applied<ResultOf<C>> {
    return this.run(commandObject(cmd)) as Applied<ResultOf<C>>;
  }

  /** Runs a command whose fields are checked as they are read (it may come from anywhere). */
  private run(cmd: Record<string, unknown>): Applied<unknown> {
    switch (cmd.op) {
      case "createPrefix":
        return this.createPrefix(str("cidr", cmd.cidr), settingsOf(cmd));
      case "deletePrefix":
        return this.deletePrefix(str("cidr", cmd.cidr));
      case "getPrefix":
        return unchanged(info(this.lookup(str("cidr", cmd.cidr))));
      case "listPrefixes":
        return unchanged(this.listPrefixes(checkLabels("label selector", cmd.selector), optionalStr("overlapping", cmd.overlapping)));
      case "prefixUsage":
        return unchanged(usageOf(this.lookup(str("cidr", cmd.cidr))) satisfies Usage);
      case "acquireChildPrefix":
        return this.acquireChildPrefix(
          str("cidr", cmd.cidr),
          length("length", cmd.length),
          optionalStr("childCidr", cmd.childCidr),
          settingsOf(cmd),
        );
      case "acquireChildPrefixes":
        return this.acquireChildPrefixes(str("cidr", cmd.cidr), length("length", cmd.length), bulkCount(cmd.count), settingsOf(cmd));
      case "releaseChildPrefix":
        return this.releaseChildPrefix(str("cidr", cmd.cidr));
      case "releaseChildPrefixes":
        return this.releaseChildPrefixes(bulkList("cidrs", cmd.cidrs));
      case "acquireIP":
        return this.acquireIP(str("prefixCidr", cmd.prefixCidr), optionalStr("ip", cmd.ip), checkLabels("labels", cmd.labels));
      case "acquireIPs":
        return this.acquireIPs(str("prefixCidr", cmd.prefixCidr), bulkCount(cmd.count), checkLabels("labels", cmd.labels));
      case "releaseIP":
        return this.releaseIP(str("prefixCidr", cmd.prefixCidr), str("ip", cmd.ip));
      case "releaseIPs":
        return this.releaseIPs(str("prefixCidr", cmd.prefixCidr), bulkList("ips", cmd.ips));
      case "releaseIPsByLabel":
        return this.releaseIPsByLabel(optionalStr("prefixCidr", cmd.prefixCidr), requiredSelector(cmd.selector));
      case "listIPs":
        return unchanged(this.listIPs(str("prefixCidr", cmd.prefixCidr), checkLabels("label selector", cmd.selector)).ips);
      case "listIPEntries":
        return unchanged(this.listIPs(str("prefixCidr", cmd.prefixCidr), checkLabels("label selector", cmd.selector)));
      case "dump":
        return unchanged(exportDump(this));
      case "load":
        return this.load(parseDump(str("dump", cmd.dump)));
      case "exportGoIpam":
        return unchanged(exportGoIpamDump(this));
      case "importGoIpam":
        return this.load(parseGoIpamDump(str("dump", cmd.dump)));
      default:
        throw unknownOp(cmd.op);
    }
  }

  /** Every record needed to rebuild this namespace: prefixes in listing order (parents before children), then addresses. */
  records(): IpamRecord[] {
    const nodes = this.sortedPrefixes();
    const out: IpamRecord[] = nodes.map(prefixRecord);
    for (const node of nodes) {
      const labelled = node.ipLabels;
      if (labelled === null) for (const ip of node.ipStrings()) out.push({ kind: "ip", prefix: node.cidr, ip });
      else node.ips.forEach((v) => out.push(ipRecord(node, node.formatAddress(v), labelled.get(v))));
    }
    return out;
  }

  stats(): NamespaceStats {
    let acquiredIPs = 0n;
    let availableIPs = 0n;
    for (const node of this.prefixes.values()) {
      acquiredIPs += BigInt(node.ips.size);
      if (!node.isParent) availableIPs += node.size;
    }
    return { prefixes: this.prefixes.size, acquiredIPs, availableIPs };
  }

  /** Prefixes ordered by family, address, then length (parents before their children). */
  sortedPrefixes(): PrefixNode[] {
    return [...this.prefixes.values()].sort(
      (a, b) => a.family - b.family || compareBigints(a.first, b.first) || a.bits - b.bits,
    );
  }

  // ---- building blocks shared with the record builder ----

  /** Adds a top-level prefix; throws on overlap. Does not reserve addresses. */
  insertTopLevel(prefix: Prefix, cidr: string): PrefixNode {
    const node = new PrefixNode(prefix, cidr, null);
    const clash = this.overlapping(node);
    if (clash !== undefined) throw E.overlaps(cidr, clash.cidr);
    this.topLevel[node.family].set(node.first, node);
    this.prefixes.set(cidr, node);
    return node;
  }

  /** Adds a child whose range has already been taken from the parent's free space. */
  insertChild(parent: PrefixNode, prefix: Prefix, cidr: string): PrefixNode {
    const child = new PrefixNode(prefix, cidr, parent);
    parent.addChild(child);
    this.prefixes.set(cidr, child);
    return child;
  }

  private remove(node: PrefixNode): void {
    this.prefixes.delete(node.cidr);
    if (node.parent === null) this.topLevel[node.family].delete(node.first);
    else {
      node.parent.free!.release(node.first, node.size);
      node.parent.removeChild(node);
    }
  }

  private overlapping(node: PrefixNode): PrefixNode | undefined {
    const tree = this.topLevel[node.family];
    const below = tree.getPairOrNextLower(node.first);
    if (below !== undefined && below[1].last >= node.first) return below[1];
    const above = tree.getPairOrNextHigher(node.first);
    if (above !== undefined && above[1].first <= node.last) return above[1];
    return undefined;
  }

  // ---- lookups (go-ipam's PrefixFrom) ----

  /** PrefixFrom: the prefix with this CIDR after masking; parse errors and misses as go-ipam words them. */
  lookup(raw: string): PrefixNode {
    const hit = this.prefixes.get(raw);
    if (hit !== undefined) return hit;
    const canonical = formatPrefix(maskPrefix(parseCidrOrThrow(raw, (m) => new E.IpamError("invalid_input", m))));
    const node = this.prefixes.get(canonical);
    if (node === undefined) throw E.prefixNotFound(canonical);
    return node;
  }

  /** A lookup inside an acquire, release or delete: `NotFound: unable to find prefix for cidr:...`. */
  private lookupWrapped(raw: string): PrefixNode {
    try {
      return this.lookup(raw);
    } catch (e) {
      throw E.unableToFindPrefix(raw, e as E.IpamError);
    }
  }

  // ---- commands ----

  private createPrefix(raw: string, settings: PrefixSettings): Applied<PrefixInfo> {
    const parsed = parseCidrOrThrow(raw, (m) => E.unableToParseCidr(raw, m));
    const prefix = maskPrefix(parsed);
    // Go's parser accepts IPv4 only in canonical dotted decimal, so an IPv4 CIDR without host bits is canonical.
    const cidr = parsed.family === 4 && parsed.addr === prefix.addr ? raw : formatPrefix(prefix);
    const node = this.insertTopLevel(prefix, cidr);
    applySettings(node, settings);
    const changes: Change[] = [put(prefixRecord(node))];
    reserve(node, changes);
    return { result: info(node), changes };
  }

  private deletePrefix(raw: string): Applied<PrefixInfo> {
    const node = this.lookupWrapped(raw);
    if (node.hasIPs()) throw E.deleteHasIPs(node.cidr);
    if (node.isParent) throw E.deleteHasChildren(node.cidr, node.childCount());
    return { result: info(node), changes: this.removeWithRecords(node) };
  }

  private acquireChildPrefix(rawParent: string, length: number, rawChild: string | undefined, settings: PrefixSettings): Applied<PrefixInfo> {
    const parent = this.lookupWrapped(rawParent);
    const changes: Change[] = [];
    const node = this.takeChild(parent, rawParent, length, rawChild, settings, changes);
    return { result: info(node), changes };
  }

  private acquireChildPrefixes(rawParent: string, length: number, count: number, settings: PrefixSettings): Applied<PrefixInfo[]> {
    const parent = this.lookupWrapped(rawParent);
    const changes: Change[] = [];
    const taken: PrefixNode[] = [];
    try {
      while (taken.length < count) taken.push(this.takeChild(parent, rawParent, length, undefined, settings, changes));
    } catch (e) {
      for (let i = taken.length - 1; i >= 0; i--) this.remove(taken[i]); // all or nothing
      if (e instanceof E.IpamError && e.kind === "no_child_available" && taken.length > 0)
        throw E.notEnoughChildren(rawParent, length, count, taken.length);
      throw e;
    }
    return { result: taken.map(info), changes };
  }

  /** Takes one child of `parent` (best fit, or the specific `rawChild`) and records it in `changes`. */
  private takeChild(
    parent: PrefixNode,
    rawParent: string,
    length: number,
    rawChild: string | undefined,
    settings: PrefixSettings,
    changes: Change[],
  ): PrefixNode {
    let child: Prefix | undefined;
    if (rawChild !== undefined && rawChild !== "") {
      child = maskPrefix(parseCidrOrThrow(rawChild, (m) => E.unableToParseChildCidr(rawChild, m)));
      length = child.bits;
    }
    if (length <= parent.bits) throw E.lengthTooSmall(length, parent.bits);
    const bitlen = bitLen(parent.family);
    if (child === undefined && length > bitlen) throw E.lengthTooLarge(length, bitlen);
    if (parent.hasIPs()) throw E.childOnPrefixWithIPs(parent.cidr);
    let start: bigint;
    if (child !== undefined) {
      if (child.family !== parent.family || !parent.freeSpace().takeSpecific(child.addr, prefixSize(length, parent.family))) {
        throw E.specificChildNotAvailable(rawChild!, rawParent);
      }
      start = child.addr;
    } else {
      const taken = parent.freeSpace().takeBestFit(prefixSize(length, parent.family));
      if (taken === undefined) {
        const free = Array.from(parent.freeBlocks(), (b) => parent.blockCidr(b.start, b.size));
        throw E.noChildAvailable(rawParent, length, free);
      }
      start = taken;
    }
    const prefix: Prefix = { family: parent.family, addr: start, bits: length };
    const node = this.insertChild(parent, prefix, formatPrefix(prefix));
    applySettings(node, settings);
    changes.push(put(prefixRecord(node)));
    reserve(node, changes);
    return node;
  }

  private releaseChildPrefix(raw: string): Applied<PrefixInfo> {
    const node = this.lookup(raw);
    if (node.parent === null) throw E.notAChild(node.cidr);
    if (node.hasIPs()) throw E.releaseChildHasIPs(node.cidr);
    if (node.isParent) throw E.releaseChildHasChildren(node.cidr);
    return { result: info(node), changes: this.removeWithRecords(node) };
  }

  private releaseChildPrefixes(raws: string[]): Applied<PrefixInfo[]> {
    const nodes: PrefixNode[] = [];
    const seen = new Set<PrefixNode>();
    for (const raw of raws) {
      const node = this.lookup(raw);
      if (node.parent === null) throw E.notAChild(node.cidr);
      if (node.hasIPs()) throw E.releaseChildHasIPs(node.cidr);
      if (node.isParent) throw E.releaseChildHasChildren(node.cidr);
      if (seen.has(node)) throw E.prefixListedTwice(raw);
      seen.add(node);
      nodes.push(node);
    }
    const result = nodes.map(info);
    const changes: Change[] = [];
    for (const node of nodes) for (const c of this.removeWithRecords(node)) changes.push(c);
    return { result, changes };
  }

  private removeWithRecords(node: PrefixNode): Change[] {
    const changes: Change[] = [];
    for (const ip of node.ipStrings()) changes.push({ op: "delete", record: { kind: "ip", prefix: node.cidr, ip } });
    changes.push({ op: "delete", record: { kind: "prefix", cidr: node.cidr, parentCidr: node.parentCidr } });
    this.remove(node);
    return changes;
  }

  private acquireIP(rawPrefix: string, rawIP: string | undefined, labels: Labels | undefined): Applied<IPInfo> {
    const node = this.lookupWrapped(rawPrefix);
    if (node.isParent) throw E.acquireIPOnParent(node.cidr);
    let value: bigint | undefined;
    if (rawIP !== undefined && rawIP !== "") {
      const addr = parseAddrOrThrow(rawIP, () => E.ipNotValid(rawIP));
      if (addr.family !== node.family || addr.zone !== "" || addr.value < node.first || addr.value > node.last)
        throw E.ipNotInPrefix(rawIP, rawPrefix);
      if (node.ips.has(addr.value)) throw E.ipAlreadyAllocated(node.formatAddress(addr.value));
      value = addr.value;
    } else {
      value = node.ips.lowestFree();
      if (value === undefined) throw E.noIPAvailable(node.cidr, node.ips.size);
    }
    node.ips.add(value);
    const ip = node.formatAddress(value);
    if (labels === undefined) return { result: { ip, parentPrefix: node.cidr }, changes: [put({ kind: "ip", prefix: node.cidr, ip })] };
    node.setIPLabels(value, labels);
    return { result: { ip, parentPrefix: node.cidr, labels }, changes: [put({ kind: "ip", prefix: node.cidr, ip, labels })] };
  }

  private acquireIPs(rawPrefix: string, count: number, labels: Labels | undefined): Applied<IPInfo[]> {
    const node = this.lookupWrapped(rawPrefix);
    if (node.isParent) throw E.acquireIPOnParent(node.cidr);
    const free = node.size - BigInt(node.ips.size);
    if (free < BigInt(count)) throw E.notEnoughIPs(node.cidr, count, free, node.ips.size);
    const result: IPInfo[] = [];
    const changes: Change[] = [];
    for (let i = 0; i < count; i++) {
      const value = node.ips.lowestFree()!;
      node.ips.add(value);
      if (labels !== undefined) node.setIPLabels(value, labels);
      const ip = node.formatAddress(value);
      result.push(ipInfo(node, ip, labels));
      changes.push(put(ipRecord(node, ip, labels)));
    }
    return { result, changes };
  }

  private releaseIP(rawPrefix: string, rawIP: string) {
    const node = this.lookupWrapped(rawPrefix);
    const addr = parseAddrOrThrow(rawIP, (m) => E.releaseIPParse(rawIP, m));
    if (addr.family !== node.family || addr.zone !== "" || !node.ips.delete(addr.value))
      throw E.ipNotAllocated(rawIP, rawPrefix);
    const labels = node.ipLabels === null ? undefined : node.ipLabels.delete(addr.value);
    const ip = addr.family === 4 ? rawIP : node.formatAddress(addr.value); // IPv4 parses only when canonical
    return {
      result: ipInfo(node, ip, labels),
      changes: [{ op: "delete", record: { kind: "ip", prefix: node.cidr, ip } } as Change],
    };
  }

  private releaseIPs(rawPrefix: string, rawIPs: string[]): Applied<IPInfo[]> {
    const node = this.lookupWrapped(rawPrefix);
    const values: bigint[] = [];
    const formatted: string[] = [];
    for (const raw of rawIPs) {
      const addr = parseAddrOrThrow(raw, (m) => E.releaseIPParse(raw, m));
      if (addr.family !== node.family || addr.zone !== "" || !node.ips.has(addr.value)) throw E.ipNotAllocated(raw, rawPrefix);
      values.push(addr.value);
      formatted.push(addr.family === 4 ? raw : node.formatAddress(addr.value)); // IPv4 parses only when canonical
    }
    return this.releaseValues(node, values, formatted, rawIPs);
  }

  private releaseIPsByLabel(rawPrefix: string | undefined, selector: Labels): Applied<IPInfo[]> {
    const nodes = rawPrefix === undefined || rawPrefix === "" ? this.sortedPrefixes() : [this.lookupWrapped(rawPrefix)];
    const result: IPInfo[] = [];
    const changes: Change[] = [];
    for (const node of nodes) {
      if (node.ipLabels === null || node.ipLabels.size === 0) continue;
      const hits = node.ipLabels.sorted((labels) => matches(labels, selector)).map(([v]) => v);
      const released = this.releaseValues(node, hits);
      for (const r of released.result) result.push(r);
      for (const c of released.changes) changes.push(c);
    }
    return { result, changes };
  }

  /**
   * Releases held addresses of `node` (checked by the caller, `formatted` canonical when given), with their
   * labels; answers them in the order given. Refuses an address listed twice (naming it as `raws` spell it)
   * before changing anything.
   */
  private releaseValues(node: PrefixNode, values: bigint[], formatted?: string[], raws?: string[]): Applied<IPInfo[]> {
    // Highest first: addresses acquired together sit at the top of the run from the prefix's first address,
    // which then shrinks in O(1) per address instead of splitting at each one.
    const descending = values.length > 1 ? [...values].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0)) : values;
    for (let i = 1; i < descending.length; i++) if (descending[i] === descending[i - 1]) throw listedTwice(values, raws);
    const result: IPInfo[] = [];
    const changes: Change[] = [];
    values.forEach((value, i) => {
      const ip = formatted?.[i] ?? node.formatAddress(value);
      result.push(ipInfo(node, ip, node.labelsOf(value)));
      changes.push({ op: "delete", record: { kind: "ip", prefix: node.cidr, ip } });
    });
    for (const value of descending) {
      node.ips.delete(value);
      node.dropIPLabels(value);
    }
    return { result, changes };
  }

  // ---- listings ----

  private listPrefixes(selector: Labels | undefined, rawOverlapping: string | undefined): PrefixInfo[] {
    let nodes = this.sortedPrefixes();
    if (rawOverlapping !== undefined) {
      const p = maskPrefix(parseCidrOrThrow(rawOverlapping, (m) => E.unableToParseOverlapping(rawOverlapping, m)));
      const first = prefixFirst(p);
      const last = prefixLast(p);
      nodes = nodes.filter((n) => n.family === p.family && n.first <= last && first <= n.last);
    }
    if (selector !== undefined) nodes = nodes.filter((n) => n.labels !== null && matches(n.labels, selector));
    return nodes.map(info);
  }

  private listIPs(rawPrefix: string, selector: Labels | undefined): IPList {
    const node = this.lookupWrapped(rawPrefix);
    const labelled = node.ipLabels;
    if (selector !== undefined) {
      const hits = labelled === null ? [] : labelled.sorted((labels) => matches(labels, selector));
      const entries = hits.map(([v, labels]) => ipInfo(node, node.formatAddress(v), labels));
      return { ips: entries.map((e) => e.ip), labelled: entries };
    }
    const ips = node.ipStrings();
    if (labelled === null || labelled.size === 0) return { ips, labelled: [] };
    return { ips, labelled: labelled.sorted().map(([v, labels]) => ipInfo(node, node.formatAddress(v), labels)) };
  }

  private load(records: IpamRecord[]): Applied<null> {
    if (!this.isEmpty) throw E.loadIntoNonEmpty();
    const built = Namespace.fromRecords(records); // built aside, so a bad dump leaves this namespace untouched
    for (const [cidr, node] of built.prefixes) this.prefixes.set(cidr, node);
    for (const family of [4, 6] as const)
      for (const [first, node] of built.topLevel[family].entries()) this.topLevel[family].set(first, node);
    return { result: null, changes: this.records().map(put) };
  }
}

/** The error for the first address of the list that repeats an earlier one. */
function listedTwice(values: bigint[], raws: string[] | undefined): E.IpamError {
  const seen = new Set<bigint>();
  const i = values.findIndex((v) => seen.has(v) || !seen.add(v));
  return E.ipListedTwice(raws?.[i] ?? String(values[i]));
}

function parseCidrOrThrow(raw: string, wrap: (message: string) => E.IpamError): Prefix {
  return parsed(() => parsePrefix(raw), wrap);
}

function parseAddrOrThrow(raw: string, wrap: (message: string) => E.IpamError): Addr {
  return parsed(() => parseAddr(raw), wrap);
}

/** Acquires the addresses go-ipam reserves at creation (unless the prefix reserves none): the first, and for IPv4 the last. */
function reserve(node: PrefixNode, changes: Change[]): void {
  if (!node.reservesFirst) return;
  node.ips.add(node.first);
  changes.push(put({ kind: "ip", prefix: node.cidr, ip: node.formatAddress(node.first) }));
  if (node.reservesLast) {
    node.ips.add(node.last);
    changes.push(put({ kind: "ip", prefix: node.cidr, ip: node.formatAddress(node.last) }));
  }
}

const NO_SETTINGS: PrefixSettings = Object.freeze({ labels: undefined, reservation: undefined });

function settingsOf(cmd: Record<string, unknown>): PrefixSettings {
  if (cmd.labels === undefined && cmd.reservation === undefined) return NO_SETTINGS;
  return { labels: checkLabels("labels", cmd.labels), reservation: optionalReservation(cmd.reservation) };
}

function applySettings(node: PrefixNode, settings: PrefixSettings): void {
  if (settings.labels !== undefined) node.labels = settings.labels;
  if (settings.reservation !== undefined) node.reservation = settings.reservation;
}

function requiredSelector(value: unknown): Labels {
  const selector = checkLabels("label selector", value);
  if (selector === undefined) throw E.emptySelector();
  return selector;
}

/** A prefix as answered and as recorded: its labels and reservation only when it has them. */
function info(node: PrefixNode): PrefixInfo {
  const out: PrefixInfo = { cidr: node.cidr, parentCidr: node.parentCidr };
  if (node.labels !== null) out.labels = node.labels;
  if (node.reservation !== "default") out.reservation = node.reservation;
  return out;
}

const ipInfo = (node: PrefixNode, ip: string, labels: Labels | undefined): IPInfo =>
  labels === undefined ? { ip, parentPrefix: node.cidr } : { ip, parentPrefix: node.cidr, labels };
const ipRecord = (node: PrefixNode, ip: string, labels: Labels | undefined): IpamRecord =>
  labels === undefined ? { kind: "ip", prefix: node.cidr, ip } : { kind: "ip", prefix: node.cidr, ip, labels };
const unchanged = <R>(result: R): Applied<R> => ({ result, changes: [] });
const put = (record: IpamRecord): Change => ({ op: "put", record });
export function prefixRecord(node: PrefixNode): IpamRecord {
  const record: PrefixRecord = { kind: "prefix", cidr: node.cidr, parentCidr: node.parentCidr };
  if (node.labels !== null) record.labels = node.labels;
  if (node.reservation !== "default") record.reservation = node.reservation;
  return record;
}
