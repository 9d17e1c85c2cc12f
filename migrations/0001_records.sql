-- The record layout for the SQL backends (PostgreSQL, CockroachDB): one row per namespace, per prefix and per
-- acquired address, the same tables the Durable Object SQLite store creates for itself (docs/storage.md).
-- The Postgres/CockroachDB store is not built yet; it will apply this file. Idempotent.

CREATE TABLE IF NOT EXISTS namespaces (
  name    TEXT    NOT NULL PRIMARY KEY,
  present BOOLEAN NOT NULL,   -- false: deleted (the tombstone keeps the version)
  version BIGINT  NOT NULL    -- bumped by every commit, create and delete; every batch is fenced on it
);

CREATE TABLE IF NOT EXISTS prefixes (
  namespace   TEXT NOT NULL,
  cidr        TEXT NOT NULL,  -- canonical CIDR
  parent_cidr TEXT NOT NULL,  -- '' for a top-level prefix
  PRIMARY KEY (namespace, cidr)
);

CREATE TABLE IF NOT EXISTS ips (
  namespace TEXT NOT NULL,
  prefix    TEXT NOT NULL,    -- canonical CIDR of the prefix the address was acquired from
  ip        TEXT NOT NULL,    -- canonical address (RFC 5952 for IPv6)
  PRIMARY KEY (namespace, prefix, ip)
);
