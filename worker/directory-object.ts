// The namespace directory: one well-known object (env.DIRECTORY.idFromName("directory")) indexing which
// namespaces exist, for ListNamespaces. The namespace objects are the source of truth; worker/namespaces.ts
// drives the begin -> act on the namespace object -> record protocol (docs/storage.md).

import { DurableObject } from "cloudflare:workers";
import { DEFAULT_NAMESPACE } from "../src/core/names";
import { DirectoryTable, type DirectoryListing } from "../src/storage/do-directory";
import type { NamespaceState } from "../src/storage/types";
import type { Env } from "./env";

export const DIRECTORY_NAME = "directory";

export class DirectoryObject extends DurableObject<Env> {
  private readonly table: DirectoryTable;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.table = new DirectoryTable(ctx.storage.sql, [DEFAULT_NAMESPACE]);
  }

  /** Marks a create/delete of `name` as in flight; returns its intent id. */
  async begin(name: string): Promise<number> {
    return this.table.begin(name);
  }

  /** Records the namespace object's report after an operation (or a reconcile, from a listing). */
  async record(name: string, state: NamespaceState, intent: number, reconcile = false): Promise<void> {
    this.table.record(name, state, intent, { reconcile });
  }

  async list(): Promise<DirectoryListing> {
    return this.table.list();
  }
}
