// The Postgres store (Neon serverless driver over the wsproxy relay) against a real PostgreSQL: the rows an
// operator reads with psql, O(1) rows and one round trip per acquire, big batches all or nothing, migrations
// at first use, the error without them, SQLSTATE 40001 as a refused commit, deadlines, and no secret in any
// error. Runs in the workers-postgres project only.
import { env } from "cloudflare:test";
import { Client } from "@neondatabase/serverless";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Change, IPInfo } from "../../../src/core/types";
import { ServerError } from "../../../src/server/errors";
import { createIpamRunner, execute } from "../../../src/server/ipam-runner";
import type { Outcome } from "../../../src/server/outcome";
import { storeConfig } from "../../../src/storage/config";
import { StoreNotReadyError, StoreUnavailableError } from "../../../src/storage/failure";
import { MIGRATIONS, SCHEMA_VERSION } from "../../../src/storage/postgres-migrations";
import { type PostgresConfig, PostgresStore } from "../../../src/storage/postgres";
import type { PgSession } from "../../../src/storage/postgres-session";
import { CommitRefusedError, FencingError } from "../../../src/storage/types";
import { backend, storeFault } from "../backend";
import { client, uniqueNamespace } from "../clients";

const api = client("connect-proto");

function projectConfig(overrides: Partial<PostgresConfig> = {}): PostgresConfig {
  const s = storeConfig(env as unknown as Record<string, unknown>);
  if (!s.ok || s.config.kind !== "postgres") throw new Error("not a postgres project");
  return { ...s.config, ...overrides };
}

/** The project's DATABASE_URL with another database name. */
function urlOf(database: string): string {
  const u = new URL(projectConfig().databaseUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

/** A connection through the relay as psql would make one (rows as objects). */
async function psql<T>(f: (c: Client) => Promise<T>, database = "ipam"): Promise<T> {
  const c = new Client(urlOf(database));
  c.neonConfig.wsProxy = env.NEON_WS_PROXY!;
  c.neonConfig.useSecureWebSocket = false;
  c.neonConfig.pipelineConnect = false;
  c.on("error", () => {});
  await c.connect();
  try {
    return await f(c);
  } finally {
    await c.end().catch(() => {});
  }
}

const rows = (text: string, params: unknown[] = [], database?: string) =>
  psql(async (c) => (await c.query(text, params)).rows as Record<string, unknown>[], database);

/** A fresh, empty database for this test (the project's role may create databases). */
async function freshDatabase(tag: string, settings = ""): Promise<string> {
  const name = `ipam_${tag}_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  await psql((c) => c.query(`CREATE DATABASE ${name}`));
  if (settings) await psql((c) => c.query(`ALTER DATABASE ${name} SET ${settings}`));
  return name;
}

async function storeOn(database: string, overrides: Partial<PostgresConfig> = {}): Promise<PostgresStore> {
  return new PostgresStore(projectConfig({ databaseUrl: urlOf(database), ...overrides }));
}

const prefix = (cidr: string, parentCidr = ""): Change => ({ op: "put", record: { kind: "prefix", cidr, parentCidr } });
const ip = (p: string, a: string, op: "put" | "delete" = "put"): Change => ({ op, record: { kind: "ip", prefix: p, ip: a } });
const addresses = (p: string, n: number, second = 16): Change[] =>
  Array.from({ length: n }, (_, i) => ip(p, `10.${second + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`));

describe.skipIf(backend !== "postgres")("postgres store", () => {
  afterEach(() => vi.restoreAllMocks());

  it("keeps one row per namespace, prefix and address, readable with psql", async () => {
    const ns = uniqueNamespace("layout");
    await api.createNamespace({ namespace: ns });
    await api.createPrefix({ cidr: "10.0.0.0/16", namespace: ns });
    await api.acquireChildPrefix({ cidr: "10.0.0.0/16", length: 24, namespace: ns });
    await api.acquireIP({ prefixCidr: "10.0.0.0/24", namespace: ns });
    const [meta] = await rows("SELECT present, version FROM namespaces WHERE name = $1", [ns]);
    expect(meta.present).toBe(true);
    expect(Number(meta.version)).toBeGreaterThan(1);
    expect(await rows("SELECT cidr, parent_cidr, extras FROM prefixes WHERE namespace = $1 ORDER BY cidr", [ns])).toEqual([
      { cidr: "10.0.0.0/16", parent_cidr: "", extras: null },
      { cidr: "10.0.0.0/24", parent_cidr: "10.0.0.0/16", extras: null },
    ]);
    expect(await rows("SELECT prefix, ip, extras FROM ips WHERE namespace = $1 ORDER BY prefix, ip", [ns])).toEqual([
      { prefix: "10.0.0.0/16", ip: "10.0.0.0", extras: null },
      { prefix: "10.0.0.0/16", ip: "10.0.255.255", extras: null },
      { prefix: "10.0.0.0/24", ip: "10.0.0.0", extras: null },
      { prefix: "10.0.0.0/24", ip: "10.0.0.1", extras: null },
      { prefix: "10.0.0.0/24", ip: "10.0.0.255", extras: null },
    ]);
  });

  it("keeps the fields the core adds later in the JSONB column, and loads them back", async () => {
    const store = new PostgresStore(projectConfig());
    try {
      const ns = uniqueNamespace("extras");
      const { version } = await store.createNamespace(ns);
      const labelled = { kind: "ip", prefix: "10.1.0.0/24", ip: "10.1.0.7", labels: { owner: "team-a" } };
      await store.commit(ns, version, [prefix("10.1.0.0/24"), { op: "put", record: labelled as never }]);
      expect(await rows("SELECT extras FROM ips WHERE namespace = $1", [ns])).toEqual([{ extras: { labels: { owner: "team-a" } } }]);
      expect([...(await store.load(ns)).records]).toContainEqual(labelled);
      // Through the one-query transaction (a put and a delete in one table), where values are written in as
      // literals: quotes, backslashes and any character come back exactly.
      const awkward = { kind: "ip", prefix: "10.1.0.0/24", ip: "10.1.0.8", note: `it's "quoted" \\ back\\slash \\' ☃ 🦆 \n$1 $$ E'x'` };
      const v2 = (await store.load(ns)).version;
      await store.commit(ns, v2, [{ op: "delete", record: { kind: "ip", prefix: "10.1.0.0/24", ip: "10.1.0.7" } }, { op: "put", record: awkward as never }]);
      expect([...(await store.load(ns)).records]).toEqual([{ kind: "prefix", cidr: "10.1.0.0/24", parentCidr: "" }, awkward]);
    } finally {
      await store.close();
    }
  });

  it("an acquire writes two rows (its address and the namespace version) in ONE statement, whatever the fill (5,000 held)", async () => {
    const store = new PostgresStore(projectConfig());
    try {
      const ns = uniqueNamespace("o1");
      await store.createNamespace(ns);
      const runner = createIpamRunner(ns, store, () => {});
      await execute(runner, { op: "createPrefix", cidr: "10.20.0.0/16" });
      for (let round = 0; round < 5; round++) {
        await Promise.all(Array.from({ length: 1000 }, () => execute(runner, { op: "acquireIP", prefixCidr: "10.20.0.0/16" })));
      }
      // Rows written by one transaction carry its id in xmin: count them across the three tables.
      const writtenByLastCommit = async () =>
        Number(
          (
            await rows(
              `WITH t AS (SELECT xmin AS x FROM namespaces WHERE name = $1)
               SELECT (SELECT count(*) FROM namespaces, t WHERE namespaces.xmin = t.x)
                    + (SELECT count(*) FROM prefixes, t WHERE prefixes.xmin = t.x)
                    + (SELECT count(*) FROM ips, t WHERE ips.xmin = t.x) AS n`,
              [ns],
            )
          )[0].n,
        );
      let trips = store.counters.roundTrips;
      const got = await execute(runner, { op: "acquireIP", prefixCidr: "10.20.0.0/16" });
      expect(store.counters.roundTrips - trips).toBe(1);
      expect(await writtenByLastCommit()).toBe(2);
      expect(Number((await rows("SELECT count(*) AS n FROM ips WHERE namespace = $1", [ns]))[0].n)).toBe(5003);
      // A release is one statement too.
      trips = store.counters.roundTrips;
      await execute(runner, { op: "releaseIP", prefixCidr: "10.20.0.0/16", ip: got.ip });
      expect(store.counters.roundTrips - trips).toBe(1);
      expect(await writtenByLastCommit()).toBe(1); // the version row; the address row is gone
    } finally {
      await store.close();
    }
  });

  it("a batch that puts and deletes rows of one table is one transaction: all of it, or nothing", async () => {
    const store = new PostgresStore(projectConfig());
    try {
      const ns = uniqueNamespace("mixed");
      let { version } = await store.createNamespace(ns);
      version = await store.commit(ns, version, [prefix("10.2.0.0/24"), ip("10.2.0.0/24", "10.2.0.1")]);
      const trips = store.counters.roundTrips;
      version = await store.commit(ns, version, [ip("10.2.0.0/24", "10.2.0.1", "delete"), ip("10.2.0.0/24", "10.2.0.2")]);
      expect(store.counters.roundTrips - trips).toBe(1); // fence + puts, then deletes, in one query
      // The last put carries a value PostgreSQL refuses (an unpaired surrogate in its JSON): nothing is written.
      const bad: Change = { op: "put", record: { kind: "ip", prefix: "10.2.0.0/24", ip: "10.2.0.9", note: "\ud800" } as never };
      await expect(store.commit(ns, version, [ip("10.2.0.0/24", "10.2.0.2", "delete"), ip("10.2.0.0/24", "10.2.0.3"), bad])).rejects.toBeInstanceOf(
        StoreUnavailableError,
      );
      expect(await rows("SELECT ip FROM ips WHERE namespace = $1 ORDER BY ip", [ns])).toEqual([{ ip: "10.2.0.2" }]);
      expect(Number((await rows("SELECT version FROM namespaces WHERE name = $1", [ns]))[0].version)).toBe(version);
      // Fenced, the transaction writes nothing either.
      await expect(store.commit(ns, version - 1, [ip("10.2.0.0/24", "10.2.0.2", "delete"), ip("10.2.0.0/24", "10.2.0.4")])).rejects.toBeInstanceOf(
        FencingError,
      );
      expect(await rows("SELECT ip FROM ips WHERE namespace = $1 ORDER BY ip", [ns])).toEqual([{ ip: "10.2.0.2" }]);
    } finally {
      await store.close();
    }
  });

  it("a commit of 100,000 records is one statement, all of it or nothing", async () => {
    const store = new PostgresStore(projectConfig());
    try {
      const ns = uniqueNamespace("big");
      const { version } = await store.createNamespace(ns);
      const changes = [prefix("10.16.0.0/14"), ...addresses("10.16.0.0/14", 100_000)];
      // The last record fails inside PostgreSQL: the 100,000 before it are not written.
      const bad: Change = { op: "put", record: { kind: "ip", prefix: "10.16.0.0/14", ip: "10.19.255.255", note: "\udc00" } as never };
      await expect(store.commit(ns, version, [...changes, bad])).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(Number((await rows("SELECT count(*) AS n FROM ips WHERE namespace = $1", [ns]))[0].n)).toBe(0);
      const trips = store.counters.roundTrips;
      expect(await store.commit(ns, version, changes)).toBe(version + 1);
      expect(store.counters.roundTrips - trips).toBe(1);
      expect([...(await store.load(ns)).records].length).toBe(100_001);
    } finally {
      await store.close();
    }
  });

  it("a Load of 100,000 records goes through the Worker and comes back exactly", async () => {
    const ns = uniqueNamespace("load100k");
    await api.createNamespace({ namespace: ns });
    const ips: Record<string, boolean> = {};
    for (let i = 1; i <= 99_999; i++) ips[`10.${64 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`] = true;
    ips["10.64.0.0"] = true;
    ips["10.67.255.255"] = true;
    const dump = JSON.stringify([
      { Cidr: "10.64.0.0/14", ParentCidr: "", Namespace: "", AvailableChildPrefixes: {}, ChildPrefixLength: 0, IsParent: false, IPs: ips, Version: 0 },
    ]);
    await api.load({ dump, namespace: ns });
    expect(Number((await rows("SELECT count(*) AS n FROM ips WHERE namespace = $1", [ns]))[0].n)).toBe(100_001);
    expect((await api.prefixUsage({ cidr: "10.64.0.0/14", namespace: ns })).acquiredIps).toBe(100_001n);
  });

  it("512 concurrent calls commit as one batch, all of them stored", async () => {
    const ns = uniqueNamespace("b512");
    await api.createNamespace({ namespace: ns });
    await api.createPrefix({ cidr: "10.30.0.0/20", namespace: ns });
    const stub = env.NAMESPACE.get(env.NAMESPACE.idFromName(ns));
    await stub.execute(ns, { op: "listPrefixes" }); // loaded
    const results = await Promise.all(Array.from({ length: 600 }, () => stub.execute(ns, { op: "acquireIP", prefixCidr: "10.30.0.0/20" })));
    const ips = results.map((r) => (r as unknown as { ok: true; result: IPInfo }).result.ip);
    expect(new Set(ips).size).toBe(600);
    const stats = (await stub.stats(ns)) as Outcome<{ runner: { largestBatch: number } }>;
    expect(stats.ok && stats.result.runner.largestBatch).toBe(512);
    expect(Number((await rows("SELECT count(*) AS n FROM ips WHERE namespace = $1", [ns]))[0].n)).toBe(602);
  });

  it("applies the migrations at first use, records them, and does not apply them again", async () => {
    const db = await freshDatabase("migrate");
    const first = await storeOn(db);
    try {
      expect(await first.load("x")).toEqual({ exists: false, version: 0, records: [] });
      const recorded = await rows("SELECT version, name, applied_at FROM ipam_schema_migrations ORDER BY version", [], db);
      expect(recorded.map((r) => [r.version, r.name])).toEqual(MIGRATIONS.map((m) => [m.version, m.name]));
      const tables = await rows("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename", [], db);
      expect(tables.map((t) => t.tablename)).toEqual(["ipam_schema_migrations", "ips", "namespaces", "prefixes", "records"]);
      const { version } = await first.createNamespace("x");
      await first.commit("x", version, [prefix("10.0.0.0/24")]);
      // Applying the files again (by hand, or a racing isolate) changes nothing.
      for (const m of MIGRATIONS) await psql((c) => c.query(m.sql), db);
      expect(await rows("SELECT version, name, applied_at FROM ipam_schema_migrations ORDER BY version", [], db)).toEqual(recorded);
      expect([...(await first.load("x")).records]).toEqual([{ kind: "prefix", cidr: "10.0.0.0/24", parentCidr: "" }]);
    } finally {
      await first.close();
    }
  });

  it("a database at an older schema version gets the newer files applied at first use, and keeps its data", async () => {
    const db = await freshDatabase("upgrade");
    await psql((c) => c.query(MIGRATIONS[0].sql), db); // as an earlier release left it
    await psql((c) => c.query("INSERT INTO namespaces VALUES ('old', true, 7); INSERT INTO prefixes VALUES ('old', '10.0.0.0/24', '', NULL)"), db);
    const store = await storeOn(db);
    try {
      expect(await store.load("old")).toEqual({ exists: true, version: 7, records: [{ kind: "prefix", cidr: "10.0.0.0/24", parentCidr: "" }] });
      expect((await rows("SELECT version FROM ipam_schema_migrations ORDER BY version", [], db)).map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
      const v = await store.commit("old", 7, [{ op: "put", record: { kind: "idempotency", key: "k1", outcome: { ok: true } } }]);
      expect([...(await store.load("old")).records]).toEqual([
        { kind: "prefix", cidr: "10.0.0.0/24", parentCidr: "" },
        { kind: "idempotency", key: "k1", outcome: { ok: true } },
      ]);
      expect(await rows("SELECT kind, key, extras FROM records WHERE namespace = 'old'", [], db)).toEqual([{ kind: "idempotency", key: "k1", extras: { outcome: { ok: true } } }]);
      expect(v).toBe(8);
    } finally {
      await store.close();
    }
  });

  it("two stores migrating one empty database at the same moment both end up working", async () => {
    const db = await freshDatabase("race");
    const stores = [await storeOn(db), await storeOn(db), await storeOn(db)];
    try {
      const names = stores.map((_, i) => `ns-${i}`);
      await Promise.all(stores.map((s, i) => s.createNamespace(names[i])));
      expect(await stores[0].listNamespaces()).toEqual(names);
      expect(await rows("SELECT max(version) AS v, count(*)::int AS n FROM ipam_schema_migrations", [], db)).toEqual([{ v: SCHEMA_VERSION, n: MIGRATIONS.length }]);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it("with IPAM_AUTO_MIGRATE=false an empty database gives an error naming the fix, and the caller sees it", async () => {
    const db = await freshDatabase("nomigrate");
    const store = await storeOn(db, { autoMigrate: false });
    try {
      const err = (await store.load("x").catch((e: unknown) => e)) as Error;
      expect(err).toBeInstanceOf(StoreNotReadyError);
      expect(err.message).toContain("has no IPAM tables");
      expect(err.message).toContain('psql "$DATABASE_URL" -1 -v ON_ERROR_STOP=1 -f migrations/0001_records.sql');
      expect(err.message).toContain("-f migrations/0002_extra_records.sql");
      expect(err.message).toContain("IPAM_AUTO_MIGRATE=true");
      expect(await rows("SELECT tablename FROM pg_tables WHERE schemaname = 'public'", [], db)).toEqual([]);
      // What a caller of the service gets: unavailable, with the fix.
      const runner = createIpamRunner("root", store, () => {});
      const failed = (await execute(runner, { op: "listPrefixes" }).catch((e: unknown) => e)) as ServerError;
      expect(failed).toBeInstanceOf(ServerError);
      expect(failed.kind).toBe("unavailable");
      expect(failed.message).toContain("migrations/0001_records.sql");
      // Applied by hand as the message says, the same store works without a restart.
      for (const m of MIGRATIONS) await psql((c) => c.query(m.sql), db);
      expect(await execute(runner, { op: "listPrefixes" })).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it("under SERIALIZABLE (CockroachDB's default) a concurrent update is SQLSTATE 40001: a refused commit, nothing written", async () => {
    const db = await freshDatabase("serial", "default_transaction_isolation TO 'serializable'");
    const store = await storeOn(db);
    const blocker = new Client(urlOf(db));
    blocker.neonConfig.wsProxy = env.NEON_WS_PROXY!;
    blocker.neonConfig.useSecureWebSocket = false;
    blocker.neonConfig.pipelineConnect = false;
    blocker.on("error", () => {});
    /** Holds the namespace row in an open transaction (changing nothing) until the store waits for it. */
    const whileBlocked = async <T>(write: () => Promise<T>): Promise<T> => {
      await blocker.query("BEGIN");
      await blocker.query("UPDATE namespaces SET version = version WHERE name = 'n'");
      const pending = write();
      for (let i = 0; ; i++) {
        const waiting = await rows("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'", [db], db);
        if (Number(waiting[0].n) > 0) break;
        if (i > 600) throw new Error("the store's commit never waited for the lock");
        await new Promise((r) => setTimeout(r, 50));
      }
      await blocker.query("COMMIT");
      return pending;
    };
    try {
      const { version } = await store.createNamespace("n");
      await blocker.connect();
      const err = (await whileBlocked(() => store.commit("n", version, [prefix("10.9.0.0/24")]).catch((e: unknown) => e))) as Error;
      expect(err).toBeInstanceOf(CommitRefusedError);
      expect(err).not.toBeInstanceOf(FencingError);
      expect(err.message).toContain("40001");
      const snap = await store.load("n");
      expect(snap.version).toBe(version);
      expect([...snap.records]).toEqual([]);
      // Through the runner: the refused batch runs again on reloaded state, and succeeds.
      const runner = createIpamRunner("n", store, () => {});
      await execute(runner, { op: "listPrefixes" }); // loaded
      await whileBlocked(() => execute(runner, { op: "createPrefix", cidr: "10.9.0.0/24" }));
      expect(runner.counters.refusedCommits).toBe(1);
      expect([...(await store.load("n")).records]).toContainEqual({ kind: "prefix", cidr: "10.9.0.0/24", parentCidr: "" });
    } finally {
      await blocker.end().catch(() => {});
      await store.close();
    }
  });

  it("SQLSTATE 40001 from the database (CockroachDB's restart error) is a refused commit for every write", async () => {
    const restart = Object.assign(new Error("restart transaction: TransactionRetryWithProtoRefreshError: WriteTooOldError"), {
      code: "40001",
      severity: "ERROR",
    });
    const refusing: PgSession = {
      roundTrips: 0,
      query: async (what, stmt) => {
        if (stmt.text.includes("ipam_schema_migrations")) return [[String(SCHEMA_VERSION)]];
        throw restart;
      },
      transaction: async () => {
        throw restart;
      },
      script: async () => {},
      close: async () => {},
    };
    const store = new PostgresStore(projectConfig({ databaseUrl: urlOf(`unit_${crypto.randomUUID().slice(0, 8)}`) }), { session: refusing });
    const single = (await store.commit("n", 3, [prefix("10.0.0.0/24")]).catch((e: unknown) => e)) as Error;
    expect(single).toBeInstanceOf(CommitRefusedError);
    expect(single).not.toBeInstanceOf(FencingError);
    const mixed = await store.commit("n", 3, [prefix("10.0.0.0/24"), { op: "delete", record: { kind: "prefix", cidr: "10.1.0.0/24", parentCidr: "" } }]).catch((e: unknown) => e);
    expect(mixed).toBeInstanceOf(CommitRefusedError);
    await expect(store.deleteNamespace("n", 3)).rejects.toBeInstanceOf(CommitRefusedError);
    await expect(store.createNamespace("n")).rejects.toBeInstanceOf(CommitRefusedError);
  });

  it("a stopped server answers unavailable within the deadline, and the same store works again once it is back", async () => {
    const store = new PostgresStore(projectConfig({ timeoutMs: 1_500 }));
    try {
      const ns = uniqueNamespace("deadline");
      const { version } = await store.createNamespace(ns);
      await storeFault("pause");
      try {
        const err = (await store.commit(ns, version, [prefix("10.3.0.0/24")]).catch((e: unknown) => e)) as Error;
        expect(err).toBeInstanceOf(StoreUnavailableError);
        expect(err.message).toMatch(/timed out after 1500 ms/);
        await expect(store.load(ns)).rejects.toBeInstanceOf(StoreUnavailableError);
      } finally {
        await storeFault("resume");
      }
      // The commit's outcome was unknown to the store; the server tells: nothing, since it was stopped.
      const snap = await store.load(ns);
      expect(await store.commit(ns, snap.version, [prefix("10.3.0.0/24")])).toBe(snap.version + 1);
    } finally {
      await store.close();
    }
  });

  it("no password or connection string appears in any error, whatever fails", async () => {
    const config = projectConfig({ timeoutMs: 3_000 });
    const password = decodeURIComponent(new URL(config.databaseUrl).password);
    const wrong = new URL(config.databaseUrl);
    wrong.password = `not-the-${password}`;
    const nowhere = new URL(config.databaseUrl);
    nowhere.pathname = "/no_such_database";
    const attempts: PostgresConfig[] = [
      { ...config, databaseUrl: wrong.toString() },
      { ...config, databaseUrl: nowhere.toString() },
      { ...config, wsProxy: "127.0.0.1:1/v1" },
      { ...config, databaseUrl: urlOf(await freshDatabase("secret")), autoMigrate: false },
    ];
    for (const attempt of attempts) {
      const store = new PostgresStore(attempt);
      const err = (await store.load("x").catch((e: unknown) => e)) as Error;
      await store.close();
      expect(err).toBeInstanceOf(StoreUnavailableError);
      const text = `${err.message} ${err.stack}`;
      expect(text).not.toContain(password);
      expect(text).not.toContain(encodeURIComponent(password));
      expect(text).not.toContain(attempt.databaseUrl);
      expect(text).not.toContain(decodeURIComponent(new URL(attempt.databaseUrl).password));
    }
  });
});
