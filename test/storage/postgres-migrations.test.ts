// The migrations the Postgres store applies are the files in migrations/, unchanged, in order, each recording
// its own number; and the statements keep to what CockroachDB accepts (each table modified once per statement).
import { readdirSync, readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { MIGRATIONS, SCHEMA_VERSION } from "../../src/storage/postgres-migrations";
import { commitPlan, createStatement, deleteStatement } from "../../src/storage/postgres-sql";
import { collapseChanges } from "../../src/storage/records";
import type { Change } from "../../src/core/types";
import type { ExtraRecord, StoredChange } from "../../src/storage/types";

const dir = new URL("../../migrations/", import.meta.url);

it("embeds every file of migrations/ verbatim, numbered from 1 without gaps", () => {
  const files = readdirSync(dir).filter((f) => f.endsWith(".sql")).sort();
  expect(MIGRATIONS.map((m) => `${m.name}.sql`)).toEqual(files);
  MIGRATIONS.forEach((m, i) => {
    expect(m.version).toBe(i + 1);
    expect(m.name.startsWith(String(m.version).padStart(4, "0"))).toBe(true);
    expect(m.sql).toBe(readFileSync(new URL(`${m.name}.sql`, dir), "utf8"));
    expect(m.sql).toContain(`INSERT INTO ipam_schema_migrations (version, name) VALUES (${m.version}, '${m.name}') ON CONFLICT (version) DO NOTHING;`);
  });
  expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
});

/** How often each table is the target of INSERT/UPDATE/DELETE in one statement. */
function modifications(sql: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of sql.matchAll(/\b(?:INSERT INTO|(?<!DO )UPDATE|DELETE FROM)\s+(\w+)/g)) out[m[1]] = (out[m[1]] ?? 0) + 1;
  return out;
}

it("no statement modifies a table twice (CockroachDB refuses that), whatever the batch", () => {
  const p = (cidr: string): Change["record"] => ({ kind: "prefix", cidr, parentCidr: "" });
  const a = (ip: string): Change["record"] => ({ kind: "ip", prefix: "10.0.0.0/24", ip });
  const x = (key: string): ExtraRecord => ({ kind: "idempotency", key, outcome: {} });
  const batches: StoredChange[][] = [
    [],
    [{ op: "put", record: a("10.0.0.1") }],
    [{ op: "delete", record: a("10.0.0.1") }],
    [{ op: "put", record: p("10.0.0.0/24") }, { op: "put", record: a("10.0.0.0") }, { op: "put", record: a("10.0.0.255") }],
    [{ op: "delete", record: p("10.0.0.0/24") }, { op: "delete", record: a("10.0.0.0") }],
    [{ op: "put", record: a("10.0.0.2") }, { op: "delete", record: a("10.0.0.1") }],
    [{ op: "put", record: p("10.1.0.0/24") }, { op: "delete", record: p("10.0.0.0/24") }, { op: "put", record: a("10.0.0.3") }, { op: "delete", record: a("10.0.0.4") }],
    [{ op: "put", record: a("10.0.0.5") }, { op: "put", record: x("k1") }, { op: "delete", record: x("k0") }],
    [{ op: "put", record: a("10.0.0.6") }, { op: "put", record: x("k2") }],
  ];
  const statements = [createStatement("n"), deleteStatement("n", 3)];
  for (const b of batches) {
    const plan = commitPlan("n", 3, collapseChanges(b));
    statements.push(...(plan.kind === "statement" ? [plan.stmt] : plan.stmts));
    const tables = new Set(b.map((c) => c.record.kind));
    const mixed = [...tables].some((k) => b.some((c) => c.record.kind === k && c.op === "put") && b.some((c) => c.record.kind === k && c.op === "delete"));
    expect(plan.kind).toBe(mixed ? "transaction" : "statement");
  }
  for (const s of statements) {
    for (const [table, n] of Object.entries(modifications(s.text))) expect(n, `${table} in ${s.text}`).toBe(1);
    expect(s.params.length).toBeLessThanOrEqual(12);
  }
});
