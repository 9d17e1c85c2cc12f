// An in-memory Store: the reference implementation of the contract (src/storage/types.ts), used by unit tests
// and as a second subject for the contract suite. Not durable; not for production.

import type { Change, IpamRecord } from "../core/types";
import {
  FencingError,
  validateChange,
  type NamespaceSnapshot,
  type NamespaceState,
  type Store,
} from "./types";

interface Entry {
  exists: boolean;
  version: number;
  prefixes: Map<string, string>; // cidr -> parentCidr
  ips: Map<string, Set<string>>; // prefix -> ips
}

export class ReferenceStore implements Store {
  readonly backend = "memory";
  private readonly namespaces = new Map<string, Entry>();
  /** Number of successful commits, for tests. */
  commits = 0;

  async load(namespace: string): Promise<NamespaceSnapshot> {
    const e = this.namespaces.get(namespace);
    if (!e || !e.exists) return { exists: false, version: e?.version ?? 0, records: [] };
    const records: IpamRecord[] = [];
    for (const [cidr, parentCidr] of e.prefixes) records.push({ kind: "prefix", cidr, parentCidr });
    for (const [prefix, ips] of e.ips) for (const ip of ips) records.push({ kind: "ip", prefix, ip });
    return { exists: true, version: e.version, records };
  }

  async commit(namespace: string, expectedVersion: number, changes: readonly Change[]): Promise<number> {
    changes.forEach(validateChange);
    const e = this.fence(namespace, expectedVersion);
    for (const c of changes) {
      const r = c.record;
      if (r.kind === "prefix") {
        if (c.op === "put") e.prefixes.set(r.cidr, r.parentCidr);
        else e.prefixes.delete(r.cidr);
      } else {
        let set = e.ips.get(r.prefix);
        if (c.op === "put") {
          if (!set) e.ips.set(r.prefix, (set = new Set()));
          set.add(r.ip);
        } else if (set) {
          set.delete(r.ip);
          if (set.size === 0) e.ips.delete(r.prefix);
        }
      }
    }
    this.commits++;
    return ++e.version;
  }

  async createNamespace(namespace: string): Promise<NamespaceState & { created: boolean }> {
    const e = this.namespaces.get(namespace);
    if (e?.exists) return { exists: true, version: e.version, created: false };
    const version = (e?.version ?? 0) + 1;
    this.namespaces.set(namespace, { exists: true, version, prefixes: new Map(), ips: new Map() });
    return { exists: true, version, created: true };
  }

  async deleteNamespace(namespace: string, expectedVersion: number): Promise<number> {
    const e = this.fence(namespace, expectedVersion);
    const version = e.version + 1;
    this.namespaces.set(namespace, { exists: false, version, prefixes: new Map(), ips: new Map() });
    return version;
  }

  async listNamespaces(): Promise<string[]> {
    return [...this.namespaces].filter(([, e]) => e.exists).map(([n]) => n).sort();
  }

  private fence(namespace: string, expectedVersion: number): Entry {
    const e = this.namespaces.get(namespace);
    if (!e || !e.exists || e.version !== expectedVersion) {
      throw new FencingError(namespace, expectedVersion, { exists: e?.exists ?? false, version: e?.version ?? 0 });
    }
    return e;
  }
}
