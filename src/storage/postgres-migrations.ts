// The schema of the Postgres/CockroachDB store: the files of migrations/, numbered, embedded here (a Worker
// cannot read files; test/storage/postgres-migrations.test.ts checks that the copies are identical).
//
// At its first use in an isolate the store reads the recorded schema version (ipam_schema_migrations) and,
// unless IPAM_AUTO_MIGRATE=false, applies every newer file, each as one implicit transaction (one
// multi-statement query). Each file records its own number, so applying them by hand with psql is the same.
// Two isolates migrating at once: the loser's transaction fails or does nothing, and it reads the version
// again. Migrations only add (new tables, nullable columns), so a release older than the schema still works.

export interface Migration {
  version: number;
  /** The file's name in migrations/, without ".sql". */
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "0001_records",
    sql: `-- 0001_records: the record layout of the Postgres/CockroachDB store (src/storage/postgres.ts,
-- docs/storage.md "PostgreSQL and CockroachDB"): one row per namespace, per prefix and per acquired address,
-- the same tables the Durable Object SQLite store keeps, plus a JSONB column for the record fields the core
-- adds later (labels, leases, ...), so a new field needs no schema change.
--
-- The store applies this file itself at first use (IPAM_AUTO_MIGRATE, default true), in one transaction.
-- By hand: psql "$DATABASE_URL" -1 -v ON_ERROR_STOP=1 -f migrations/0001_records.sql
-- Idempotent; the last statement records it in ipam_schema_migrations.

CREATE TABLE IF NOT EXISTS ipam_schema_migrations (
  version    INT         NOT NULL PRIMARY KEY,  -- the number of the file in migrations/
  name       TEXT        NOT NULL,
  applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS namespaces (
  name    TEXT    NOT NULL PRIMARY KEY,
  present BOOLEAN NOT NULL,  -- false: deleted (the tombstone keeps the version)
  version BIGINT  NOT NULL   -- bumped by every commit, create and delete; every write is fenced on it
);

CREATE TABLE IF NOT EXISTS prefixes (
  namespace   TEXT  NOT NULL,
  cidr        TEXT  NOT NULL,  -- canonical CIDR
  parent_cidr TEXT  NOT NULL,  -- '' for a top-level prefix
  extras      JSONB,           -- the record's other fields, NULL when it has none
  PRIMARY KEY (namespace, cidr)
);

CREATE TABLE IF NOT EXISTS ips (
  namespace TEXT  NOT NULL,
  prefix    TEXT  NOT NULL,  -- canonical CIDR of the prefix the address was acquired from
  ip        TEXT  NOT NULL,  -- canonical address (RFC 5952 for IPv6)
  extras    JSONB,           -- the record's other fields, NULL when it has none
  PRIMARY KEY (namespace, prefix, ip)
);

INSERT INTO ipam_schema_migrations (version, name) VALUES (1, '0001_records') ON CONFLICT (version) DO NOTHING;
`,
  },
  {
    version: 2,
    name: "0002_extra_records",
    sql: `-- 0002_extra_records: records of the extra kinds (idempotency entries now, leases later: EXTRA_RECORD_KINDS in
-- src/storage/types.ts), all in one table by kind and key, their fields in JSONB, so a new kind needs no
-- schema change. The same table the Durable Object SQLite store keeps.
--
-- Applied by the store at first use after 0001 (IPAM_AUTO_MIGRATE); by hand:
-- psql "$DATABASE_URL" -1 -v ON_ERROR_STOP=1 -f migrations/0002_extra_records.sql

CREATE TABLE IF NOT EXISTS records (
  namespace TEXT  NOT NULL,
  kind      TEXT  NOT NULL,  -- e.g. 'idempotency'
  key       TEXT  NOT NULL,
  extras    JSONB,           -- the record's other fields, NULL when it has none
  PRIMARY KEY (namespace, kind, key)
);

INSERT INTO ipam_schema_migrations (version, name) VALUES (2, '0002_extra_records') ON CONFLICT (version) DO NOTHING;
`,
  },
];

/** The schema version this release needs. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

export const VERSION_STATEMENT = "SELECT coalesce(max(version), 0)::text FROM ipam_schema_migrations";

/** The psql command applying the files after `from`, for error messages. */
export function psqlCommand(from: number): string {
  return MIGRATIONS.filter((m) => m.version > from)
    .map((m) => `psql "$DATABASE_URL" -1 -v ON_ERROR_STOP=1 -f migrations/${m.name}.sql`)
    .join(" && ");
}
