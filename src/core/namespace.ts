// A namespace's whole IPAM state in memory. `apply` runs one command synchronously and returns its result plus
// the record changes to persist; a failing command throws an IpamError and leaves the state as it was.
import {
  type Addr,
  NetParseError,
  type Prefix,
  bitLen,
  decimalSmall,
  formatIPv4,
  formatPrefix,
  lastParsedFamily,
  lastParsedV6,
  lastParsedZone,
  maskIPv4,
  maskPrefix,
  parseAddr,
  parsePrefix,
  prefixFirst,
  prefixLast,
  prefixSize,
  scanAddr,
  scanPrefix,
  scannedPrefix,
} from "../net";
import type { AddressKey } from "./address-labels";
import { appendRecords, buildNamespace } from "./builder";
import { ChurnSafeMap } from "./churn-safe-map";
import { bulkCount, bulkList, commandObject, length, optionalBool, optionalPageSize, optionalReservation, optionalStr, pageSize, str, unknownOp } from "./command-check";
import { exportDump, parseDump } from "./dump";
import { dumpPage, dumpCursor } from "./dump-page";
import * as E from "./errors";
import { exportGoIpamDump, parseGoIpamDump } from "./goipam-dump";
import { type Labels, checkLabels, matches } from "./labels";
import { parsed } from "./parsed";
import { PrefixNode, ipv4Span } from "./prefix-node";
import { del, ipRecord, prefixRecord, put, recordsOfNew, recordsOfRemoved } from "./records";
import { SortedIndex } from "./sorted-index";
import type { Change, Command, IPInfo, IPList, IPRecord, IpamRecord, LoadRecord, PrefixInfo, Reservation, ResultOf, Usage } from "./types";
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
  private readonly topLevel4 = new SortedIndex<number, PrefixNode>();
  private readonly topLevel6 = new SortedIndex<bigint, PrefixNode>();

  /** Rebuilds a namespace from its records; throws IpamError (invalid_input) if they are inconsistent. */
  static fromRecords(records: Iterable<LoadRecord>): Namespace {
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
        // filters (labels, overlap) are extensions: the unfiltered listing stays as lean as go-ipam's
        return cmd.selector === undefined && cmd.overlapping === undefined ? unchanged(this.sortedPrefixes().map(info)) : this.runExtension(cmd);
      case "prefixUsage":
        return unchanged(usageOf(this.lookup(str("cidr", cmd.cidr))) satisfies Usage);
      case "acquireChildPrefix":
        return this.acquireChildPrefix(str("cidr", cmd.cidr), length("length", cmd.length), optionalStr("childCidr", cmd.childCidr), settingsOf(cmd));
      case "releaseChildPrefix":
        return this.releaseChildPrefix(str("cidr", cmd.cidr));
      case "acquireIP":
        return cmd.labels === undefined ? this.acquireIP(str("prefixCidr", cmd.prefixCidr), optionalStr("ip", cmd.ip)) : this.runExtension(cmd);
      case "releaseIP":
        return this.releaseIP(str("prefixCidr", cmd.prefixCidr), str("ip", cmd.ip));
      case "listIPs":
        return cmd.selector === undefined ? unchanged(unpagedIPs(this.lookupWrapped(str("prefixCidr", cmd.prefixCidr)))) : this.runExtension(cmd);
      case "dump":
        this.checkFitsOneMessage();
        return unchanged(exportDump(this));
      case "load":
        return this.load(parseDump(str("dump", cmd.dump)), optionalBool("append", cmd.append));
      case "exportGoIpam":
        this.checkFitsOneMessage();
        return unchanged(exportGoIpamDump(this));
      case "importGoIpam":
        return this.load(parseGoIpamDump(str("dump", cmd.dump)), optionalBool("append", cmd.append));
      default:
        return this.runExtension(cmd);
    }
  }

  /** The commands go-ipam has no counterpart of (kept apart, so go-ipam's hot paths switch as before). */
  private runExtension(cmd: Record<string, unknown>): Applied<unknown> {
    switch (cmd.op) {
      case "listPrefixes":
        return unchanged(this.listPrefixes(checkLabels("label selector", cmd.selector), optionalStr("overlapping", cmd.overlapping)));
      case "acquireIP": {
        const labels = checkLabels("labels", cmd.labels);
        const prefixCidr = str("prefixCidr", cmd.prefixCidr);
        const ip = optionalStr("ip", cmd.ip);
        return labels === undefined ? this.acquireIP(prefixCidr, ip) : this.acquireLabelledIP(prefixCidr, ip, labels);
      }
      case "listIPs":
        return unchanged(this.listIPs(str("prefixCidr", cmd.prefixCidr), checkLabels("label selector", cmd.selector)).ips);
      case "acquireChildPrefixes":
        return this.acquireChildPrefixes(str("cidr", cmd.cidr), length("length", cmd.length), bulkCount(cmd.count), settingsOf(cmd));
      case "releaseChildPrefixes":
        return this.releaseChildPrefixes(bulkList("cidrs", cmd.cidrs));
      case "acquireIPs":
        return this.acquireIPs(str("prefixCidr", cmd.prefixCidr), bulkCount(cmd.count), checkLabels("labels", cmd.labels));
      case "releaseIPs":
        return this.releaseIPs(str("prefixCidr", cmd.prefixCidr), bulkList("ips", cmd.ips));
      case "releaseIPsByLabel":
        return this.releaseIPsByLabel(optionalStr("prefixCidr", cmd.prefixCidr), requiredSelector(cmd.selector));
      case "listIPEntries": {
        const size = optionalPageSize(cmd.pageSize);
        const prefixCidr = str("prefixCidr", cmd.prefixCidr);
        const selector = checkLabels("label selector", cmd.selector);
        return unchanged(size === undefined ? this.listIPs(prefixCidr, selector) : this.listIPsPage(prefixCidr, selector, size, optionalStr("after", cmd.after)));
      }
      case "dumpPage":
        return unchanged(dumpPage(this.sortedPrefixes(), pageSize(cmd.pageSize), cmd.after === undefined ? undefined : dumpCursor(cmd.after)));
      default:
        throw unknownOp(cmd.op);
    }
  }

  /** Every record needed to rebuild this namespace: prefixes in listing order (parents before children), then addresses. */
  records(): IpamRecord[] {
    const nodes = this.sortedPrefixes();
    const out: IpamRecord[] = nodes.map(prefixRecord);
    for (const node of nodes) {
      const labelled = node.labelled();
      if (labelled.length === 0) for (const ip of node.ipStrings()) out.push({ kind: "ip", prefix: node.cidr, ip });
      else {
        const byIp = new Map(labelled.map(([key, labels]) => [node.formatKey(key), labels]));
        for (const ip of node.ipStrings()) out.push(ipRecord(node, ip, byIp.get(ip)));
      }
    }
    return out;
  }

  stats(): NamespaceStats {
    let acquiredIPs = 0n;
    let availableIPs = 0n;
    for (const node of this.prefixes.values()) {
      acquiredIPs += BigInt(node.heldCount);
      if (!node.isParent) availableIPs += node.size;
    }
    return { prefixes: this.prefixes.size, acquiredIPs, availableIPs };
  }

  /** Prefixes ordered by family, address, then length (parents before their children). */
  sortedPrefixes(): PrefixNode[] {
    return [...this.prefixes.values()].sort(
      (a, b) =>
        a.family - b.family ||
        (a.family === 4 ? a.first4 - b.first4 : a.first6 < b.first6 ? -1 : a.first6 > b.first6 ? 1 : 0) ||
        a.bits - b.bits,
    );
  }

  // ---- building blocks shared with the record builder ----

  /** Adds a top-level prefix; throws on overlap. Does not reserve addresses. */
  insertTopLevel(prefix: Prefix, cidr: string): PrefixNode {
    return this.addTopLevel(PrefixNode.of(prefix, cidr, null, false));
  }

  /** Adds a child whose range has already been taken from the parent's free space. */
  insertChild(parent: PrefixNode, prefix: Prefix, cidr: string): PrefixNode {
    return this.addChild(PrefixNode.of(prefix, cidr, parent, false));
  }

  private addTopLevel(node: PrefixNode): PrefixNode {
    const clash = this.overlapping(node);
    if (clash !== undefined) throw E.overlaps(node.cidr, clash.cidr);
    if (node.family === 4) this.topLevel4.insert(node.first4, node);
    else this.topLevel6.insert(node.first6, node);
    // no live prefix has this CIDR: it would overlap
    this.prefixes.insertNew(node.cidr, node);
    return node;
  }

  private addChild(child: PrefixNode): PrefixNode {
    child.parent!.childCount++;
    // no live prefix has this CIDR: its range was free in the parent
    this.prefixes.insertNew(child.cidr, child);
    return child;
  }

  private remove(node: PrefixNode): void {
    this.prefixes.deleteLive(node.cidr);
    const parent = node.parent;
    if (parent === null) {
      if (node.family === 4) this.topLevel4.delete(node.first4);
      else this.topLevel6.delete(node.first6);
      return;
    }
    const small = parent.free!.small;
    if (small !== null && node.family === 4) small.release(node.first4 - parent.first4, node.span4);
    else parent.free!.release(node.first, node.size);
    parent.childCount--;
  }

  private overlapping(node: PrefixNode): PrefixNode | undefined {
    if (node.family === 4) {
      const first = node.first4;
      const below = this.topLevel4.atOrBelow(first);
      if (below !== undefined && below.first4 + below.span4 > first) return below;
      const above = this.topLevel4.above(first);
      if (above !== undefined && above.first4 < first + node.span4) return above;
      return undefined;
    }
    const below = this.topLevel6.atOrBelow(node.first6);
    if (below !== undefined && below.last >= node.first6) return below;
    const above = this.topLevel6.above(node.first6);
    if (above !== undefined && above.first6 <= node.last) return above;
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
    const p = scanned;
    try {
      scanPrefix(raw, p);
    } catch (e) {
      throw e instanceof NetParseError ? E.unableToParseCidr(raw, e.message) : e;
    }
    const reserved = settings.reservation !== "none";
    let node: PrefixNode;
    let head: string;
    if (p.family === 4) {
      const first = (p.v4 & maskIPv4(p.bits)) >>> 0;
      // Go's parser accepts IPv4 only in canonical dotted decimal, so an IPv4 CIDR without host bits is canonical.
      head = first === p.v4 ? raw.slice(0, p.slash) : formatIPv4(first);
      node = PrefixNode.v4(first, p.bits, first === p.v4 ? raw : head + SLASH_BITS[p.bits], null, reserved);
    } else {
      const prefix = maskPrefix({ family: 6, addr: p.v6, bits: p.bits });
      node = PrefixNode.of(prefix, formatPrefix(prefix), null, reserved);
      head = node.addressPart();
    }
    if (settings !== NO_SETTINGS) applySettings(node, settings);
    this.addTopLevel(node);
    return { result: info(node), changes: recordsOfNew(node, head) };
  }

  private deletePrefix(raw: string): Applied<PrefixInfo> {
    const node = this.lookupWrapped(raw);
    if (node.hasIPs()) throw E.deleteHasIPs(node.cidr);
    if (node.isParent) throw E.deleteHasChildren(node.cidr, node.childCount);
    return { result: info(node), changes: this.removeWithRecords(node) };
  }

  private acquireChildPrefix(rawParent: string, length: number, rawChild: string | undefined, settings: PrefixSettings): Applied<PrefixInfo> {
    const parent = this.lookupWrapped(rawParent);
    const reserved = settings.reservation !== "none";
    let child: Prefix | undefined;
    if (rawChild !== undefined && rawChild !== "") {
      child = maskPrefix(parseCidrOrThrow(rawChild, (m) => E.unableToParseChildCidr(rawChild, m)));
      length = child.bits;
    }
    if (length <= parent.bits) throw E.lengthTooSmall(length, parent.bits);
    const bitlen = bitLen(parent.family);
    if (child === undefined && length > bitlen) throw E.lengthTooLarge(length, bitlen);
    if (parent.hasIPs()) throw E.childOnPrefixWithIPs(parent.cidr);
    let node: PrefixNode;
    if (child !== undefined) {
      if (child.family !== parent.family || !parent.freeSpace().takeSpecific(child.addr, prefixSize(length, parent.family))) {
        throw E.specificChildNotAvailable(rawChild!, rawParent);
      }
      node = PrefixNode.of(child, formatPrefix(child), parent, reserved);
    } else {
      const space = parent.freeSpace();
      if (parent.family === 4 && space.small !== null) {
        // IPv4 in numbers: offsets from the parent's first address
        const at = space.small.takeBestFit(ipv4Span(32 - length));
        if (at < 0) throw this.noChildAvailable(parent, rawParent, length);
        const first = parent.first4 + at;
        const head = formatIPv4(first);
        node = PrefixNode.v4(first, length, head + SLASH_BITS[length], parent, reserved);
        if (settings !== NO_SETTINGS) applySettings(node, settings);
        this.addChild(node);
        return { result: info(node), changes: recordsOfNew(node, head) };
      }
      const start = space.takeBestFit(prefixSize(length, parent.family));
      if (start === undefined) throw this.noChildAvailable(parent, rawParent, length);
      const prefix: Prefix = { family: parent.family, addr: start, bits: length };
      node = PrefixNode.of(prefix, formatPrefix(prefix), parent, reserved);
    }
    if (settings !== NO_SETTINGS) applySettings(node, settings);
    this.addChild(node);
    return { result: info(node), changes: recordsOfNew(node, node.addressPart()) };
  }

  /** `count` children as `count` AcquireChildPrefix in a row would take them, or none. */
  private acquireChildPrefixes(rawParent: string, length: number, count: number, settings: PrefixSettings): Applied<PrefixInfo[]> {
    const result: PrefixInfo[] = [];
    const changes: Change[] = [];
    try {
      while (result.length < count) {
        const taken = this.acquireChildPrefix(rawParent, length, undefined, settings);
        result.push(taken.result);
        for (const c of taken.changes) changes.push(c);
      }
    } catch (e) {
      for (let i = result.length - 1; i >= 0; i--) this.remove(this.prefixes.get(result[i].cidr)!); // all or nothing
      if (e instanceof E.IpamError && e.kind === "no_child_available" && result.length > 0)
        throw E.notEnoughChildren(rawParent, length, count, result.length);
      throw e;
    }
    return { result, changes };
  }

  private noChildAvailable(parent: PrefixNode, rawParent: string, length: number): E.IpamError {
    const free = Array.from(parent.freeBlocks(), (b) => parent.blockCidr(b.start, b.size));
    return E.noChildAvailable(rawParent, length, free);
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
    const changes = recordsOfRemoved(node);
    this.remove(node);
    return changes;
  }

  private acquireIP(rawPrefix: string, rawIP?: string) {
    const node = this.lookupWrapped(rawPrefix);
    if (node.isParent) throw E.acquireIPOnParent(node.cidr);
    const specific = rawIP !== undefined && rawIP !== "";
    let ip: string;
    if (node.family === 4) {
      const ips = node.ipv4();
      let offset: number;
      if (specific) {
        const v4 = scanAddrOrThrow(rawIP, () => E.ipNotValid(rawIP));
        offset = v4 - node.first4;
        if (v4 < 0 || lastParsedFamily() !== 4 || offset < 0 || offset >= ips.span) throw E.ipNotInPrefix(rawIP, rawPrefix);
        if (!ips.add(offset)) throw E.ipAlreadyAllocated(rawIP);
        ip = rawIP; // IPv4 parses only when canonical
      } else {
        const free = ips.lowestFree();
        if (free === undefined) throw E.noIPAvailable(node.cidr, ips.size);
        offset = free;
        ips.add(offset);
        ip = offset === 0 ? node.addressPart() : formatIPv4(node.first4 + offset);
      }
    } else {
      const ips = node.ips6!;
      let value: bigint;
      if (specific) {
        const addr = parseAddrOrThrow(rawIP, () => E.ipNotValid(rawIP));
        if (addr.family !== node.family || addr.zone !== "" || !node.contains(addr.value)) throw E.ipNotInPrefix(rawIP, rawPrefix);
        if (!ips.add(addr.value)) throw E.ipAlreadyAllocated(node.formatAddress(addr.value));
        value = addr.value;
      } else {
        const free = ips.lowestFree();
        if (free === undefined) throw E.noIPAvailable(node.cidr, ips.size);
        value = free;
        ips.add(value);
      }
      ip = node.formatAddress(value);
    }
    return { result: { ip, parentPrefix: node.cidr }, changes: [put({ kind: "ip", prefix: node.cidr, ip })] };
  }
  /** AcquireIP, then the labels on the address it took (apart, so the unlabelled path stays as it was). */
  private acquireLabelledIP(rawPrefix: string, rawIP: string | undefined, labels: Labels): Applied<IPInfo> {
    const applied: Applied<IPInfo> = this.acquireIP(rawPrefix, rawIP);
    const node = this.prefixes.get(applied.result.parentPrefix)!;
    node.setLabelsAt(node.keyOf(parseAddr(applied.result.ip).value), labels);
    applied.result.labels = labels;
    (applied.changes[0].record as IPRecord).labels = labels;
    return applied;
  }

  private acquireIPs(rawPrefix: string, count: number, labels: Labels | undefined): Applied<IPInfo[]> {
    const node = this.lookupWrapped(rawPrefix);
    if (node.isParent) throw E.acquireIPOnParent(node.cidr);
    const keys: AddressKey[] = [];
    const ips: string[] = [];
    if (node.family === 4) {
      const set = node.ipv4();
      const free = set.span - set.size;
      if (free < count) throw E.notEnoughIPs(node.cidr, count, BigInt(free), set.size);
      for (let i = 0; i < count; i++) {
        const offset = set.lowestFree()!;
        set.add(offset);
        keys.push(offset);
        ips.push(offset === 0 ? node.addressPart() : formatIPv4(node.first4 + offset));
      }
    } else {
      const set = node.ips6!;
      const free = node.size - BigInt(set.size);
      if (free < BigInt(count)) throw E.notEnoughIPs(node.cidr, count, free, set.size);
      for (let i = 0; i < count; i++) {
        const value = set.lowestFree()!;
        set.add(value);
        keys.push(value);
        ips.push(node.formatAddress(value));
      }
    }
    const result: IPInfo[] = [];
    const changes: Change[] = [];
    for (let i = 0; i < count; i++) {
      if (labels !== undefined) node.setLabelsAt(keys[i], labels);
      result.push(ipInfo(node, ips[i], labels));
      changes.push(put(ipRecord(node, ips[i], labels)));
    }
    return { result, changes };
  }

  private releaseIP(rawPrefix: string, rawIP: string): Applied<IPInfo> {
    const node = this.lookupWrapped(rawPrefix);
    let labels: Labels | undefined;
    const v4 = scanAddrOrThrow(rawIP, (m) => E.releaseIPParse(rawIP, m));
    if (lastParsedFamily() !== node.family || lastParsedZone() !== "") throw E.ipNotAllocated(rawIP, rawPrefix);
    let ip: string;
    if (node.family === 4) {
      const offset = v4 - node.first4;
      const ips = node.ipv4();
      if (offset < 0 || offset >= ips.span || !ips.delete(offset)) throw E.ipNotAllocated(rawIP, rawPrefix);
      ip = rawIP; // IPv4 parses only when canonical
      labels = node.dropLabelsAt(offset);
    } else {
      const value = lastParsedV6();
      if (!node.ips6!.delete(value)) throw E.ipNotAllocated(rawIP, rawPrefix);
      ip = node.formatAddress(value);
      labels = node.dropLabelsAt(value);
    }
    return {
      result: labels === undefined ? { ip, parentPrefix: node.cidr } : { ip, parentPrefix: node.cidr, labels },
      changes: [del({ kind: "ip", prefix: node.cidr, ip })],
    };
  }

  private releaseIPs(rawPrefix: string, rawIPs: string[]): Applied<IPInfo[]> {
    const node = this.lookupWrapped(rawPrefix);
    const keys: AddressKey[] = [];
    const formatted: string[] = [];
    for (const raw of rawIPs) {
      const v4 = scanAddrOrThrow(raw, (m) => E.releaseIPParse(raw, m));
      if (lastParsedFamily() !== node.family || lastParsedZone() !== "") throw E.ipNotAllocated(raw, rawPrefix);
      if (node.family === 4) {
        const offset = v4 - node.first4;
        const ips = node.ipv4();
        if (offset < 0 || offset >= ips.span || !ips.has(offset)) throw E.ipNotAllocated(raw, rawPrefix);
        keys.push(offset);
        formatted.push(raw); // IPv4 parses only when canonical
      } else {
        const value = lastParsedV6();
        if (!node.ips6!.has(value)) throw E.ipNotAllocated(raw, rawPrefix);
        keys.push(value);
        formatted.push(node.formatAddress(value));
      }
    }
    return this.releaseKeys(node, keys, formatted, rawIPs);
  }

  private releaseIPsByLabel(rawPrefix: string | undefined, selector: Labels): Applied<IPInfo[]> {
    const nodes = rawPrefix === undefined || rawPrefix === "" ? this.sortedPrefixes() : [this.lookupWrapped(rawPrefix)];
    const result: IPInfo[] = [];
    const changes: Change[] = [];
    for (const node of nodes) {
      const hits = node.labelled((labels) => matches(labels, selector));
      if (hits.length === 0) continue;
      const released = this.releaseKeys(node, hits.map(([key]) => key));
      for (const r of released.result) result.push(r);
      for (const c of released.changes) changes.push(c);
    }
    return { result, changes };
  }

  /**
   * Releases held addresses of `node` by key (checked by the caller; `formatted` printed when given), with
   * their labels, answering them in the order given. Refuses an address listed twice (as `raws` spell it)
   * before changing anything.
   */
  private releaseKeys(node: PrefixNode, keys: AddressKey[], formatted?: string[], raws?: string[]): Applied<IPInfo[]> {
    // Highest first: addresses acquired together sit at the top of the run from the prefix's first address,
    // which then shrinks in O(1) per address instead of splitting at each one.
    const descending = keys.length > 1 ? [...keys].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0)) : keys;
    for (let i = 1; i < descending.length; i++) if (descending[i] === descending[i - 1]) throw listedTwice(node, keys, raws);
    const result: IPInfo[] = [];
    const changes: Change[] = [];
    keys.forEach((key, i) => {
      const ip = formatted?.[i] ?? node.formatKey(key);
      result.push(ipInfo(node, ip, node.labelsAt(key)));
      changes.push(del({ kind: "ip", prefix: node.cidr, ip }));
    });
    for (const key of descending) {
      if (node.family === 4) node.ipv4().delete(key as number);
      else node.ips6!.delete(key as bigint);
      node.dropLabelsAt(key);
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
    if (selector !== undefined) {
      const entries = node.labelled((labels) => matches(labels, selector)).map(([key, labels]) => ipInfo(node, node.formatKey(key), labels));
      if (entries.length > E.ONE_MESSAGE_MAX_ADDRESSES) throw tooManyIPs(node, entries.length);
      return { ips: entries.map((e) => e.ip), labelled: entries };
    }
    return { ips: unpagedIPs(node), labelled: node.labelled().map(([key, labels]) => ipInfo(node, node.formatKey(key), labels)) };
  }

  /** At most `size` addresses above `after` (keyset paging: a page is where it was, whatever changed before it). */
  private listIPsPage(rawPrefix: string, selector: Labels | undefined, size: number, after: string | undefined): IPList {
    const node = this.lookupWrapped(rawPrefix);
    const afterValue = after === undefined ? undefined : addressIn(node, after);
    if (selector === undefined) {
      const page = node.ipPage(afterValue, size);
      const labelled: IPInfo[] = [];
      if (node.ipLabels !== null)
        page.keys.forEach((key, i) => {
          const labels = node.labelsAt(key);
          if (labels !== undefined) labelled.push(ipInfo(node, page.ips[i], labels));
        });
      return page.more ? { ips: page.ips, labelled, next: page.ips[page.ips.length - 1] } : { ips: page.ips, labelled };
    }
    const ipLabels = node.ipLabels;
    if (ipLabels === null) return { ips: [], labelled: [] };
    const page = ipLabels.page(afterValue === undefined ? undefined : node.keyOf(afterValue), size, (labels) => matches(labels, selector));
    const entries = page.entries.map(([key, labels]) => ipInfo(node, node.formatKey(key), labels));
    const list: IPList = { ips: entries.map((e) => e.ip), labelled: entries };
    if (page.more) list.next = entries[entries.length - 1].ip;
    return list;
  }

  /** One-message dumps hold every address of the namespace: refused when that is too many. */
  private checkFitsOneMessage(): void {
    let held = 0;
    for (const node of this.prefixes.values()) held += node.heldCount;
    if (held > E.ONE_MESSAGE_MAX_ADDRESSES)
      throw E.tooLargeForOneMessage("the namespace", held, "dump it in pages with page_size (the CLI's backup create does)");
  }

  private load(records: IpamRecord[], append: boolean): Applied<null> {
    if (append) return { result: null, changes: appendRecords(this, records).map(put) };
    if (!this.isEmpty) throw E.loadIntoNonEmpty();
    const built = Namespace.fromRecords(records); // built aside, so a bad dump leaves this namespace untouched
    for (const [cidr, node] of built.prefixes) this.prefixes.set(cidr, node);
    for (const [first, node] of built.topLevel4.entries()) this.topLevel4.insert(first, node);
    for (const [first, node] of built.topLevel6.entries()) this.topLevel6.insert(first, node);
    return { result: null, changes: this.records().map(put) };
  }
}

/** Every address of the prefix, for a one-message answer: refused when that is too many. */
function unpagedIPs(node: PrefixNode): string[] {
  if (node.heldCount > E.ONE_MESSAGE_MAX_ADDRESSES) throw tooManyIPs(node, node.heldCount);
  return node.ipStrings();
}

const tooManyIPs = (node: PrefixNode, count: number) =>
  E.tooLargeForOneMessage(`prefix ${node.cidr}`, count, "list its ips in pages with page_size (the CLI's ip list does)");

/** An address of the prefix, as a page token names it. */
function addressIn(node: PrefixNode, raw: string): bigint {
  const addr = parseAddrOrThrow(raw, (m) => E.invalidPageToken(`address ${raw}: ${m}`));
  if (addr.family !== node.family || addr.zone !== "" || !node.contains(addr.value))
    throw E.invalidPageToken(`address ${raw} is not in prefix ${node.cidr}`);
  return addr.value;
}

function parseCidrOrThrow(raw: string, wrap: (message: string) => E.IpamError): Prefix {
  return parsed(() => parsePrefix(raw), wrap);
}

function parseAddrOrThrow(raw: string, wrap: (message: string) => E.IpamError): Addr {
  return parsed(() => parseAddr(raw), wrap);
}

/** scanAddr (the IPv4 value, or -1 for IPv6) with the parse error wrapped. */
function scanAddrOrThrow(raw: string, wrap: (message: string) => E.IpamError): number {
  try {
    return scanAddr(raw, raw.length, null);
  } catch (e) {
    throw e instanceof NetParseError ? wrap(e.message) : e;
  }
}

/** "/0" to "/32": an IPv4 CIDR's suffix. */
const SLASH_BITS: readonly string[] = Array.from({ length: 33 }, (_, bits) => "/" + decimalSmall(bits));

/** Scratch for parsing CIDRs (the core is synchronous, so one is enough). */
const scanned = scannedPrefix();

/** The error for the first address of the list that repeats an earlier one. */
function listedTwice(node: PrefixNode, keys: AddressKey[], raws: string[] | undefined): E.IpamError {
  const seen = new Set<AddressKey>();
  const i = keys.findIndex((k) => seen.has(k) || !seen.add(k));
  return E.ipListedTwice(raws?.[i] ?? node.formatKey(keys[i]));
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

/** A prefix as answered: its labels and reservation only when it has them. */
function info(node: PrefixNode): PrefixInfo {
  const out: PrefixInfo = { cidr: node.cidr, parentCidr: node.parentCidr };
  if (node.labels !== null) out.labels = node.labels;
  if (node.reservation !== "default") out.reservation = node.reservation;
  return out;
}

const ipInfo = (node: PrefixNode, ip: string, labels: Labels | undefined): IPInfo =>
  labels === undefined ? { ip, parentPrefix: node.cidr } : { ip, parentPrefix: node.cidr, labels };
const unchanged = <R>(result: R): Applied<R> => ({ result, changes: [] });

