-- 0001_records: the record layout of the Postgres/CockroachDB store (src/storage/postgres.ts,
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
