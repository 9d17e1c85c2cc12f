// The store contract suite against the DO SQLite adapter (inside a real Durable Object's storage) and the
// in-memory reference store, plus DO-SQLite-specific checks: layout, O(1) rows per acquire, idempotent schema.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DoSqliteStore } from "../../src/storage/do-sqlite";
import { expandRecords } from "../../src/storage/records";
import { ReferenceStore } from "../../src/storage/reference-store";
import { freshName, storeContract } from "../../src/storage/testing/contract";
import type { Store } from "../../src/storage/types";
import { backend, describeOnDurableObjects, isExternalStore, withProjectStore } from "./backend";

/** Runs `body` inside a fresh Durable Object, with a DoSqliteStore over its SQLite. */
function inFreshObject<R>(body: (store: DoSqliteStore, storage: DurableObjectStorage) => Promise<R>): Promise<R> {
  const stub = env.NAMESPACE.get(env.NAMESPACE.newUniqueId());
  return runInDurableObject(stub, (_instance, state) => body(new DoSqliteStore(state.storage), state.storage));
}

if (isExternalStore) {
  // The project's external store, against its real server.
  storeContract(backend, (body) => withProjectStore(body));
} else {
  storeContract("do-sqlite", (body) => inFreshObject((store) => body(store)));
  storeContract("memory", (body) => body(new ReferenceStore()));
}

describeOnDurableObjects("do-sqlite layout", () => {
  it("creates its schema idempotently and keeps data across adapter instances", async () => {
    await inFreshObject(async (store, storage) => {
      const ns = freshName();
      const { version } = await store.createNamespace(ns);
      await store.commit(ns, version, [{ op: "put", record: { kind: "prefix", cidr: "10.0.0.0/24", parentCidr: "" } }]);
      const again: Store = new DoSqliteStore(storage); // runs CREATE TABLE IF NOT EXISTS again
      expect([...(await again.load(ns)).records]).toEqual([{ kind: "prefix", cidr: "10.0.0.0/24", parentCidr: "" }]);
      const tables = storage.sql
        .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%' ORDER BY name")
        .toArray()
        .map((r) => r.name);
      expect(tables).toEqual(["ip_blocks", "ips", "namespaces", "prefixes", "records"]);
    });
  });

  it("adds the data column to an object created before records had extra fields, keeping its rows", async () => {
    await inFreshObject(async (_store, storage) => {
      const sql = storage.sql;
      for (const t of ["namespaces", "prefixes", "ips"]) sql.exec(`DROP TABLE IF EXISTS ${t}`);
      sql.exec("CREATE TABLE namespaces (name TEXT NOT NULL PRIMARY KEY, present INTEGER NOT NULL, version INTEGER NOT NULL) WITHOUT ROWID");
      sql.exec("CREATE TABLE prefixes (namespace TEXT NOT NULL, cidr TEXT NOT NULL, parent_cidr TEXT NOT NULL, PRIMARY KEY (namespace, cidr)) WITHOUT ROWID");
      sql.exec("CREATE TABLE ips (namespace TEXT NOT NULL, prefix TEXT NOT NULL, ip TEXT NOT NULL, PRIMARY KEY (namespace, prefix, ip)) WITHOUT ROWID");
      sql.exec("INSERT INTO namespaces VALUES ('old', 1, 3)");
      sql.exec("INSERT INTO prefixes VALUES ('old', '10.0.0.0/24', '')");
      sql.exec("INSERT INTO ips VALUES ('old', '10.0.0.0/24', '10.0.0.1')");
      const store = new DoSqliteStore(storage);
      expect(await store.load("old").then((l) => ({ ...l, records: [...expandRecords(l.records)] }))).toEqual({
        exists: true,
        version: 3,
        records: [
          { kind: "prefix", cidr: "10.0.0.0/24", parentCidr: "" },
          { kind: "ip", prefix: "10.0.0.0/24", ip: "10.0.0.1" },
        ],
      });
      await store.commit("old", 3, [{ op: "put", record: { kind: "ip", prefix: "10.0.0.0/24", ip: "10.0.0.2", labels: { a: "b" } } as never }]);
      expect(sql.exec("SELECT data FROM ips WHERE ip = '10.0.0.2'").one()).toEqual({ data: '{"labels":{"a":"b"}}' });
    });
  });

  it("keeps one readable row per prefix, and addresses in readable blocks", async () => {
    await inFreshObject(async (store, storage) => {
      const ns = freshName();
      const { version } = await store.createNamespace(ns);
      await store.commit(ns, version, [
        { op: "put", record: { kind: "prefix", cidr: "10.0.0.0/16", parentCidr: "" } },
        { op: "put", record: { kind: "prefix", cidr: "10.0.1.0/24", parentCidr: "10.0.0.0/16" } },
        { op: "put", record: { kind: "ip", prefix: "10.0.1.0/24", ip: "10.0.1.1" } },
      ]);
      expect(storage.sql.exec("SELECT name, present, version FROM namespaces WHERE name = ?", ns).toArray()).toEqual([
        { name: ns, present: 1, version: version + 1 },
      ]);
      expect(storage.sql.exec("SELECT cidr, parent_cidr FROM prefixes WHERE namespace = ? ORDER BY cidr", ns).toArray()).toEqual([
        { cidr: "10.0.0.0/16", parent_cidr: "" },
        { cidr: "10.0.1.0/24", parent_cidr: "10.0.0.0/16" },
      ]);
      expect(storage.sql.exec("SELECT prefix, first_ip, count FROM ip_blocks WHERE namespace = ?", ns).toArray()).toEqual([
        { prefix: "10.0.1.0/24", first_ip: "10.0.1.1", count: 1 },
      ]);
      expect(storage.sql.exec("SELECT prefix, ip FROM ips WHERE namespace = ?", ns).toArray()).toEqual([]);
    });
  });

  it("writes O(1) rows per acquire whatever the prefix's fill", async () => {
    await inFreshObject(async (store) => {
      const ns = freshName();
      let { version } = await store.createNamespace(ns);
      const p = "10.20.0.0/16";
      const fill: { op: "put"; record: { kind: "ip"; prefix: string; ip: string } }[] = [];
      for (let i = 0; i < 5000; i++) fill.push({ op: "put", record: { kind: "ip", prefix: p, ip: `10.20.${i >> 8}.${i & 255}` } });
      version = await store.commit(ns, version, [{ op: "put", record: { kind: "prefix", cidr: p, parentCidr: "" } }, ...fill]);
      const before = store.counters.rowsWritten;
      await store.commit(ns, version, [{ op: "put", record: { kind: "ip", prefix: p, ip: "10.20.200.1" } }]);
      // The address's block (rewritten in place) plus the version row, at 5,000 addresses already held.
      expect(store.counters.rowsWritten - before).toBe(2);
    });
  });
});
