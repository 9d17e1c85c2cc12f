// The Store over a Durable Object's embedded SQLite (ctx.storage.sql). One row per namespace (meta) and per
// prefix; acquired addresses in sorted blocks of up to 800 bytes, or one row each when they carry extra fields
// (do-ip-table.ts), so an acquire writes O(1) rows whatever the prefix's fill and ten million addresses load
// as thousands of rows. A batch is one transactionSync (all or nothing, fenced by the version row), followed
// by storage.sync() so that a resolved commit means "durable on disk". Layout and reasoning: docs/storage.md.
//
// Only types from @cloudflare/workers-types are used; nothing here imports cloudflare:workers.

import type { DurableObjectStorage, SqlStorage } from "@cloudflare/workers-types/index";
import { IpChanges, loadBlocks, moveUnlabelledRows } from "./do-ip-table";
import { extraRecord, ipRecord, prefixRecord, recordExtras } from "./records";
import {
  type ExtraRecord,
  FencingError,
  isExtraRecord,
  type LoadedRecord,
  type StoredChange,
  validateChange,
  type NamespaceSnapshot,
  type NamespaceState,
  type Store,
  type StoreCounters,
} from "./types";

/** The part of DurableObjectStorage the adapter uses (a DO's ctx.storage satisfies it). */
export type SqliteStorage = Pick<DurableObjectStorage, "sql" | "transactionSync" | "sync">;

/** Schema, created idempotently. WITHOUT ROWID: the primary key is the row, so each record is one b-tree entry. */
export const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS namespaces (
     name    TEXT    NOT NULL PRIMARY KEY,
     present INTEGER NOT NULL,             -- 1: exists, 0: deleted (tombstone keeps the version)
     version INTEGER NOT NULL              -- bumped by every commit, create and delete
   ) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS prefixes (
     namespace   TEXT NOT NULL,
     cidr        TEXT NOT NULL,            -- canonical CIDR
     parent_cidr TEXT NOT NULL,            -- '' for a top-level prefix
     data        TEXT,                     -- the record's other fields as JSON (labels, ...); NULL when none
     PRIMARY KEY (namespace, cidr)
   ) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS ips (      -- addresses with extra fields (labels, ...), one row each
     namespace TEXT NOT NULL,
     prefix    TEXT NOT NULL,              -- canonical CIDR of the prefix the address was acquired from
     ip        TEXT NOT NULL,              -- canonical address
     data      TEXT,                       -- the record's other fields as JSON (NULL only in rows of old objects)
     PRIMARY KEY (namespace, prefix, ip)
   ) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS ip_blocks ( -- addresses without extra fields, in sorted blocks (do-ip-blocks.ts)
     namespace TEXT    NOT NULL,
     prefix    TEXT    NOT NULL,           -- canonical CIDR of the prefix the addresses were acquired from
     first     BLOB    NOT NULL,           -- the block's first member, 16 bytes big-endian (IPv4 too): the sort key
     first_ip  TEXT    NOT NULL,           -- the same, printed, for operators
     count     INTEGER NOT NULL,           -- members, first included (1 .. 801)
     data      BLOB    NOT NULL,           -- the other members: LEB128 varints of the gap from the one before (<= 800 bytes)
     PRIMARY KEY (namespace, prefix, first)
   ) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS records (
     namespace TEXT NOT NULL,
     kind      TEXT NOT NULL,              -- an extra kind of record (types.ts): idempotency, ...
     key       TEXT NOT NULL,
     data      TEXT,                       -- the record's other fields as JSON
     PRIMARY KEY (namespace, kind, key)
   ) WITHOUT ROWID`,
];

/** The unlabelled rows of ips, which only objects written before ip_blocks existed have: the migration finds them at once. */
const UNLABELLED_INDEX = "CREATE INDEX IF NOT EXISTS ips_unlabelled ON ips (namespace, prefix, ip) WHERE data IS NULL";

/** Objects created before records had extra fields: add the column (a metadata-only change in SQLite). */
function addDataColumns(sql: SqlStorage): void {
  for (const table of ["prefixes", "ips"]) {
    const columns = sql.exec<{ name: string }>(`PRAGMA table_info(${table})`).toArray();
    if (!columns.some((c) => c.name === "data")) sql.exec(`ALTER TABLE ${table} ADD COLUMN data TEXT`);
  }
}

/** Counters for metrics and tests. */
export interface DoSqliteCounters extends StoreCounters {
  /** SQLite rows written (as reported by the cursors), all operations included. */
  rowsWritten: number;
}

export class DoSqliteStore implements Store {
  readonly backend = "do-sqlite";
  readonly counters: DoSqliteCounters = { commits: 0, changes: 0, rowsWritten: 0 };
  private readonly sql: SqlStorage;
  /** "<namespace> <prefix>" of prefixes known to have no ips rows (do-ip-table.ts). */
  private readonly withoutLabelledRows = new Set<string>();

  constructor(private readonly storage: SqliteStorage) {
    this.sql = storage.sql;
    for (const stmt of SCHEMA) this.sql.exec(stmt);
    addDataColumns(this.sql);
    this.sql.exec(UNLABELLED_INDEX);
    // Objects written before ip_blocks existed: their unlabelled address rows move into blocks, once.
    storage.transactionSync(() => moveUnlabelledRows(this.sql));
  }

  async load(namespace: string): Promise<NamespaceSnapshot> {
    const state = this.state(namespace);
    if (!state.exists) return { ...state, records: [] };
    return { ...state, records: this.rows(namespace) };
  }

  /**
   * The namespace's rows as records, read lazily: top-level prefixes, then children, then the blocks of
   * addresses (one record each, by prefix in address order), then the labelled addresses, so the core builds
   * the namespace while reading and a large one is never held in memory twice.
   */
  private *rows(namespace: string): IterableIterator<LoadedRecord> {
    for (const [cidr, parentCidr, data] of this.sql
      .exec<{ cidr: string; parent_cidr: string; data: string | null }>(
        "SELECT cidr, parent_cidr, data FROM prefixes WHERE namespace = ? ORDER BY parent_cidr <> '', cidr",
        namespace,
      )
      .raw()) {
      yield prefixRecord(cidr as string, parentCidr as string, data as string | null);
    }
    yield* loadBlocks(this.sql, namespace);
    for (const [prefix, ip, data] of this.sql
      .exec<{ prefix: string; ip: string; data: string | null }>("SELECT prefix, ip, data FROM ips WHERE namespace = ?", namespace)
      .raw()) {
      yield data === null ? { kind: "ip", prefix: prefix as string, ip: ip as string } : ipRecord(prefix as string, ip as string, data as string);
    }
    for (const [kind, key, data] of this.sql
      .exec<{ kind: string; key: string; data: string | null }>("SELECT kind, key, data FROM records WHERE namespace = ?", namespace)
      .raw()) {
      yield extraRecord(kind as ExtraRecord["kind"], key as string, data as string | null);
    }
  }

  async commit(namespace: string, expectedVersion: number, changes: readonly StoredChange[]): Promise<number> {
    changes.forEach(validateChange);
    const version = this.storage.transactionSync(() => {
      this.fence(namespace, expectedVersion);
      let written = 0;
      const ips = new IpChanges();
      for (const c of changes) {
        if (c.record.kind === "ip") ips.add(c.op, c.record);
        else written += this.write(namespace, c);
      }
      written += ips.write(this.sql, namespace, this.withoutLabelledRows);
      written += this.sql.exec("UPDATE namespaces SET version = version + 1 WHERE name = ?", namespace).rowsWritten;
      this.counters.rowsWritten += written;
      return expectedVersion + 1;
    });
    await this.storage.sync();
    this.counters.commits++;
    this.counters.changes += changes.length;
    return version;
  }

  async createNamespace(namespace: string): Promise<NamespaceState & { created: boolean }> {
    const result = this.storage.transactionSync(() => {
      const s = this.state(namespace);
      if (s.exists) return { ...s, created: false };
      const version = s.version + 1;
      this.counters.rowsWritten += this.sql.exec(
        "INSERT INTO namespaces (name, present, version) VALUES (?, 1, ?) ON CONFLICT (name) DO UPDATE SET present = 1, version = excluded.version",
        namespace,
        version,
      ).rowsWritten;
      return { exists: true, version, created: true };
    });
    if (result.created) await this.storage.sync();
    return result;
  }

  async deleteNamespace(namespace: string, expectedVersion: number): Promise<number> {
    const version = this.storage.transactionSync(() => {
      this.fence(namespace, expectedVersion);
      let written = this.sql.exec("DELETE FROM ips WHERE namespace = ?", namespace).rowsWritten;
      written += this.sql.exec("DELETE FROM ip_blocks WHERE namespace = ?", namespace).rowsWritten;
      written += this.sql.exec("DELETE FROM records WHERE namespace = ?", namespace).rowsWritten;
      written += this.sql.exec("DELETE FROM prefixes WHERE namespace = ?", namespace).rowsWritten;
      written += this.sql.exec("UPDATE namespaces SET present = 0, version = version + 1 WHERE name = ?", namespace).rowsWritten;
      this.counters.rowsWritten += written;
      return expectedVersion + 1;
    });
    await this.storage.sync();
    return version;
  }

  async listNamespaces(): Promise<string[]> {
    return this.sql
      .exec<{ name: string }>("SELECT name FROM namespaces WHERE present = 1")
      .toArray()
      .map((r) => r.name)
      .sort();
  }

  /** Existence and version, read synchronously (0 / false for a name never created). */
  state(namespace: string): NamespaceState {
    const row = this.sql
      .exec<{ present: number; version: number }>("SELECT present, version FROM namespaces WHERE name = ?", namespace)
      .toArray()[0];
    return row ? { exists: row.present === 1, version: row.version } : { exists: false, version: 0 };
  }

  private fence(namespace: string, expectedVersion: number): void {
    const s = this.state(namespace);
    if (!s.exists || s.version !== expectedVersion) throw new FencingError(namespace, expectedVersion, s);
  }

  /** Writes a change of a prefix or of an extra kind (addresses go through IpChanges). */
  private write(namespace: string, c: StoredChange): number {
    const r = c.record;
    if (isExtraRecord(r)) {
      return c.op === "put"
        ? this.sql.exec(
            "INSERT INTO records (namespace, kind, key, data) VALUES (?, ?, ?, ?) ON CONFLICT (namespace, kind, key) DO UPDATE SET data = excluded.data",
            namespace,
            r.kind,
            r.key,
            recordExtras(r),
          ).rowsWritten
        : this.sql.exec("DELETE FROM records WHERE namespace = ? AND kind = ? AND key = ?", namespace, r.kind, r.key).rowsWritten;
    }
    if (r.kind !== "prefix") throw new Error(`do-sqlite: an ${r.kind} record reached the prefix writer`);
    return c.op === "put"
      ? this.sql.exec(
          "INSERT INTO prefixes (namespace, cidr, parent_cidr, data) VALUES (?, ?, ?, ?) ON CONFLICT (namespace, cidr) DO UPDATE SET parent_cidr = excluded.parent_cidr, data = excluded.data",
          namespace,
          r.cidr,
          r.parentCidr,
          recordExtras(r),
        ).rowsWritten
      : this.sql.exec("DELETE FROM prefixes WHERE namespace = ? AND cidr = ?", namespace, r.cidr).rowsWritten;
  }
}
