// The statements of the Postgres/CockroachDB store (tables: migrations/0001_records.sql). Every write is
// fenced on the namespace row: `fence` bumps its version only if it still holds the version the writer
// loaded, and every other part of the statement writes only if `fence` did. Records travel as array
// parameters expanded with unnest, so a statement has a fixed, small number of bind parameters whatever the
// batch size (PostgreSQL allows 65,535 per statement).
//
// Kept within CockroachDB's SQL: a statement modifies each table at most once (CockroachDB refuses several
// INSERT ON CONFLICT/UPDATE/DELETE subqueries on one table), no advisory locks, no LOCK TABLE, no MERGE.

import type { CollapsedChanges } from "./records";
import { recordExtras } from "./records";
import type { SqlStatement } from "./postgres-session";

/** Part of the message of the error a fenced transaction step raises on purpose (see FENCE_OR_FAIL). */
export const FENCED_MARKER = "ipam-fenced";

const FENCE = `fence AS (
  UPDATE namespaces SET version = version + 1
  WHERE name = $1 AND present AND version = $2
  RETURNING version
)`;

/** The namespace's existence and version, and every record (extra kinds included), in one statement (one snapshot). */
export function loadStatement(namespace: string): SqlStatement {
  return {
    text: `SELECT 'n', CASE WHEN present THEN '1' ELSE '0' END, version::text, NULL FROM namespaces WHERE name = $1
UNION ALL SELECT 'p', cidr, parent_cidr, extras::text FROM prefixes WHERE namespace = $1
UNION ALL SELECT 'i', prefix, ip, extras::text FROM ips WHERE namespace = $1
UNION ALL SELECT 'x', kind, key, extras::text FROM records WHERE namespace = $1`,
    params: [namespace],
  };
}

export function stateStatement(namespace: string): SqlStatement {
  return { text: "SELECT present, version::text FROM namespaces WHERE name = $1", params: [namespace] };
}

/** The parts of a commit: which table gets which kind of write (a table may need both). The extra kinds
 * (idempotency entries, ...) live in `records`, by kind and key. */
interface Parts {
  prefixPuts?: SqlPart;
  ipPuts?: SqlPart;
  extraPuts?: SqlPart;
  prefixDeletes?: SqlPart;
  ipDeletes?: SqlPart;
  extraDeletes?: SqlPart;
}
interface SqlPart {
  /** A CTE body using `$1` (namespace), the given parameter numbers and, unless `guard` is false, the fence. */
  cte: (p: number[], guard: boolean) => string;
  params: unknown[];
}

const GUARD = "EXISTS (SELECT 1 FROM fence)";

function parts(c: CollapsedChanges): Parts {
  const out: Parts = {};
  if (c.prefixPuts.length > 0) {
    out.prefixPuts = {
      cte: ([cidrs, parents, extras]) => `INSERT INTO prefixes (namespace, cidr, parent_cidr, extras)
  SELECT $1, r.cidr, r.parent_cidr, r.extras::jsonb
  FROM unnest($${cidrs}::text[], $${parents}::text[], $${extras}::text[]) AS r (cidr, parent_cidr, extras)
  WHERE ${GUARD}
  ON CONFLICT (namespace, cidr) DO UPDATE SET parent_cidr = excluded.parent_cidr, extras = excluded.extras`,
      params: [c.prefixPuts.map((r) => r.cidr), c.prefixPuts.map((r) => r.parentCidr), c.prefixPuts.map(recordExtras)],
    };
  }
  if (c.ipPuts.length > 0) {
    out.ipPuts = {
      cte: ([prefixes, ips, extras]) => `INSERT INTO ips (namespace, prefix, ip, extras)
  SELECT $1, r.prefix, r.ip, r.extras::jsonb
  FROM unnest($${prefixes}::text[], $${ips}::text[], $${extras}::text[]) AS r (prefix, ip, extras)
  WHERE ${GUARD}
  ON CONFLICT (namespace, prefix, ip) DO UPDATE SET extras = excluded.extras`,
      params: [c.ipPuts.map((r) => r.prefix), c.ipPuts.map((r) => r.ip), c.ipPuts.map(recordExtras)],
    };
  }
  if (c.extraPuts.length > 0) {
    out.extraPuts = {
      cte: ([kinds, keys, extras]) => `INSERT INTO records (namespace, kind, key, extras)
  SELECT $1, r.kind, r.key, r.extras::jsonb
  FROM unnest($${kinds}::text[], $${keys}::text[], $${extras}::text[]) AS r (kind, key, extras)
  WHERE ${GUARD}
  ON CONFLICT (namespace, kind, key) DO UPDATE SET extras = excluded.extras`,
      params: [c.extraPuts.map((r) => r.kind), c.extraPuts.map((r) => r.key), c.extraPuts.map(recordExtras)],
    };
  }
  if (c.prefixDeletes.length > 0) {
    out.prefixDeletes = {
      cte: ([cidrs], guard) => `DELETE FROM prefixes
  WHERE namespace = $1 AND cidr = ANY ($${cidrs}::text[])${guard ? ` AND ${GUARD}` : ""}`,
      params: [c.prefixDeletes.map((r) => r.cidr)],
    };
  }
  if (c.ipDeletes.length > 0) {
    out.ipDeletes = {
      cte: ([prefixes, ips], guard) => `DELETE FROM ips
  WHERE namespace = $1
  AND (prefix, ip) IN (SELECT d.prefix, d.ip FROM unnest($${prefixes}::text[], $${ips}::text[]) AS d (prefix, ip))${guard ? ` AND ${GUARD}` : ""}`,
      params: [c.ipDeletes.map((r) => r.prefix), c.ipDeletes.map((r) => r.ip)],
    };
  }
  if (c.extraDeletes.length > 0) {
    out.extraDeletes = {
      cte: ([kinds, keys], guard) => `DELETE FROM records
  WHERE namespace = $1
  AND (kind, key) IN (SELECT d.kind, d.key FROM unnest($${kinds}::text[], $${keys}::text[]) AS d (kind, key))${guard ? ` AND ${GUARD}` : ""}`,
      params: [c.extraDeletes.map((r) => r.kind), c.extraDeletes.map((r) => r.key)],
    };
  }
  return out;
}

/** `WITH [fence,] <parts> <final>`, the parts' parameters numbered after $1 (namespace) [and $2 (version)]. */
function statement(namespace: string, fence: { expectedVersion: number } | undefined, named: [string, SqlPart][], final: string): SqlStatement {
  const params: unknown[] = fence ? [namespace, fence.expectedVersion] : [namespace];
  const ctes = fence ? [FENCE] : [];
  for (const [name, part] of named) {
    const numbers = part.params.map((p) => params.push(p));
    ctes.push(`${name} AS (\n  ${part.cte(numbers, fence !== undefined)}\n)`);
  }
  return { text: `WITH ${ctes.join(",\n")}\n${final}`, params };
}

/** The fence's new version, or no row when refused. */
const RETURN_VERSION = "SELECT version::text FROM fence";

/**
 * Raises (SQLSTATE 22P02, message naming FENCED_MARKER) when refused, so a transaction's later statements
 * never run without the fence; otherwise the new version.
 */
const FENCE_OR_FAIL = `SELECT CAST(coalesce((SELECT version::text FROM fence), '${FENCED_MARKER}: the namespace moved on') AS BIGINT)::text`;

/**
 * How to commit a batch: ONE statement when every table gets one kind of write (acquire-only,
 * release-only, create prefix, delete prefix: the common batches), else a transaction of two statements,
 * the fence with every put and then every delete.
 */
export type CommitPlan = { kind: "statement"; stmt: SqlStatement } | { kind: "transaction"; stmts: SqlStatement[] };

export function commitPlan(namespace: string, expectedVersion: number, c: CollapsedChanges): CommitPlan {
  const p = parts(c);
  const puts: [string, SqlPart][] = [];
  const deletes: [string, SqlPart][] = [];
  if (p.prefixPuts) puts.push(["prefix_puts", p.prefixPuts]);
  if (p.ipPuts) puts.push(["ip_puts", p.ipPuts]);
  if (p.extraPuts) puts.push(["extra_puts", p.extraPuts]);
  if (p.prefixDeletes) deletes.push(["prefix_deletes", p.prefixDeletes]);
  if (p.ipDeletes) deletes.push(["ip_deletes", p.ipDeletes]);
  if (p.extraDeletes) deletes.push(["extra_deletes", p.extraDeletes]);
  const sharesTable = (p.prefixPuts && p.prefixDeletes) || (p.ipPuts && p.ipDeletes) || (p.extraPuts && p.extraDeletes);
  const fence = { expectedVersion };
  if (!sharesTable) return { kind: "statement", stmt: statement(namespace, fence, [...puts, ...deletes], RETURN_VERSION) };
  // The first step raises unless the fence passed, and then holds the namespace row for this transaction:
  // the deletes of the second step need no condition of their own.
  return {
    kind: "transaction",
    stmts: [statement(namespace, fence, puts, FENCE_OR_FAIL), statement(namespace, undefined, deletes, "SELECT 1")],
  };
}

/**
 * Create-if-absent (or deleted): the new version if created, no row if it already existed (the caller reads
 * it then; reading a table in the statement that modifies it is not something CockroachDB is known to
 * answer as PostgreSQL does). Clears rows a deleted name may have left.
 */
export function createStatement(namespace: string): SqlStatement {
  return {
    text: `WITH up AS (
  INSERT INTO namespaces (name, present, version) VALUES ($1, true, 1)
  ON CONFLICT (name) DO UPDATE SET present = true, version = namespaces.version + 1 WHERE NOT namespaces.present
  RETURNING version
), clear_prefixes AS (
  DELETE FROM prefixes WHERE namespace = $1 AND EXISTS (SELECT 1 FROM up)
), clear_ips AS (
  DELETE FROM ips WHERE namespace = $1 AND EXISTS (SELECT 1 FROM up)
), clear_records AS (
  DELETE FROM records WHERE namespace = $1 AND EXISTS (SELECT 1 FROM up)
)
SELECT version::text FROM up`,
    params: [namespace],
  };
}

/** Fenced delete: every record goes, the row stays as a tombstone with its version bumped. */
export function deleteStatement(namespace: string, expectedVersion: number): SqlStatement {
  return {
    text: `WITH fence AS (
  UPDATE namespaces SET present = false, version = version + 1
  WHERE name = $1 AND present AND version = $2
  RETURNING version
), drop_prefixes AS (
  DELETE FROM prefixes WHERE namespace = $1 AND EXISTS (SELECT 1 FROM fence)
), drop_ips AS (
  DELETE FROM ips WHERE namespace = $1 AND EXISTS (SELECT 1 FROM fence)
), drop_records AS (
  DELETE FROM records WHERE namespace = $1 AND EXISTS (SELECT 1 FROM fence)
)
${RETURN_VERSION}`,
    params: [namespace, expectedVersion],
  };
}

export const LIST_STATEMENT: SqlStatement = { text: "SELECT name FROM namespaces WHERE present", params: [] };
