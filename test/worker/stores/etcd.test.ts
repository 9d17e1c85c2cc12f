// What is specific to the etcd store (src/storage/etcd.ts), against the project's real etcd with its default
// limits (128 ops per txn, 1.5 MiB per request): the key layout an operator reads, O(1) keys per acquire,
// batches far beyond one txn (a Load of 10,000 and of 100,000 records, a 512-call group commit) all or
// nothing, a writer dying or stalling at every step of a staged batch, auth, and a stopped server.
import { describe, expect, it } from "vitest";
import { Namespace } from "../../../src/core/namespace";
import type { Change, IpamRecord } from "../../../src/core/types";
import { createIpamRunner, execute } from "../../../src/server/ipam-runner";
import { StoreUnavailableError } from "../../../src/storage/failure";
import { CommitRefusedError, FencingError, InvalidChangeError, type Store } from "../../../src/storage/types";
import { backend, storeFault } from "../backend";
import { etcdStore, faultyFetch, gate, rawPut, rawRange, type TxnFate, type TxnKind } from "./etcd-faults";

const describeOnEtcd = backend === "etcd" ? describe : describe.skip;

let seq = 0;
const fresh = (tag: string) => `etcd-${tag}-${Date.now().toString(36)}-${(seq++).toString(36)}`;
const quiet = () => {};
const baseOf = (ns: string) => `ipam/ns/${encodeURIComponent(ns)}/`;

const prefix = (cidr: string, parentCidr = ""): IpamRecord => ({ kind: "prefix", cidr, parentCidr });
const ip = (p: string, a: string): IpamRecord => ({ kind: "ip", prefix: p, ip: a });
const put = (record: IpamRecord): Change => ({ op: "put", record });
const del = (record: IpamRecord): Change => ({ op: "delete", record });

const POOL = "10.50.0.0/16";
const poolIPs = (n: number) => Array.from({ length: n }, (_, i) => ip(POOL, `10.50.${i >> 8}.${i & 255}`));

/** A namespace holding the prefix POOL, and its version. */
async function withPool(store: Store, tag: string): Promise<{ ns: string; version: number }> {
  const ns = fresh(tag);
  const { version } = await store.createNamespace(ns);
  return { ns, version: await store.commit(ns, version, [put(prefix(POOL))]) };
}

/** Small requests, so a 3,000-address batch is staged in several stage keys written before its commit point. */
const SMALL = { limits: { maxRequestBytes: 32 * 1024 } };

async function loaded(store: Store, ns: string) {
  const snap = await store.load(ns);
  return { ...snap, records: [...snap.records] };
}

function dumpOf(cidr: string, records: number): string {
  const ns = Namespace.fromRecords([]);
  ns.apply({ op: "createPrefix", cidr }); // the prefix and its 2 reserved addresses
  for (let i = 0; i < records - 3; i++) ns.apply({ op: "acquireIP", prefixCidr: cidr });
  return ns.apply({ op: "dump" }).result as string;
}

describeOnEtcd("etcd store: layout", () => {
  it("keeps one readable key per record under ipam/, and one namespace's keys never under another's prefix", async () => {
    const s = etcdStore();
    const a = fresh("layout");
    const b = `${a}/child`; // unencoded, a's prefix would cover it
    const va = (await s.createNamespace(a)).version;
    const vb = (await s.createNamespace(b)).version;
    const labelled = { kind: "ip", prefix: "10.0.1.0/24", ip: "10.0.1.2", label: "db" } as IpamRecord;
    await s.commit(a, va, [
      put(prefix("10.0.0.0/16")),
      put(prefix("10.0.1.0/24", "10.0.0.0/16")),
      put(ip("10.0.1.0/24", "10.0.1.1")),
      put(labelled),
    ]);
    await s.commit(b, vb, [put(prefix("10.0.0.0/16"))]);

    const base = baseOf(a);
    expect((await rawRange(base)).kvs.map((kv) => [kv.key, kv.value])).toEqual([
      [`${base}i/10.0.1.0/24 10.0.1.1`, ""],
      [`${base}i/10.0.1.0/24 10.0.1.2`, '{"label":"db"}'],
      [`${base}meta`, `{"present":true,"version":${va + 1}}`],
      [`${base}p/10.0.0.0/16`, '{"parentCidr":""}'],
      [`${base}p/10.0.1.0/24`, '{"parentCidr":"10.0.0.0/16"}'],
    ]);
    expect((await rawRange(`ipam/namespaces/${a}`)).kvs.map((kv) => kv.key)).toEqual([`ipam/namespaces/${a}`, `ipam/namespaces/${b}`]);

    const recs = (await loaded(s, a)).records;
    expect(recs).toHaveLength(4);
    expect(recs).toContainEqual(labelled);
    expect((await loaded(s, b)).records).toEqual([prefix("10.0.0.0/16")]);

    await s.deleteNamespace(a, va + 1);
    expect((await rawRange(base)).kvs.map((kv) => [kv.key, kv.value])).toEqual([[`${base}meta`, `{"present":false,"version":${va + 2}}`]]);
    expect((await loaded(s, b)).records).toEqual([prefix("10.0.0.0/16")]);
    expect(await s.listNamespaces()).toContain(b);
    expect(await s.listNamespaces()).not.toContain(a);
  });

  it("keeps a record of an extra kind under r/<kind> <key>, with its fields as JSON", async () => {
    const s = etcdStore();
    const { ns, version } = await withPool(s, "extra");
    const entry = { kind: "idempotency", key: "key/with spaces", fingerprint: "f1", at: 17 } as unknown as IpamRecord;
    await s.commit(ns, version, [put(entry)]);
    expect((await rawRange(`${baseOf(ns)}r/`)).kvs.map((kv) => [kv.key, kv.value])).toEqual([
      [`${baseOf(ns)}r/idempotency key/with spaces`, '{"fingerprint":"f1","at":17}'],
    ]);
    expect((await loaded(s, ns)).records).toContainEqual(entry);
  });

  it("an acquire writes two keys (its address and the meta) in one txn with 5,000 addresses held", async () => {
    const store = etcdStore();
    const ns = fresh("fill");
    await store.createNamespace(ns);
    const runner = createIpamRunner(ns, store, quiet);
    await execute(runner, { op: "createPrefix", cidr: "10.20.0.0/16" });
    for (let round = 0; round < 5; round++) {
      // 1,000 at a time: the runner's queue is bounded (IPAM_MAX_QUEUE, 1,024 by default).
      await Promise.all(Array.from({ length: 1000 }, () => execute(runner, { op: "acquireIP", prefixCidr: "10.20.0.0/16" })));
    }
    const before = { ...store.counters };
    const got = await execute(runner, { op: "acquireIP", prefixCidr: "10.20.0.0/16" });
    expect(store.counters.txns - before.txns).toBe(1);
    expect(store.counters.keysWritten - before.keysWritten).toBe(2);

    const base = baseOf(ns);
    const now = await rawRange(base, { keys_only: true });
    const touched = now.kvs.filter((kv) => kv.modRevision === now.revision).map((kv) => kv.key);
    expect(touched.sort()).toEqual([`${base}i/10.20.0.0/16 ${got.ip}`, `${base}meta`].sort());
    expect(now.kvs).toHaveLength(1 + 1 + 2 + 5001); // meta, prefix, 2 reserved, 5,001 acquired
  });
});

describeOnEtcd("etcd store: paged reads", () => {
  it("a load pages through its ranges at one revision: a commit made meanwhile is not half in it", async () => {
    const writer = etcdStore();
    const { ns, version } = await withPool(writer, "pages");
    const v2 = await writer.commit(ns, version, [put(prefix("10.51.0.0/16")), ...poolIPs(20).map(put)]);
    let meanwhile: Promise<number> | undefined;
    const reader = etcdStore({
      pageSize: 3,
      fetch: async (input, init) => {
        // Before the second page: another writer commits.
        if (String(input).endsWith("/v3/kv/range")) await (meanwhile ??= writer.commit(ns, v2, [put(ip(POOL, "10.50.99.1")), del(ip(POOL, "10.50.0.1"))]));
        return fetch(input, init);
      },
    });
    const snap = await loaded(reader, ns);
    expect(snap.version).toBe(v2);
    expect(snap.records).toHaveLength(22);
    expect(snap.records).toContainEqual(ip(POOL, "10.50.0.1"));
    expect(snap.records).not.toContainEqual(ip(POOL, "10.50.99.1"));
    expect(await meanwhile).toBe(v2 + 1);
  });

  it("listNamespaces pages through the directory", async () => {
    const s = etcdStore({ pageSize: 2 });
    const names = [fresh("list"), fresh("list"), fresh("list"), fresh("list"), fresh("list")];
    for (const n of names) await s.createNamespace(n);
    const listed = await s.listNamespaces();
    for (const n of names) expect(listed).toContain(n);
    expect(listed).toEqual(await etcdStore().listNamespaces());
  });
});

describeOnEtcd("etcd store: batches beyond one txn, on etcd's default limits", () => {
  for (const [records, cidr] of [
    [10_000, "10.64.0.0/18"],
    [100_000, "10.128.0.0/15"],
  ] as const) {
    it(`a Load of ${records.toLocaleString("en")} records commits as one staged batch and loads back exactly`, async () => {
      const dump = dumpOf(cidr, records);
      const store = etcdStore();
      const ns = fresh("load");
      await store.createNamespace(ns);
      await execute(createIpamRunner(ns, store, quiet), { op: "load", dump });
      expect(store.counters).toMatchObject({ commits: 1, stagedCommits: 1 });
      expect(store.counters.txns).toBeGreaterThan(records / 128);

      const other = etcdStore();
      expect((await loaded(other, ns)).records).toHaveLength(records);
      expect(await execute(createIpamRunner(ns, other, quiet), { op: "dump" })).toBe(dump);
      expect((await rawRange(`${baseOf(ns)}s/`)).kvs).toEqual([]);
    });
  }

  it("512 calls of one group commit become one staged batch: one fenced commit, every address once", async () => {
    const store = etcdStore();
    const ns = fresh("group");
    await store.createNamespace(ns);
    const runner = createIpamRunner(ns, store, quiet);
    await execute(runner, { op: "createPrefix", cidr: "10.30.0.0/16" });
    const commits = runner.counters.commits;
    const got = await Promise.all(Array.from({ length: 512 }, () => execute(runner, { op: "acquireIP", prefixCidr: "10.30.0.0/16" })));
    expect(runner.counters.largestBatch).toBe(512);
    expect(runner.counters.commits - commits).toBe(1);
    expect(store.counters.stagedCommits).toBe(1);
    expect(new Set(got.map((g) => g.ip)).size).toBe(512);
    const ips = (await loaded(etcdStore(), ns)).records.filter((r) => r.kind === "ip");
    expect(ips).toHaveLength(514);
  });

  it("127 changes commit in one txn, 128 (129 ops with the meta) are staged", async () => {
    const store = etcdStore();
    let { ns, version } = await withPool(store, "edge");
    const txns = store.counters.txns;
    version = await store.commit(ns, version, poolIPs(127).map(put));
    expect(store.counters.txns - txns).toBe(1);
    expect(store.counters.stagedCommits).toBe(0);
    await store.commit(ns, version, poolIPs(128).map(del));
    expect(store.counters.stagedCommits).toBe(1);
    expect((await loaded(store, ns)).records).toEqual([prefix(POOL)]);
  });

  it("a big batch with a malformed change writes nothing, not even stage keys", async () => {
    const store = etcdStore(SMALL);
    const { ns, version } = await withPool(store, "bad");
    const bad = [...poolIPs(3000).map(put), { op: "put", record: { kind: "lease" } } as unknown as Change];
    await expect(store.commit(ns, version, bad)).rejects.toBeInstanceOf(InvalidChangeError);
    expect((await rawRange(`${baseOf(ns)}s/`)).kvs).toEqual([]);
    expect(await loaded(store, ns)).toEqual({ exists: true, version, records: [prefix(POOL)] });
  });

  for (const [label, opts] of [
    ["stages written before the commit point", SMALL],
    ["the stage inside the commit txn", {}],
  ] as const) {
    it(`a stale staged batch is fenced and leaves no stage keys (${label})`, async () => {
      const store = etcdStore(opts);
      const { ns, version } = await withPool(store, "stale");
      const err = await store.commit(ns, version - 1, poolIPs(3000).map(put)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FencingError);
      expect((err as FencingError).actual).toEqual({ exists: true, version });
      expect((await rawRange(`${baseOf(ns)}s/`)).kvs).toEqual([]);
      expect((await loaded(store, ns)).records).toEqual([prefix(POOL)]);
    });
  }
});

describeOnEtcd("etcd store: a writer dying or stalling in the middle of a staged batch", () => {
  /** Commits 3,000 addresses through a store whose txns meet `fate`; the error it throws, if any. */
  async function commitWith(ns: string, version: number, fate: (kind: TxnKind, n: number) => TxnFate): Promise<unknown> {
    const writer = etcdStore({ ...SMALL, fetch: faultyFetch(fate) });
    return writer.commit(ns, version, poolIPs(3000).map(put)).then(
      (v) => v,
      (e: unknown) => e,
    );
  }
  const dead = (at: (kind: TxnKind, n: number) => TxnFate | undefined) => {
    let died = false;
    return (kind: TxnKind, n: number): TxnFate => {
      if (died) return "refuse";
      const f = at(kind, n);
      if (f === "refuse" || f === "lose") died = true;
      return f ?? "pass";
    };
  };

  it("died after staging, before the commit point: nothing visible, and the next load sweeps the stage keys", async () => {
    const { ns, version } = await withPool(etcdStore(), "die-before");
    const err = await commitWith(ns, version, dead((kind) => (kind === "commit-point" ? "refuse" : undefined)));
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect((await rawRange(`${baseOf(ns)}s/`)).kvs.length).toBeGreaterThan(1);

    const reader = etcdStore();
    expect(await loaded(reader, ns)).toEqual({ exists: true, version, records: [prefix(POOL)] });
    expect(reader.counters.sweptStages).toBe(1);
    expect((await rawRange(`${baseOf(ns)}s/`)).kvs).toEqual([]);
    // The namespace is writable at the same version.
    expect(await reader.commit(ns, version, [put(ip(POOL, "10.50.9.9"))])).toBe(version + 1);
  });

  for (const [label, at] of [
    ["right after the commit point", (kind: TxnKind) => (kind === "commit-point" ? "lose" : undefined)],
    ["in the middle of its apply txns", (kind: TxnKind, n: number) => (kind === "apply" && n === 3 ? "refuse" : undefined)],
  ] as const) {
    it(`died ${label}: the next load finishes the batch before it reads, all of it`, async () => {
      const { ns, version } = await withPool(etcdStore(), "die-after");
      const err = await commitWith(ns, version, dead(at as (kind: TxnKind, n: number) => TxnFate | undefined));
      expect(err).toBeInstanceOf(StoreUnavailableError);
      const meta = (await rawRange(`${baseOf(ns)}meta`)).kvs[0].value;
      expect(JSON.parse(meta)).toMatchObject({ present: true, version: version + 1, pending: { stages: expect.any(Number) } });

      const reader = etcdStore();
      const snap = await loaded(reader, ns);
      expect(reader.counters.rolledForward).toBe(1);
      expect(snap.version).toBe(version + 1);
      expect(snap.records).toHaveLength(3001);
      expect((await rawRange(`${baseOf(ns)}meta`)).kvs[0].value).toBe(`{"present":true,"version":${version + 1}}`);
      expect((await rawRange(`${baseOf(ns)}s/`)).kvs).toEqual([]);
      // A writer that loaded the old version is fenced.
      await expect(reader.commit(ns, version, [put(ip(POOL, "10.50.200.1"))])).rejects.toBeInstanceOf(FencingError);
    });
  }

  it("while a batch is pending, other writers are fenced, and a stalled writer never applies a chunk after the namespace moved on", async () => {
    const { ns, version } = await withPool(etcdStore(), "stall");
    const held = gate();
    const writing = commitWith(ns, version, (kind, n) => {
      if (kind !== "apply" || n !== 2) return "pass";
      held.arrive();
      return { hold: held.promise };
    });
    await held.reached; // the commit point has passed; the first apply chunk is in, the second held

    const other = etcdStore();
    // A commit expecting the new version before anyone finished the batch is refused (meta says pending).
    await expect(other.commit(ns, version + 1, [put(ip(POOL, "10.50.200.1"))])).rejects.toBeInstanceOf(FencingError);
    const snap = await loaded(other, ns); // finishes the batch
    expect(other.counters.rolledForward).toBe(1);
    expect(snap.records).toHaveLength(3001);
    // Another writer releases every address of the batch.
    const v2 = await other.commit(ns, snap.version, poolIPs(3000).map(del));

    held.open(); // the stalled writer's next chunk is fenced on the meta key it last wrote
    expect(await writing).toBe(version + 1); // its batch did commit (at the commit point)
    expect(await loaded(etcdStore(), ns)).toEqual({ exists: true, version: v2, records: [prefix(POOL)] });
  });

  it("a load that sweeps a live writer's stages before its commit point makes that commit refused, never half-applied", async () => {
    const { ns, version } = await withPool(etcdStore(), "swept");
    const held = gate();
    const writing = commitWith(ns, version, (kind) => {
      if (kind !== "commit-point") return "pass";
      held.arrive();
      return { hold: held.promise };
    });
    await held.reached;
    const reader = etcdStore();
    await loaded(reader, ns);
    expect(reader.counters.sweptStages).toBe(1);
    held.open();
    const err = await writing;
    expect(err).toBeInstanceOf(CommitRefusedError);
    expect(err).not.toBeInstanceOf(FencingError);
    expect(await loaded(reader, ns)).toEqual({ exists: true, version, records: [prefix(POOL)] });
    expect((await rawRange(`${baseOf(ns)}s/`)).kvs).toEqual([]);
    // Run again, it commits.
    expect(await commitWith(ns, version, () => "pass")).toBe(version + 1);
  });

  it("deleting the namespace drops a pending batch's stage keys and an abandoned one's", async () => {
    const store = etcdStore();
    const { ns, version } = await withPool(store, "drop");
    await rawPut(`${baseOf(ns)}s/abandoned-1/000000`, '[["i/10.50.0.0/16 10.50.0.1"]]');
    await store.deleteNamespace(ns, version);
    expect((await rawRange(baseOf(ns))).kvs.map((kv) => kv.key)).toEqual([`${baseOf(ns)}meta`]);
  });
});

describeOnEtcd("etcd store: auth and a failing server", () => {
  it("a wrong password fails as unavailable, naming the cause but not the password", async () => {
    const password = "wrong-password-Qm3x9Lp2";
    const err = await etcdStore({}, { password }).load(fresh("auth")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(String((err as Error).message)).toMatch(/authentication failed/);
    expect(String((err as Error).message)).not.toContain(password);
  });

  it("without credentials, the error says auth is on and which settings to set", async () => {
    const err = await etcdStore({}, { username: undefined, password: undefined }).load(fresh("noauth")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(String((err as Error).message)).toMatch(/ETCD_USERNAME and ETCD_PASSWORD/);
  });

  it("survives kill -9 with every acknowledged commit, and authenticates again after the restart", async () => {
    let authentications = 0;
    const counting: typeof fetch = (input, init) => {
      if (String(input).endsWith("/v3/auth/authenticate")) authentications++;
      return fetch(input, init);
    };
    const store = etcdStore({ fetch: counting });
    const { ns, version } = await withPool(store, "kill");
    const v2 = await store.commit(ns, version, poolIPs(10).map(put));
    await storeFault("kill");
    try {
      await expect(store.load(ns)).rejects.toBeInstanceOf(StoreUnavailableError);
    } finally {
      await storeFault("restart");
    }
    const before = authentications;
    const snap = await loaded(store, ns); // the restarted server forgot every token
    expect(authentications).toBeGreaterThan(before);
    expect(snap.version).toBe(v2);
    expect(snap.records).toHaveLength(11);
  });

  it("a stopped server fails calls within the deadline, and the same store recovers once it answers", async () => {
    const store = etcdStore({}, { timeoutMs: 1500 });
    const { ns, version } = await withPool(store, "pause");
    await storeFault("pause");
    try {
      const err = await store.load(ns).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreUnavailableError);
      expect(String((err as Error).message)).toMatch(/timed out/);
    } finally {
      await storeFault("resume");
    }
    expect((await loaded(store, ns)).version).toBe(version);
    expect(await store.commit(ns, version, [put(ip(POOL, "10.50.0.2"))])).toBe(version + 1);
  });
});
