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
  prefixSize,
  scanAddr,
  scanPrefix,
  scannedPrefix,
} from "../net";
import { buildNamespace } from "./builder";
import { ChurnSafeMap } from "./churn-safe-map";
import { commandObject, length, optionalStr, str, unknownOp } from "./command-check";
import { exportDump, parseDump } from "./dump";
import * as E from "./errors";
import { exportGoIpamDump, parseGoIpamDump } from "./goipam-dump";
import { parsed } from "./parsed";
import { PrefixNode, ipv4Span } from "./prefix-node";
import { del, prefixRecord, put, recordsOfNew, recordsOfRemoved } from "./records";
import { SortedIndex } from "./sorted-index";
import type { Change, Command, IpamRecord, PrefixInfo, ResultOf, Usage } from "./types";
import { usageOf } from "./usage";

export interface Applied<R> {
  result: R;
  changes: Change[];
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
        return this.createPrefix(str("cidr", cmd.cidr));
      case "deletePrefix":
        return this.deletePrefix(str("cidr", cmd.cidr));
      case "getPrefix":
        return unchanged(info(this.lookup(str("cidr", cmd.cidr))));
      case "listPrefixes":
        return unchanged(this.sortedPrefixes().map(info));
      case "prefixUsage":
        return unchanged(usageOf(this.lookup(str("cidr", cmd.cidr))) satisfies Usage);
      case "acquireChildPrefix":
        return this.acquireChildPrefix(str("cidr", cmd.cidr), length("length", cmd.length), optionalStr("childCidr", cmd.childCidr));
      case "releaseChildPrefix":
        return this.releaseChildPrefix(str("cidr", cmd.cidr));
      case "acquireIP":
        return this.acquireIP(str("prefixCidr", cmd.prefixCidr), optionalStr("ip", cmd.ip));
      case "releaseIP":
        return this.releaseIP(str("prefixCidr", cmd.prefixCidr), str("ip", cmd.ip));
      case "listIPs":
        return unchanged(this.lookupWrapped(str("prefixCidr", cmd.prefixCidr)).ipStrings());
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
    for (const node of nodes) for (const ip of node.ipStrings()) out.push({ kind: "ip", prefix: node.cidr, ip });
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

  private createPrefix(raw: string): Applied<PrefixInfo> {
    const p = scanned;
    try {
      scanPrefix(raw, p);
    } catch (e) {
      throw e instanceof NetParseError ? E.unableToParseCidr(raw, e.message) : e;
    }
    let node: PrefixNode;
    let head: string;
    if (p.family === 4) {
      const first = (p.v4 & maskIPv4(p.bits)) >>> 0;
      // Go's parser accepts IPv4 only in canonical dotted decimal, so an IPv4 CIDR without host bits is canonical.
      head = first === p.v4 ? raw.slice(0, p.slash) : formatIPv4(first);
      node = PrefixNode.v4(first, p.bits, first === p.v4 ? raw : head + SLASH_BITS[p.bits], null);
    } else {
      const prefix = maskPrefix({ family: 6, addr: p.v6, bits: p.bits });
      node = PrefixNode.of(prefix, formatPrefix(prefix), null, true);
      head = node.addressPart();
    }
    this.addTopLevel(node);
    return { result: info(node), changes: recordsOfNew(node, head) };
  }

  private deletePrefix(raw: string): Applied<PrefixInfo> {
    const node = this.lookupWrapped(raw);
    if (node.hasIPs()) throw E.deleteHasIPs(node.cidr);
    if (node.isParent) throw E.deleteHasChildren(node.cidr, node.childCount);
    return { result: info(node), changes: this.removeWithRecords(node) };
  }

  private acquireChildPrefix(rawParent: string, length: number, rawChild?: string): Applied<PrefixInfo> {
    const parent = this.lookupWrapped(rawParent);
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
      node = PrefixNode.of(child, formatPrefix(child), parent, true);
    } else {
      const space = parent.freeSpace();
      if (parent.family === 4 && space.small !== null) {
        // IPv4 in numbers: offsets from the parent's first address
        const at = space.small.takeBestFit(ipv4Span(32 - length));
        if (at < 0) throw this.noChildAvailable(parent, rawParent, length);
        const first = parent.first4 + at;
        const head = formatIPv4(first);
        node = PrefixNode.v4(first, length, head + SLASH_BITS[length], parent);
        this.addChild(node);
        return { result: info(node), changes: recordsOfNew(node, head) };
      }
      const start = space.takeBestFit(prefixSize(length, parent.family));
      if (start === undefined) throw this.noChildAvailable(parent, rawParent, length);
      const prefix: Prefix = { family: parent.family, addr: start, bits: length };
      node = PrefixNode.of(prefix, formatPrefix(prefix), parent, true);
    }
    this.addChild(node);
    return { result: info(node), changes: recordsOfNew(node, node.addressPart()) };
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

  private releaseIP(rawPrefix: string, rawIP: string) {
    const node = this.lookupWrapped(rawPrefix);
    const v4 = scanAddrOrThrow(rawIP, (m) => E.releaseIPParse(rawIP, m));
    if (lastParsedFamily() !== node.family || lastParsedZone() !== "") throw E.ipNotAllocated(rawIP, rawPrefix);
    let ip: string;
    if (node.family === 4) {
      const offset = v4 - node.first4;
      const ips = node.ipv4();
      if (offset < 0 || offset >= ips.span || !ips.delete(offset)) throw E.ipNotAllocated(rawIP, rawPrefix);
      ip = rawIP; // IPv4 parses only when canonical
    } else {
      const value = lastParsedV6();
      if (!node.ips6!.delete(value)) throw E.ipNotAllocated(rawIP, rawPrefix);
      ip = node.formatAddress(value);
    }
    return {
      result: { ip, parentPrefix: node.cidr },
      changes: [del({ kind: "ip", prefix: node.cidr, ip })],
    };
  }

  private load(records: IpamRecord[]): Applied<null> {
    if (!this.isEmpty) throw E.loadIntoNonEmpty();
    const built = Namespace.fromRecords(records); // built aside, so a bad dump leaves this namespace untouched
    for (const [cidr, node] of built.prefixes) this.prefixes.set(cidr, node);
    for (const [first, node] of built.topLevel4.entries()) this.topLevel4.insert(first, node);
    for (const [first, node] of built.topLevel6.entries()) this.topLevel6.insert(first, node);
    return { result: null, changes: this.records().map(put) };
  }
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

const info = (node: PrefixNode): PrefixInfo => ({ cidr: node.cidr, parentCidr: node.parentCidr });
const unchanged = <R>(result: R): Applied<R> => ({ result, changes: [] });

