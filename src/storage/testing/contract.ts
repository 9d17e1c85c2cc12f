// The store contract suite (src/storage/types.ts). Every backend runs it: call storeContract(name, withStore)
// from a test file, where withStore hands a store to one test body (and cleans up after it). The suite uses
// fresh namespace names per test, so a backend may share one server between tests.
//
// Test-only: imports vitest. Nothing in the product imports this module.

import { describe, expect, it } from "vitest";
import type { IpamRecord } from "../../core/types";
import { expandRecords } from "../records";
import { type ExtraRecord, FencingError, InvalidChangeError, type NamespaceState, type Store, type StoredChange as Change, type StoredRecord } from "../types";

export type WithStore = (body: (store: Store) => Promise<void>) => Promise<void>;

/** A store whose loads read one record per address, as the suite compares them. */
type ExpandedStore = Omit<Store, "load"> & { load(namespace: string): Promise<NamespaceState & { records: StoredRecord[] }> };

/** The store as the suite sees it: block records (a store may hand addresses over in blocks) expanded. */
function expanded(store: Store): ExpandedStore {
  const load = async (namespace: string) => {
    const snap = await store.load(namespace);
    return { ...snap, records: [...expandRecords(snap.records)] };
  };
  return new Proxy(store, {
    get: (target, prop) => {
      if (prop === "load") return load;
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  }) as unknown as ExpandedStore;
}

let seq = 0;
/** A namespace name unique to this run (visible ASCII, as checkNamespaceName allows). */
export const freshName = (tag = "ns") => `contract-${tag}-${Date.now().toString(36)}-${(seq++).toString(36)}`;

const prefix = (cidr: string, parentCidr = ""): IpamRecord => ({ kind: "prefix", cidr, parentCidr });
const ip = (p: string, a: string): IpamRecord => ({ kind: "ip", prefix: p, ip: a });
const put = (record: StoredRecord): Change => ({ op: "put", record }) as Change;
const del = (record: StoredRecord): Change => ({ op: "delete", record }) as Change;

const key = (r: StoredRecord) =>
  r.kind === "prefix" ? `p ${r.cidr} ${r.parentCidr}` : r.kind === "ip" ? `i ${r.prefix} ${r.ip}` : `x ${r.kind} ${r.key}`;
/** Records as a sorted list of keys: order-insensitive comparison that still shows duplicates. */
export const recordKeys = (records: Iterable<StoredRecord>) => [...records].map(key).sort();

/** A load with its records read out (they may be a one-shot cursor). */
async function loaded(s: ExpandedStore, namespace: string) {
  const snap = await s.load(namespace);
  return { ...snap, records: [...snap.records] };
}

async function expectFenced(p: Promise<unknown>): Promise<void> {
  await expect(p).rejects.toBeInstanceOf(FencingError);
}

export function storeContract(backend: string, withStore: WithStore): void {
  const test = (name: string, body: (store: ExpandedStore) => Promise<void>) => it(name, () => withStore((store) => body(expanded(store))));

  describe(`store contract: ${backend}`, () => {
    test("a name never created does not exist, at version 0, with no records", async (s) => {
      expect(await s.load(freshName())).toEqual({ exists: false, version: 0, records: [] });
    });

    test("createNamespace makes it exist, empty, and is idempotent", async (s) => {
      const ns = freshName();
      const c1 = await s.createNamespace(ns);
      expect(c1.created).toBe(true);
      expect(c1.exists).toBe(true);
      expect(c1.version).toBeGreaterThanOrEqual(1);
      expect(await loaded(s, ns)).toEqual({ exists: true, version: c1.version, records: [] });
      const c2 = await s.createNamespace(ns);
      expect(c2).toEqual({ exists: true, version: c1.version, created: false });
    });

    test("commit writes puts and deletes, bumps the version by one, and load reads them back", async (s) => {
      const ns = freshName();
      const { version: v1 } = await s.createNamespace(ns);
      const v2 = await s.commit(ns, v1, [
        put(prefix("10.0.0.0/16")),
        put(prefix("10.0.1.0/24", "10.0.0.0/16")),
        put(ip("10.0.1.0/24", "10.0.1.0")),
        put(ip("10.0.1.0/24", "10.0.1.1")),
        put(ip("10.0.1.0/24", "10.0.1.255")),
        put(prefix("2001:db8::/64")),
        put(ip("2001:db8::/64", "2001:db8::")),
      ]);
      expect(v2).toBe(v1 + 1);
      const v3 = await s.commit(ns, v2, [del(ip("10.0.1.0/24", "10.0.1.1")), put(ip("2001:db8::/64", "2001:db8::a"))]);
      expect(v3).toBe(v2 + 1);
      const snap = await s.load(ns);
      expect(snap.exists).toBe(true);
      expect(snap.version).toBe(v3);
      expect(recordKeys(snap.records)).toEqual(
        recordKeys([
          prefix("10.0.0.0/16"),
          prefix("10.0.1.0/24", "10.0.0.0/16"),
          ip("10.0.1.0/24", "10.0.1.0"),
          ip("10.0.1.0/24", "10.0.1.255"),
          prefix("2001:db8::/64"),
          ip("2001:db8::/64", "2001:db8::"),
          ip("2001:db8::/64", "2001:db8::a"),
        ]),
      );
    });

    test("changes apply in order; a put replaces the record with the same key; deleting a missing record is a no-op", async (s) => {
      const ns = freshName();
      let { version } = await s.createNamespace(ns);
      version = await s.commit(ns, version, [
        put(prefix("10.1.0.0/24")),
        put(prefix("10.1.0.0/24", "10.0.0.0/8")), // same key: replaces the parent
        put(ip("10.1.0.0/24", "10.1.0.7")),
        put(ip("10.1.0.0/24", "10.1.0.7")), // same key: still one record
        del(ip("10.1.0.0/24", "10.1.0.9")), // missing: no-op
        del(prefix("10.9.0.0/24")), // missing: no-op
        put(ip("10.1.0.0/24", "10.1.0.8")),
        del(ip("10.1.0.0/24", "10.1.0.8")), // put then delete in one batch: gone
      ]);
      const snap = await s.load(ns);
      expect(snap.version).toBe(version);
      expect(recordKeys(snap.records)).toEqual(
        recordKeys([prefix("10.1.0.0/24", "10.0.0.0/8"), ip("10.1.0.0/24", "10.1.0.7")]),
      );
    });

    test("an empty batch still bumps the version (it is a fenced no-op)", async (s) => {
      const ns = freshName();
      const { version } = await s.createNamespace(ns);
      expect(await s.commit(ns, version, [])).toBe(version + 1);
      expect((await s.load(ns)).version).toBe(version + 1);
    });

    test("a batch with a malformed change is refused as a whole: nothing of it is written", async (s) => {
      const ns = freshName();
      const { version } = await s.createNamespace(ns);
      const v2 = await s.commit(ns, version, [put(prefix("10.2.0.0/24")), put(ip("10.2.0.0/24", "10.2.0.0"))]);
      const bad = [
        put(ip("10.2.0.0/24", "10.2.0.1")),
        del(ip("10.2.0.0/24", "10.2.0.0")),
        put(prefix("10.3.0.0/24")),
        { op: "put", record: { kind: "lease", id: "x" } } as unknown as Change,
      ];
      await expect(s.commit(ns, v2, bad)).rejects.toBeInstanceOf(InvalidChangeError);
      const badOp = [put(ip("10.2.0.0/24", "10.2.0.1")), { op: "upsert", record: prefix("10.4.0.0/24") } as unknown as Change];
      await expect(s.commit(ns, v2, badOp)).rejects.toBeInstanceOf(InvalidChangeError);
      const snap = await s.load(ns);
      expect(snap.version).toBe(v2);
      expect(recordKeys(snap.records)).toEqual(recordKeys([prefix("10.2.0.0/24"), ip("10.2.0.0/24", "10.2.0.0")]));
      // The store is still usable at the same version.
      expect(await s.commit(ns, v2, [put(ip("10.2.0.0/24", "10.2.0.1"))])).toBe(v2 + 1);
    });

    test("a commit based on a stale version is refused and writes nothing (two writers)", async (s) => {
      const ns = freshName();
      const { version } = await s.createNamespace(ns);
      // Two writers load the same version.
      const a = await s.load(ns);
      const b = await s.load(ns);
      expect(a.version).toBe(version);
      expect(b.version).toBe(version);
      const va = await s.commit(ns, a.version, [put(prefix("10.5.0.0/24"))]);
      expect(va).toBe(version + 1);
      const err = await s.commit(ns, b.version, [put(prefix("10.5.0.0/25"))]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FencingError);
      expect((err as FencingError).actual).toEqual({ exists: true, version: va });
      // A version from the future is refused too.
      await expectFenced(s.commit(ns, va + 5, [put(prefix("10.6.0.0/24"))]));
      const snap = await s.load(ns);
      expect(snap.version).toBe(va);
      expect(recordKeys(snap.records)).toEqual(recordKeys([prefix("10.5.0.0/24")]));
    });

    test("commits to a namespace that does not exist are refused", async (s) => {
      const ns = freshName();
      await expectFenced(s.commit(ns, 0, [put(prefix("10.7.0.0/24"))]));
      await expectFenced(s.commit(ns, 1, [put(prefix("10.7.0.0/24"))]));
      expect(await loaded(s, ns)).toEqual({ exists: false, version: 0, records: [] });
      expect(await s.listNamespaces()).not.toContain(ns);
    });

    test("namespaces are isolated: the same records in two namespaces live and die separately", async (s) => {
      const a = freshName("a");
      const b = freshName("b");
      const va = (await s.createNamespace(a)).version;
      const vb = (await s.createNamespace(b)).version;
      const recs = [put(prefix("192.168.0.0/24")), put(ip("192.168.0.0/24", "192.168.0.1"))];
      const va2 = await s.commit(a, va, recs);
      const vb2 = await s.commit(b, vb, recs);
      await s.commit(a, va2, [del(ip("192.168.0.0/24", "192.168.0.1"))]);
      expect(recordKeys((await s.load(a)).records)).toEqual(recordKeys([prefix("192.168.0.0/24")]));
      expect(recordKeys((await s.load(b)).records)).toEqual(
        recordKeys([prefix("192.168.0.0/24"), ip("192.168.0.0/24", "192.168.0.1")]),
      );
      // A commit to one namespace does not move the other's version.
      expect((await s.load(b)).version).toBe(vb2);
    });

    test("deleteNamespace is fenced, drops every record, leaves the name absent, and versions never go back", async (s) => {
      const ns = freshName();
      const { version: v1 } = await s.createNamespace(ns);
      const v2 = await s.commit(ns, v1, [put(prefix("10.8.0.0/24")), put(ip("10.8.0.0/24", "10.8.0.0"))]);
      await expectFenced(s.deleteNamespace(ns, v1)); // stale
      expect((await s.load(ns)).exists).toBe(true);
      const v3 = await s.deleteNamespace(ns, v2);
      expect(v3).toBe(v2 + 1);
      expect(await loaded(s, ns)).toEqual({ exists: false, version: v3, records: [] });
      expect(await s.listNamespaces()).not.toContain(ns);
      await expectFenced(s.deleteNamespace(ns, v3)); // already gone
      await expectFenced(s.commit(ns, v2, [put(prefix("10.9.0.0/24"))])); // a stale writer from before the delete
      await expectFenced(s.commit(ns, v3, [put(prefix("10.9.0.0/24"))])); // the tombstone's own version
      // Re-created: empty, and at a version above every earlier one (no ABA for stale writers).
      const c = await s.createNamespace(ns);
      expect(c.created).toBe(true);
      expect(c.version).toBeGreaterThan(v3);
      expect(await loaded(s, ns)).toEqual({ exists: true, version: c.version, records: [] });
      await expectFenced(s.commit(ns, v2, [put(prefix("10.9.0.0/24"))]));
    });

    test("listNamespaces lists exactly the existing namespaces, sorted", async (s) => {
      const names = [freshName("zz"), freshName("aa"), freshName("mm"), `${freshName("q")}-%u6c^qi$u%t"'\\`];
      for (const n of names) await s.createNamespace(n);
      const gone = freshName("gone");
      const { version } = await s.createNamespace(gone);
      await s.deleteNamespace(gone, version);
      const listed = await s.listNamespaces();
      for (const n of names) expect(listed).toContain(n);
      expect(listed).not.toContain(gone);
      expect([...listed].sort()).toEqual(listed);
      expect(new Set(listed).size).toBe(listed.length);
    });

    test("a record's extra fields (anything beyond its key and parent) are kept, replaced and dropped with it", async (s) => {
      const ns = freshName();
      let { version } = await s.createNamespace(ns);
      const labelled = (r: IpamRecord, extra: Record<string, unknown>) => ({ ...r, ...extra }) as IpamRecord;
      const p = labelled(prefix("10.40.0.0/24"), { labels: { team: "net", "env/stage": "prod" } });
      const a = labelled(ip("10.40.0.0/24", "10.40.0.7"), { labels: { owner: "vm-42" }, leaseUntil: 1_900_000_000_000 });
      const b = ip("10.40.0.0/24", "10.40.0.8");
      version = await s.commit(ns, version, [put(p), put(a), put(b)]);
      expect([...(await s.load(ns)).records].sort((x, y) => key(x).localeCompare(key(y)))).toEqual(
        [p, a, b].sort((x, y) => key(x).localeCompare(key(y))),
      );
      // A put of the same key replaces the extras (here: drops them); another gains some.
      const b2 = labelled(b, { labels: { owner: "vm-43" } });
      version = await s.commit(ns, version, [put(ip("10.40.0.0/24", "10.40.0.7")), put(b2)]);
      const again = [...(await s.load(ns)).records];
      expect(again).toContainEqual(ip("10.40.0.0/24", "10.40.0.7"));
      expect(again).toContainEqual(b2);
      expect(again).toContainEqual(p);
      await s.commit(ns, version, [del(b2)]);
      expect([...(await s.load(ns)).records].length).toBe(2);
    });

    test("records of the extra kinds (idempotency entries) are kept by kind and key, with all their fields", async (s) => {
      const ns = freshName();
      const other = freshName("other");
      let { version } = await s.createNamespace(ns);
      const { version: ov } = await s.createNamespace(other);
      const entry = (k: string, extra: Record<string, unknown> = {}): ExtraRecord => ({
        kind: "idempotency",
        key: k,
        fingerprint: "f1",
        outcome: JSON.stringify({ ok: true, result: { ip: "10.0.0.1", parentPrefix: "10.0.0.0/24" } }),
        expiresAt: 1_900_000_000_000,
        ...extra,
      });
      // Keys may hold anything visible (the client chooses them), also what looks like a CIDR or an address.
      const weird = entry(`a b/c:"d"%${"x".repeat(100)}`);
      version = await s.commit(ns, version, [put(prefix("10.41.0.0/24")), put(entry("k1")), put(entry("10.41.0.0/24")), put(weird)]);
      await s.commit(other, ov, [put(entry("k1", { fingerprint: "other" }))]);
      const sorted = (rs: Iterable<StoredRecord>) => [...rs].sort((x, y) => key(x).localeCompare(key(y)));
      expect(sorted((await s.load(ns)).records)).toEqual(sorted([prefix("10.41.0.0/24"), entry("k1"), entry("10.41.0.0/24"), weird]));
      // Replaced, deleted, isolated per namespace, gone with the namespace.
      version = await s.commit(ns, version, [put(entry("k1", { fingerprint: "f2" })), del(entry("10.41.0.0/24")), del(entry("missing"))]);
      expect(sorted((await s.load(ns)).records)).toEqual(sorted([prefix("10.41.0.0/24"), entry("k1", { fingerprint: "f2" }), weird]));
      expect([...(await s.load(other)).records]).toEqual([entry("k1", { fingerprint: "other" })]);
      const gone = await s.deleteNamespace(ns, version);
      const again = await s.createNamespace(ns);
      expect(again.version).toBeGreaterThan(gone);
      expect([...(await s.load(ns)).records]).toEqual([]);
      // A record of an unknown kind, or an extra kind without a key, is a malformed change.
      await expect(s.commit(ns, again.version, [{ op: "put", record: { kind: "idempotency" } } as unknown as Change])).rejects.toBeInstanceOf(
        InvalidChangeError,
      );
    });

    test("a large batch (2,000 changes) commits atomically and loads back exactly", async (s) => {
      const ns = freshName();
      const { version } = await s.createNamespace(ns);
      const changes: Change[] = [put(prefix("10.16.0.0/16"))];
      for (let i = 0; i < 1999; i++) changes.push(put(ip("10.16.0.0/16", `10.16.${i >> 8}.${i & 255}`)));
      const v = await s.commit(ns, version, changes);
      const snap = await s.load(ns);
      expect(snap.version).toBe(v);
      const records = [...snap.records];
      expect(records.length).toBe(2000);
      expect(recordKeys(records)).toEqual(recordKeys(changes.map((c) => c.record)));
    });
  });
}
