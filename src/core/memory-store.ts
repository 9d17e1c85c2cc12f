// An in-memory record store for library use and tests: what a namespace persisted, kept as records, so a
// namespace can be rebuilt from it exactly as from a real store.
import { ChurnSafeMap } from "./churn-safe-map";
import type { Change, IpamRecord } from "./types";

export class MemoryStore {
  private readonly namespaces = new Map<string, ChurnSafeMap<string, IpamRecord>>();

  createNamespace(name: string): boolean {
    if (this.namespaces.has(name)) return false;
    this.namespaces.set(name, new ChurnSafeMap());
    return true;
  }

  deleteNamespace(name: string): boolean {
    return this.namespaces.delete(name);
  }

  listNamespaces(): string[] {
    return [...this.namespaces.keys()].sort();
  }

  /** The namespace's records, or undefined when it does not exist. */
  load(name: string): IpamRecord[] | undefined {
    const records = this.namespaces.get(name);
    return records === undefined ? undefined : [...records.values()];
  }

  commit(name: string, changes: Change[]): void {
    const records = this.namespaces.get(name);
    if (records === undefined) throw new Error(`namespace ${name} does not exist in the store`);
    for (const change of changes) {
      const key = recordKey(change.record);
      if (change.op === "put") records.set(key, change.record);
      else records.delete(key);
    }
  }
}

export function recordKey(r: IpamRecord): string {
  return r.kind === "prefix" ? `p ${r.cidr}` : `i ${r.prefix} ${r.ip}`;
}
