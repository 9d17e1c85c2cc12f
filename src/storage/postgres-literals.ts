// A statement with its parameters written in as SQL literals, so several statements can travel as ONE
// simple-protocol query (PostgreSQL and CockroachDB run such a query as one implicit transaction, rolled
// back as a whole if any statement fails). node-postgres waits for each extended-protocol statement before
// sending the next, so this is how a two-statement transaction stays one round trip.
//
// Parameters are strings, numbers and arrays of strings or null (what postgres-sql.ts passes). Every value
// becomes a quoted literal (typed by the statement's own casts), escaped as PostgreSQL's own
// PQescapeLiteral does: quotes doubled, and with any backslash, backslashes doubled under E'...'.

import type { SqlStatement } from "./postgres-session";

export function quoteLiteral(text: string): string {
  if (text.includes("\0")) throw new Error("a SQL literal cannot hold a NUL character");
  const quoted = `'${text.replaceAll("'", "''")}'`;
  return text.includes("\\") ? ` E${quoted.replaceAll("\\", "\\\\")}` : quoted;
}

/** An array's text form ({"a","b",NULL}), as node-postgres sends array parameters. */
export function arrayLiteral(items: readonly (string | null)[]): string {
  return `{${items.map((v) => (v === null ? "NULL" : `"${v.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`)).join(",")}}`;
}

function literal(value: unknown): string {
  if (typeof value === "string") return quoteLiteral(value);
  if (typeof value === "number" && Number.isFinite(value)) return quoteLiteral(String(value));
  if (Array.isArray(value) && value.every((v) => v === null || typeof v === "string")) return quoteLiteral(arrayLiteral(value));
  throw new Error(`cannot write a ${typeof value} parameter as a SQL literal`);
}

/** The statement's text with $1, $2, ... replaced by their values. The text must hold no other `$`. */
export function inlineParameters(stmt: SqlStatement): string {
  return stmt.text.replace(/\$(\d+)/g, (_, n: string) => {
    const i = Number(n) - 1;
    if (i < 0 || i >= stmt.params.length) throw new Error(`statement refers to $${n} of ${stmt.params.length} parameters`);
    return literal(stmt.params[i]);
  });
}
