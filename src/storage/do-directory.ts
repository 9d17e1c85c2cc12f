// The namespace directory of the Durable Object backend: an index of which namespaces exist, kept in the
// directory object's SQLite. Each namespace object is the source of truth for its own existence; the
// directory caches what the objects reported, tagged with their version, and marks names whose
// create/delete is in flight ("pending") so a crash between the two objects is repaired by the next list.
// Protocol and crash analysis: docs/storage.md ("The namespace directory").

import type { SqlStorage } from "@cloudflare/workers-types/index";
import type { NamespaceState } from "./types";

export const DIRECTORY_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS directory (
     name      TEXT    NOT NULL PRIMARY KEY,
     present   INTEGER NOT NULL,           -- last reported existence (1/0)
     version   INTEGER NOT NULL,           -- namespace version of that report; reports never go backwards
     intent    INTEGER NOT NULL,           -- id of the latest create/delete begun on this name
     settled   INTEGER NOT NULL,           -- id of the latest intent whose outcome was recorded
     intent_at INTEGER NOT NULL            -- when the latest intent began (ms since epoch)
   ) WITHOUT ROWID`,
];

/** A pending intent older than this is taken as abandoned (its caller crashed) and settled by a reconcile. */
export const ABANDONED_AFTER_MS = 60_000;

export interface PendingEntry {
  name: string;
  intent: number;
  /** What the directory last recorded (used if the namespace object cannot be asked). */
  present: boolean;
}

export interface DirectoryListing {
  /** Names recorded as existing with no create/delete in flight. */
  present: string[];
  /** Names with a create/delete in flight or abandoned: ask their namespace object. */
  pending: PendingEntry[];
}

export class DirectoryTable {
  constructor(
    private readonly sql: SqlStorage,
    defaults: readonly string[] = [],
  ) {
    for (const stmt of DIRECTORY_SCHEMA) sql.exec(stmt);
    // Namespaces that exist without being created (root). Version 0 loses to any report from the object.
    for (const name of defaults) {
      sql.exec(
        "INSERT OR IGNORE INTO directory (name, present, version, intent, settled, intent_at) VALUES (?, 1, 0, 0, 0, 0)",
        name,
      );
    }
  }

  /** Marks `name` as having a create/delete in flight; returns the intent id to pass to record(). */
  begin(name: string, now = Date.now()): number {
    const row = this.sql
      .exec<{ intent: number }>(
        `INSERT INTO directory (name, present, version, intent, settled, intent_at) VALUES (?, 0, 0, 1, 0, ?)
         ON CONFLICT (name) DO UPDATE SET intent = intent + 1, intent_at = excluded.intent_at
         RETURNING intent`,
        name,
        now,
      )
      .one();
    return row.intent;
  }

  /**
   * Records what the namespace object reported. The report is applied only if it is not older than the one
   * recorded (versions are monotonic per name). The intent is settled if it is still the latest one; a
   * reconcile (`intent` read from a listing) settles it only once it is abandoned, so an operation still in
   * flight keeps its mark until it reports itself.
   */
  record(name: string, state: NamespaceState, intent: number, opts: { reconcile?: boolean; now?: number } = {}): void {
    const now = opts.now ?? Date.now();
    const row = this.sql
      .exec<{ version: number; intent: number; intent_at: number }>(
        "SELECT version, intent, intent_at FROM directory WHERE name = ?",
        name,
      )
      .toArray()[0];
    if (!row) {
      this.sql.exec(
        "INSERT INTO directory (name, present, version, intent, settled, intent_at) VALUES (?, ?, ?, 0, 0, 0)",
        name,
        state.exists ? 1 : 0,
        state.version,
      );
      return;
    }
    if (state.version >= row.version) {
      this.sql.exec(
        "UPDATE directory SET present = ?, version = ? WHERE name = ?",
        state.exists ? 1 : 0,
        state.version,
        name,
      );
    }
    const settle = intent === row.intent && (!opts.reconcile || now - row.intent_at >= ABANDONED_AFTER_MS);
    if (settle) this.sql.exec("UPDATE directory SET settled = ? WHERE name = ? AND settled < ?", intent, name, intent);
  }

  list(): DirectoryListing {
    const present: string[] = [];
    const pending: PendingEntry[] = [];
    for (const r of this.sql
      .exec<{ name: string; present: number; intent: number; settled: number }>(
        "SELECT name, present, intent, settled FROM directory",
      )
      .toArray()) {
      if (r.intent > r.settled) pending.push({ name: r.name, intent: r.intent, present: r.present === 1 });
      else if (r.present === 1) present.push(r.name);
    }
    present.sort();
    return { present, pending };
  }
}
