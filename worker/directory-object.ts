// The namespace directory: one well-known object (env.DIRECTORY.idFromName("directory")) indexing which
// namespaces exist, for ListNamespaces. The namespace objects are the source of truth; worker/namespaces.ts
// drives the begin -> act on the namespace object -> record protocol (docs/storage.md).
//
// With an external store the directory lives in the store itself, updated in the same atomic step as a
// namespace's creation or deletion: begin and record have nothing to do, and list reads the store.

import { DurableObject } from "cloudflare:workers";
import { DEFAULT_NAMESPACE } from "../src/core/names";
import { DirectoryTable, type DirectoryListing } from "../src/storage/do-directory";
import { consoleLogger } from "../src/server/outcome";
import { withDeadline } from "../src/storage/failure";
import type { NamespaceState, Store } from "../src/storage/types";
import type { Env } from "./env";
import { openStore, usesExternalStore } from "./store";

export const DIRECTORY_NAME = "directory";

export class DirectoryObject extends DurableObject<Env> {
  private table: DirectoryTable | undefined;
  private store: Store | undefined;

  /** Marks a create/delete of `name` as in flight; returns its intent id. */
  async begin(name: string): Promise<number> {
    return usesExternalStore(this.env) ? 0 : this.directoryTable().begin(name);
  }

  /** Records the namespace object's report after an operation (or a reconcile, from a listing). */
  async record(name: string, state: NamespaceState, intent: number, reconcile = false): Promise<void> {
    if (!usesExternalStore(this.env)) this.directoryTable().record(name, state, intent, { reconcile });
  }

  async list(): Promise<DirectoryListing> {
    if (!usesExternalStore(this.env)) return this.directoryTable().list();
    this.store ??= openStore(this.env, this.ctx.storage);
    const present = await this.store.listNamespaces();
    // Root exists until deleted, before anything wrote it to the store: its object knows (and creates it).
    const pending = present.includes(DEFAULT_NAMESPACE) ? [] : [{ name: DEFAULT_NAMESPACE, intent: 0, present: false }];
    return { present, pending };
  }

  /**
   * Readiness: the object answers, and its store does (a cheap round trip, bounded well under the health
   * check's own timeout). Store errors are logged here, never returned.
   */
  async ping(): Promise<{ storeReachable: boolean }> {
    try {
      if (!usesExternalStore(this.env)) {
        this.directoryTable().list();
        return { storeReachable: true };
      }
      this.store ??= openStore(this.env, this.ctx.storage);
      const store = this.store;
      await withDeadline(2_500, "store ping", async () => {
        await (store.ping ? store.ping() : store.listNamespaces());
      });
      return { storeReachable: true };
    } catch (e) {
      consoleLogger("health: the store did not answer", e);
      return { storeReachable: false };
    }
  }

  private directoryTable(): DirectoryTable {
    this.table ??= new DirectoryTable(this.ctx.storage.sql, [DEFAULT_NAMESPACE]);
    return this.table;
  }
}
