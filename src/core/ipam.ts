// The IPAM as a TypeScript library: go-ipam's Ipamer, synchronous, over namespaces kept in memory and
// persisted record by record to a MemoryStore.
import { namespaceNotEmpty, namespaceNotFound } from "./errors";
import { MemoryStore } from "./memory-store";
import { Namespace } from "./namespace";
import { DEFAULT_NAMESPACE, checkNamespaceName } from "./names";
import type { Command, IPInfo, PrefixInfo, ResultOf, Usage } from "./types";

export interface Options {
  /** Namespace of the call; default "root". */
  namespace?: string;
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
    const { result, changes } = ns.apply(cmd);
    if (changes.length > 0) this.store.commit(name, changes);
    return result;
  }

  newPrefix(cidr: string, opts?: Options): PrefixInfo {
    return this.run({ op: "createPrefix", cidr }, opts);
  }
  deletePrefix(cidr: string, opts?: Options): PrefixInfo {
    return this.run({ op: "deletePrefix", cidr }, opts);
  }
  prefixFrom(cidr: string, opts?: Options): PrefixInfo {
    return this.run({ op: "getPrefix", cidr }, opts);
  }
  listPrefixes(opts?: Options): PrefixInfo[] {
    return this.run({ op: "listPrefixes" }, opts);
  }
  usage(cidr: string, opts?: Options): Usage {
    return this.run({ op: "prefixUsage", cidr }, opts);
  }
  acquireChildPrefix(parentCidr: string, length: number, opts?: Options): PrefixInfo {
    return this.run({ op: "acquireChildPrefix", cidr: parentCidr, length }, opts);
  }
  acquireSpecificChildPrefix(parentCidr: string, childCidr: string, opts?: Options): PrefixInfo {
    return this.run({ op: "acquireChildPrefix", cidr: parentCidr, length: 0, childCidr }, opts);
  }
  releaseChildPrefix(childCidr: string, opts?: Options): PrefixInfo {
    return this.run({ op: "releaseChildPrefix", cidr: childCidr }, opts);
  }
  acquireIP(prefixCidr: string, opts?: Options): IPInfo {
    return this.run({ op: "acquireIP", prefixCidr }, opts);
  }
  acquireSpecificIP(prefixCidr: string, ip: string, opts?: Options): IPInfo {
    return this.run({ op: "acquireIP", prefixCidr, ip }, opts);
  }
  /** Releases an IP; answers the IP and the prefix it was released from. */
  releaseIP(ip: IPInfo, opts?: Options): IPInfo {
    return this.run({ op: "releaseIP", prefixCidr: ip.parentPrefix, ip: ip.ip }, opts);
  }
  releaseIPFromPrefix(prefixCidr: string, ip: string, opts?: Options): IPInfo {
    return this.run({ op: "releaseIP", prefixCidr, ip }, opts);
  }
  listIPs(prefixCidr: string, opts?: Options): string[] {
    return this.run({ op: "listIPs", prefixCidr }, opts);
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
