// An in-memory Store: the reference implementation of the contract (src/storage/types.ts), used by unit tests
// and as a second subject for the contract suite. Not durable; not for production.

import type { Change, IpamRecord } from "../core/types";
import { recordKey } from "./records";
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
  /** By kind and key (records.ts), each record whole, extra fields included. */
  records: Map<string, IpamRecord>;
}

const keyOf = (r: IpamRecord) => `${r.kind} ${recordKey(r)}`;

export class ReferenceStore implements Store {
  readonly backend = "memory";
  private readonly namespaces = new Map<string, Entry>();
  /** Number of successful commits, for tests. */
  commits = 0;

  async load(namespace: string): Promise<NamespaceSnapshot> {
    const e = this.namespaces.get(namespace);
    if (!e || !e.exists) return { exists: false, version: e?.version ?? 0, records: [] };
    return { exists: true, version: e.version, records: [...e.records.values()].map((r) => ({ ...r })) };
  }

  async commit(namespace: string, expectedVersion: number, changes: readonly Change[]): Promise<number> {
    changes.forEach(validateChange);
    const e = this.fence(namespace, expectedVersion);
    for (const c of changes) {
      if (c.op === "put") e.records.set(keyOf(c.record), { ...c.record });
      else e.records.delete(keyOf(c.record));
    }
    this.commits++;
    return ++e.version;
  }

  async createNamespace(namespace: string): Promise<NamespaceState & { created: boolean }> {
    const e = this.namespaces.get(namespace);
    if (e?.exists) return { exists: true, version: e.version, created: false };
    const version = (e?.version ?? 0) + 1;
    this.namespaces.set(namespace, { exists: true, version, records: new Map() });
    return { exists: true, version, created: true };
  }

  async deleteNamespace(namespace: string, expectedVersion: number): Promise<number> {
    const e = this.fence(namespace, expectedVersion);
    const version = e.version + 1;
    this.namespaces.set(namespace, { exists: false, version, records: new Map() });
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
