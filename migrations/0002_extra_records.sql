-- 0002_extra_records: records of the extra kinds (idempotency entries now, leases later: EXTRA_RECORD_KINDS in
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
