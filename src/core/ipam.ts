// The IPAM as a TypeScript library: go-ipam's Ipamer, synchronous, over namespaces kept in memory and
// persisted record by record to a MemoryStore.
import { isIpamError, namespaceNotEmpty, namespaceNotFound } from "./errors";
import { MemoryStore } from "./memory-store";
import { Namespace } from "./namespace";
import { DEFAULT_NAMESPACE, checkNamespaceName } from "./names";
import type { Command, IPInfo, IPList, Labels, PrefixInfo, Reservation, ResultOf, Usage } from "./types";

export interface Options {
  /** Namespace of the call; default "root". */
  namespace?: string;
}

export interface LabelOptions extends Options {
  /** Labels to attach (docs/compatibility.md lists the limits). */
  labels?: Labels;
}

export interface PrefixOptions extends LabelOptions {
  /** "none": reserve no network or broadcast address. Default: go-ipam's reservation. */
  reservation?: Reservation;
}

export interface ListPrefixesOptions extends Options {
  /** Only prefixes carrying every one of these labels. */
  selector?: Labels;
  /** Only prefixes (children included) that overlap this CIDR. */
  overlapping?: string;
}

export interface SelectorOptions extends Options {
  selector?: Labels;
}

/** The command fields of options (the namespace is not one). */
function fields<O extends Options>(opts: O | undefined): Omit<O, "namespace"> {
  if (opts === undefined) return {} as O;
  const { namespace: _, ...rest } = opts;
  return rest;
}

export class Ipam {
  private readonly live = new Map<string, Namespace>();

  constructor(readonly store: MemoryStore = new MemoryStore()) {
    store.createNamespace(DEFAULT_NAMESPACE);
    for (const name of store.listNamespaces()) this.live.set(name, Namespace.fromRecords(store.load(name)!));
  }

  // ---- namespaces ----

  /** Idempotent, as in go-ipam. */
  createNamespace(name: string): void {
    checkNamespaceName(name);
    if (this.live.has(name)) return;
    this.store.createNamespace(name);
    this.live.set(name, new Namespace());
  }

  listNamespaces(): string[] {
    return [...this.live.keys()].sort();
  }

  deleteNamespace(name: string): void {
    checkNamespaceName(name);
    const ns = this.live.get(name);
    if (ns === undefined) throw namespaceNotFound(name);
    if (!ns.isEmpty) throw namespaceNotEmpty(name);
    this.store.deleteNamespace(name);
    this.live.delete(name);
  }

  // ---- commands ----

  /** Runs one command in a namespace and persists its changes. */
  run<C extends Command>(cmd: C, opts: Options = {}): ResultOf<C> {
    const name = opts.namespace || DEFAULT_NAMESPACE;
    const ns = this.live.get(name);
    if (ns === undefined) {
      checkNamespaceName(name);
      throw namespaceNotFound(name);
    }
    let applied;
    try {
      applied = ns.apply(cmd);
    } catch (e) {
      if (isIpamError(e) && e.halfApplied) this.live.set(name, Namespace.fromRecords(this.store.load(name)!));
      throw e;
    }
    if (applied.changes.length > 0) this.store.commit(name, applied.changes);
    return applied.result;
  }

  newPrefix(cidr: string, opts?: PrefixOptions): PrefixInfo {
    return this.run({ op: "createPrefix", cidr, ...fields(opts) }, opts);
  }
  deletePrefix(cidr: string, opts?: Options): PrefixInfo {
    return this.run({ op: "deletePrefix", cidr }, opts);
  }
  prefixFrom(cidr: string, opts?: Options): PrefixInfo {
    return this.run({ op: "getPrefix", cidr }, opts);
  }
  listPrefixes(opts?: ListPrefixesOptions): PrefixInfo[] {
    return this.run({ op: "listPrefixes", ...fields(opts) }, opts);
  }
  usage(cidr: string, opts?: Options): Usage {
    return this.run({ op: "prefixUsage", cidr }, opts);
  }
  acquireChildPrefix(parentCidr: string, length: number, opts?: PrefixOptions): PrefixInfo {
    return this.run({ op: "acquireChildPrefix", cidr: parentCidr, length, ...fields(opts) }, opts);
  }
  acquireSpecificChildPrefix(parentCidr: string, childCidr: string, opts?: PrefixOptions): PrefixInfo {
    return this.run({ op: "acquireChildPrefix", cidr: parentCidr, length: 0, childCidr, ...fields(opts) }, opts);
  }
  /** `count` best-fit children at once: all or nothing. */
  acquireChildPrefixes(parentCidr: string, length: number, count: number, opts?: PrefixOptions): PrefixInfo[] {
    return this.run({ op: "acquireChildPrefixes", cidr: parentCidr, length, count, ...fields(opts) }, opts);
  }
  releaseChildPrefix(childCidr: string, opts?: Options): PrefixInfo {
    return this.run({ op: "releaseChildPrefix", cidr: childCidr }, opts);
  }
  /** All or nothing. */
  releaseChildPrefixes(childCidrs: string[], opts?: Options): PrefixInfo[] {
    return this.run({ op: "releaseChildPrefixes", cidrs: childCidrs }, opts);
  }
  acquireIP(prefixCidr: string, opts?: LabelOptions): IPInfo {
    return this.run({ op: "acquireIP", prefixCidr, ...fields(opts) }, opts);
  }
  acquireSpecificIP(prefixCidr: string, ip: string, opts?: LabelOptions): IPInfo {
    return this.run({ op: "acquireIP", prefixCidr, ip, ...fields(opts) }, opts);
  }
  /** The `count` lowest free addresses at once: all or nothing. */
  acquireIPs(prefixCidr: string, count: number, opts?: LabelOptions): IPInfo[] {
    return this.run({ op: "acquireIPs", prefixCidr, count, ...fields(opts) }, opts);
  }
  /** All or nothing: fails naming the first address that is not held. */
  releaseIPs(prefixCidr: string, ips: string[], opts?: Options): IPInfo[] {
    return this.run({ op: "releaseIPs", prefixCidr, ips }, opts);
  }
  /** Releases every address carrying these labels, in `prefixCidr` or (without it) in the whole namespace. */
  releaseIPsByLabel(selector: Labels, opts?: Options & { prefixCidr?: string }): IPInfo[] {
    return this.run({ op: "releaseIPsByLabel", selector, ...fields(opts) }, opts);
  }
  /** Releases an IP; answers the IP and the prefix it was released from. */
  releaseIP(ip: IPInfo, opts?: Options): IPInfo {
    return this.run({ op: "releaseIP", prefixCidr: ip.parentPrefix, ip: ip.ip }, opts);
  }
  releaseIPFromPrefix(prefixCidr: string, ip: string, opts?: Options): IPInfo {
    return this.run({ op: "releaseIP", prefixCidr, ip }, opts);
  }
  listIPs(prefixCidr: string, opts?: SelectorOptions): string[] {
    return this.run({ op: "listIPs", prefixCidr, ...fields(opts) }, opts);
  }
  /** The acquired addresses, and the labelled ones with their labels. */
  listIPEntries(prefixCidr: string, opts?: SelectorOptions): IPList {
    return this.run({ op: "listIPEntries", prefixCidr, ...fields(opts) }, opts);
  }
  /** The namespace in our own JSON format (docs/dump-format.md). */
  dump(opts?: Options): string {
    return this.run({ op: "dump" }, opts);
  }
  /** Loads our own format into an empty namespace. */
  load(dump: string, opts?: Options): void {
    this.run({ op: "load", dump }, opts);
  }
  /** The namespace in the original go-ipam Dump format. */
  exportGoIpam(opts?: Options): string {
    return this.run({ op: "exportGoIpam" }, opts);
  }
  /** Loads a go-ipam Dump (or our own format) into an empty namespace. */
  importGoIpam(dump: string, opts?: Options): void {
    this.run({ op: "importGoIpam", dump }, opts);
  }
}
