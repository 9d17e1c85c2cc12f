// DO SQLite's addresses in blocks (src/storage/do-ip-table.ts), inside a real Durable Object: an address lives
// in its block or (with extra fields) in ips, never both; blocks split past 800 bytes of gaps and go when empty;
// random batches agree with the reference store; old objects' unlabelled rows move into blocks once; a load
// hands the core blocks it rebuilds the namespace from.
import { env, runInDurableObject } from "cloudflare:test";
import { expect, it } from "vitest";
import { Namespace } from "../../src/core/namespace";
import { formatAddr, parseAddr } from "../../src/net";
import { MAX_BLOCK_BYTES } from "../../src/storage/do-ip-blocks";
import { DoSqliteStore } from "../../src/storage/do-sqlite";
import { expandRecords, recordKey } from "../../src/storage/records";
import { ReferenceStore } from "../../src/storage/reference-store";
import { freshName } from "../../src/storage/testing/contract";
import type { Change, IpamRecord } from "../../src/core/types";
import { InvalidChangeError, type Store } from "../../src/storage/types";
import { describeOnDurableObjects } from "./backend";

function inFreshObject<R>(body: (store: DoSqliteStore, storage: DurableObjectStorage) => Promise<R>): Promise<R> {
  const stub = env.NAMESPACE.get(env.NAMESPACE.newUniqueId());
  return runInDurableObject(stub, (_instance, state) => body(new DoSqliteStore(state.storage), state.storage));
}

const prefix = (cidr: string, parentCidr = ""): IpamRecord => ({ kind: "prefix", cidr, parentCidr });
const ip = (p: string, a: string, labels?: Record<string, string>): IpamRecord =>
  labels === undefined ? { kind: "ip", prefix: p, ip: a } : { kind: "ip", prefix: p, ip: a, labels };
const put = (record: IpamRecord): Change => ({ op: "put", record });
const del = (record: IpamRecord): Change => ({ op: "delete", record });

/** JSON with sorted keys: records compared whatever the order of their fields. */
const canonical = (x: unknown): string =>
  x !== null && typeof x === "object"
    ? `{${Object.keys(x)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${canonical((x as Record<string, unknown>)[k])}`)
        .join(",")}}`
    : JSON.stringify(x);
const sortedKeys = (records: Iterable<{ kind: string }>) => [...(records as Iterable<IpamRecord>)].map((r) => `${r.kind} ${recordKey(r)} ${canonical(r)}`).sort();
async function records(store: Store, ns: string) {
  return sortedKeys(expandRecords((await store.load(ns)).records));
}

const rowsIn = (storage: DurableObjectStorage, ns: string) => ({
  ips: storage.sql.exec<{ ip: string; data: string | null }>("SELECT ip, data FROM ips WHERE namespace = ? ORDER BY ip", ns).toArray(),
  blocks: storage.sql
    .exec<{ prefix: string; first_ip: string; count: number }>("SELECT prefix, first_ip, count FROM ip_blocks WHERE namespace = ? ORDER BY prefix, first", ns)
    .toArray(),
});

const v4 = (base: number, i: number) => {
  const n = base + i;
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
};

describeOnDurableObjects("do-sqlite: addresses in blocks", () => {
  it("an address moves between its block and ips as it gains and loses extra fields, never in both", async () => {
    await inFreshObject(async (store, storage) => {
      const ns = freshName();
      const P = "10.0.0.0/24";
      let { version } = await store.createNamespace(ns);
      version = await store.commit(ns, version, [put(prefix(P)), put(ip(P, "10.0.0.1")), put(ip(P, "10.0.0.2")), put(ip(P, "10.0.0.3"))]);
      expect(rowsIn(storage, ns)).toEqual({ ips: [], blocks: [{ prefix: P, first_ip: "10.0.0.1", count: 3 }] });
      // labelled: out of its block (the block's first member changes), into ips
      version = await store.commit(ns, version, [put(ip(P, "10.0.0.1", { owner: "a" }))]);
      expect(rowsIn(storage, ns)).toEqual({
        ips: [{ ip: "10.0.0.1", data: '{"labels":{"owner":"a"}}' }],
        blocks: [{ prefix: P, first_ip: "10.0.0.2", count: 2 }],
      });
      expect(await records(store, ns)).toEqual(sortedKeys([prefix(P), ip(P, "10.0.0.1", { owner: "a" }), ip(P, "10.0.0.2"), ip(P, "10.0.0.3")]));
      // unlabelled again: back into the block, its row gone
      version = await store.commit(ns, version, [put(ip(P, "10.0.0.1"))]);
      expect(rowsIn(storage, ns)).toEqual({ ips: [], blocks: [{ prefix: P, first_ip: "10.0.0.1", count: 3 }] });
      // deleted: from both; a labelled one's delete takes its row
      version = await store.commit(ns, version, [put(ip(P, "10.0.0.9", { owner: "b" })), del(ip(P, "10.0.0.2"))]);
      version = await store.commit(ns, version, [del(ip(P, "10.0.0.9")), del(ip(P, "10.0.0.1"))]);
      expect(rowsIn(storage, ns)).toEqual({ ips: [], blocks: [{ prefix: P, first_ip: "10.0.0.3", count: 1 }] });
      // the last member's delete drops the block
      await store.commit(ns, version, [del(ip(P, "10.0.0.3"))]);
      expect(rowsIn(storage, ns)).toEqual({ ips: [], blocks: [] });
    });
  });

  it("within one batch the last change of an address wins, whatever the order of the addresses", async () => {
    await inFreshObject(async (store, storage) => {
      const ns = freshName();
      const P = "10.1.0.0/24";
      let { version } = await store.createNamespace(ns);
      version = await store.commit(ns, version, [
        put(prefix(P)),
        put(ip(P, "10.1.0.7")),
        put(ip(P, "10.1.0.3", { a: "1" })),
        put(ip(P, "10.1.0.5")),
        del(ip(P, "10.1.0.7")),
        put(ip(P, "10.1.0.3")), // labelled, then not: in the block
        put(ip(P, "10.1.0.5", { a: "2" })), // not, then labelled: in ips
        put(ip(P, "10.1.0.7")),
      ]);
      expect(rowsIn(storage, ns)).toEqual({ ips: [{ ip: "10.1.0.5", data: '{"labels":{"a":"2"}}' }], blocks: [{ prefix: P, first_ip: "10.1.0.3", count: 2 }] });
      expect(await records(store, ns)).toEqual(sortedKeys([prefix(P), ip(P, "10.1.0.3"), ip(P, "10.1.0.5", { a: "2" }), ip(P, "10.1.0.7")]));
    });
  });

  it("a block past 800 bytes of gaps is cut in two, and blocks that empty are dropped", async () => {
    await inFreshObject(async (store, storage) => {
      const ns = freshName();
      const P = "10.2.0.0/16";
      const base = 0x0a020000;
      let { version } = await store.createNamespace(ns);
      // addresses two apart: a byte a gap, 801 members fill a block
      const full = MAX_BLOCK_BYTES + 1;
      const fill = Array.from({ length: full }, (_, i) => put(ip(P, v4(base, 2 * i))));
      version = await store.commit(ns, version, [put(prefix(P)), ...fill]);
      expect(rowsIn(storage, ns).blocks).toEqual([{ prefix: P, first_ip: "10.2.0.0", count: full }]);
      version = await store.commit(ns, version, [put(ip(P, v4(base, 1)))]);
      expect(rowsIn(storage, ns).blocks).toEqual([
        { prefix: P, first_ip: "10.2.0.0", count: 401 },
        { prefix: P, first_ip: v4(base, 2 * 400), count: 401 },
      ]);
      // an address between the two blocks goes into the lower one
      version = await store.commit(ns, version, [put(ip(P, v4(base, 2 * 400 - 1)))]);
      expect(rowsIn(storage, ns).blocks.map((b) => b.count)).toEqual([402, 401]);
      // emptying the upper block drops its row
      version = await store.commit(ns, version, Array.from({ length: 401 }, (_, i) => del(ip(P, v4(base, 2 * (400 + i))))));
      expect(rowsIn(storage, ns).blocks).toEqual([{ prefix: P, first_ip: "10.2.0.0", count: 402 }]);
      // one big batch (consecutive addresses, a byte a gap) is cut into blocks of about equal size
      const many = Array.from({ length: 10_000 }, (_, i) => put(ip(P, v4(base, 0x8000 + i))));
      version = await store.commit(ns, version, many);
      const counts = rowsIn(storage, ns).blocks.map((b) => b.count);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(10_402);
      expect(counts.length).toBe(Math.ceil(10_401 / MAX_BLOCK_BYTES)); // the batch lands in the block below it
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(3); // about equal in bytes
      expect((await records(store, ns)).length).toBe(10_403);
      // scattered over a /64, gaps of six bytes: ~133 a block
      const W = "2001:db8:77::/64";
      const wide = Array.from({ length: 3000 }, (_, i) => put(ip(W, formatAddr(6, parseAddr("2001:db8:77::").value + BigInt(i) * 0x123456789an))));
      await store.commit(ns, version, [put(prefix(W)), ...wide]);
      const wideBlocks = rowsIn(storage, ns).blocks.filter((b) => b.prefix === W);
      expect(wideBlocks.length).toBe(Math.ceil((2999 * 6) / MAX_BLOCK_BYTES));
      expect(storage.sql.exec<{ n: number }>("SELECT max(length(data)) AS n FROM ip_blocks WHERE prefix = ?", W).one().n).toBeLessThanOrEqual(MAX_BLOCK_BYTES);
    });
  });

  it("keeps the first and last address of an IPv4 /8 and of an IPv6 /64, and the namespace rebuilds from the blocks", async () => {
    await inFreshObject(async (store) => {
      const ns = freshName();
      const A = "10.0.0.0/8";
      const B = "2001:db8::/64";
      const ips4 = ["10.0.0.0", "10.0.0.1", "10.127.255.255", "10.128.0.0", "10.255.255.254", "10.255.255.255"];
      const ips6 = ["2001:db8::", "2001:db8::1", "2001:db8:0:0:20::", "2001:db8::ffff:ffff:ffff:fffe", "2001:db8::ffff:ffff:ffff:ffff"];
      const { version } = await store.createNamespace(ns);
      await store.commit(ns, version, [put(prefix(A)), put(prefix(B)), ...[...ips4].reverse().map((a) => put(ip(A, a))), ...ips6.map((a) => put(ip(B, a)))]);
      const snap = await store.load(ns);
      const loaded = [...snap.records];
      expect(loaded.filter((r) => r.kind === "ips").length).toBe(2);
      expect(await records(store, ns)).toEqual(sortedKeys([prefix(A), prefix(B), ...ips4.map((a) => ip(A, a)), ...ips6.map((a) => ip(B, a))]));
      const rebuilt = Namespace.fromRecords(loaded as Iterable<IpamRecord>);
      expect(rebuilt.apply({ op: "listIPs", prefixCidr: A }).result).toEqual(ips4);
      expect(rebuilt.apply({ op: "listIPs", prefixCidr: B }).result).toEqual(ips6);
    });
  });

  it("random batches leave the same records as the reference store", async () => {
    await inFreshObject(async (store) => {
      const reference = new ReferenceStore();
      const ns = freshName();
      let seed = 12345;
      const rand = (n: number) => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed % n;
      };
      const pool = ["10.9.0.0/22", "2001:db8:9::/64"];
      const addr = (p: string) =>
        p.startsWith("10.") ? v4(0x0a090000, rand(1024)) : formatAddr(6, parseAddr("2001:db8:9::").value + (BigInt(rand(4)) << 48n) + BigInt(rand(3000)));
      let version = (await store.createNamespace(ns)).version;
      let refVersion = (await reference.createNamespace(ns)).version;
      const first = pool.map((p) => put(prefix(p)));
      version = await store.commit(ns, version, first);
      refVersion = await reference.commit(ns, refVersion, first);
      for (let round = 0; round < 30; round++) {
        const batch: Change[] = [];
        const size = rand(3) === 0 ? 3000 : 1 + rand(40);
        for (let i = 0; i < size; i++) {
          const p = pool[rand(2)];
          const a = addr(p);
          const kind = rand(10);
          batch.push(kind < 5 ? put(ip(p, a)) : kind < 6 ? put(ip(p, a, { n: String(rand(3)) })) : del(ip(p, a)));
        }
        version = await store.commit(ns, version, batch);
        refVersion = await reference.commit(ns, refVersion, batch);
      }
      expect(await records(store, ns)).toEqual(await records(reference, ns));
    });
  });

  it("refuses an unlabelled address that is not of its prefix's family, writing nothing", async () => {
    await inFreshObject(async (store) => {
      const ns = freshName();
      const { version } = await store.createNamespace(ns);
      const v2 = await store.commit(ns, version, [put(prefix("10.3.0.0/24")), put(ip("10.3.0.0/24", "10.3.0.1"))]);
      for (const bad of [ip("10.3.0.0/24", "2001:db8::1"), ip("10.3.0.0/24", "not-an-ip"), ip("not-a-cidr", "10.3.0.2")]) {
        await expect(store.commit(ns, v2, [put(ip("10.3.0.0/24", "10.3.0.2")), put(bad)])).rejects.toBeInstanceOf(InvalidChangeError);
      }
      expect(await records(store, ns)).toEqual(sortedKeys([prefix("10.3.0.0/24"), ip("10.3.0.0/24", "10.3.0.1")]));
      expect((await store.load(ns)).version).toBe(v2);
    });
  });

  it("moves an old object's unlabelled rows into blocks once, keeping labelled rows and rows it cannot place", async () => {
    await inFreshObject(async (_store, storage) => {
      const sql = storage.sql;
      sql.exec("DELETE FROM ips");
      sql.exec("DELETE FROM ip_blocks");
      sql.exec("DROP INDEX IF EXISTS ips_unlabelled"); // an object from before blocks had neither
      sql.exec("INSERT INTO namespaces VALUES ('a', 1, 5), ('b', 1, 2)");
      sql.exec("INSERT INTO prefixes VALUES ('a', '10.0.0.0/16', '', NULL), ('a', '2001:db8::/64', '', NULL), ('b', '10.0.0.0/16', '', NULL)");
      const legacy: IpamRecord[] = [];
      for (let i = 0; i < 5000; i++) legacy.push(ip("10.0.0.0/16", v4(0x0a000000, (i * 7919) % 65536)));
      for (let i = 0; i < 300; i++) legacy.push(ip("2001:db8::/64", formatAddr(6, parseAddr("2001:db8::").value + BigInt(i) * 0x1234567890abn)));
      for (const r of legacy) sql.exec("INSERT OR IGNORE INTO ips VALUES ('a', ?, ?, NULL)", (r as { prefix: string }).prefix, (r as { ip: string }).ip);
      sql.exec("INSERT INTO ips VALUES ('a', '10.0.0.0/16', '10.0.99.1', ?)", '{"labels":{"k":"v"}}');
      sql.exec("INSERT INTO ips VALUES ('a', '10.0.0.0/16', 'bogus', NULL)");
      sql.exec("INSERT INTO ips VALUES ('b', '10.0.0.0/16', '10.0.0.1', NULL)");
      const store = new DoSqliteStore(storage);
      const labelled = ip("10.0.0.0/16", "10.0.99.1", { k: "v" });
      const bogus = ip("10.0.0.0/16", "bogus");
      expect(rowsIn(storage, "a").ips).toEqual([
        { ip: "10.0.99.1", data: '{"labels":{"k":"v"}}' },
        { ip: "bogus", data: null },
      ]);
      expect(rowsIn(storage, "a").blocks.reduce((n, b) => n + b.count, 0)).toBe(5300);
      expect(rowsIn(storage, "b")).toEqual({ ips: [], blocks: [{ prefix: "10.0.0.0/16", first_ip: "10.0.0.1", count: 1 }] });
      const expected = sortedKeys([prefix("10.0.0.0/16"), prefix("2001:db8::/64"), ...legacy, labelled, bogus]);
      expect(await records(store, "a")).toEqual(expected);
      expect((await store.load("a")).version).toBe(5);
      // again: nothing to move, nothing written
      const before = sql.exec("SELECT count(*) AS n, sum(count) AS members FROM ip_blocks").one();
      const again = new DoSqliteStore(storage);
      expect(again.counters.rowsWritten).toBe(0);
      expect(sql.exec("SELECT count(*) AS n, sum(count) AS members FROM ip_blocks").one()).toEqual(before);
      expect(await records(again, "a")).toEqual(expected);
    });
  });
});
