// The namespace Durable Object inside workerd: lifecycle, errors across the RPC boundary, durability across a
// real restart (evictDurableObject tears the instance down; the next call constructs a fresh one that loads
// from SQLite), crash in the middle of a burst (abortAllDurableObjects), concurrency and isolation.
import { abortAllDurableObjects, env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { namespaceNotFound } from "../../src/core/errors";
import type { Command, IPInfo, IpamRecord, PrefixInfo, Usage } from "../../src/core/types";
import type { Outcome } from "../../src/server/outcome";
import { expandRecords } from "../../src/storage/records";
import { isExtraRecord, type Store } from "../../src/storage/types";
import type { NamespaceObject } from "../../worker/namespace-object";

let seq = 0;
const fresh = (tag: string) => `t-${tag}-${Date.now().toString(36)}-${(seq++).toString(36)}`;
const stubOf = (name: string) => env.NAMESPACE.get(env.NAMESPACE.idFromName(name));

async function ok<T>(p: Promise<Outcome<T>>): Promise<T> {
  const o = await p;
  if (!o.ok) throw new Error(`expected success, got ${o.kind}: ${o.message}`);
  return o.result;
}

/** A namespace object addressed as the Worker does, with typed helpers. */
function client(name: string) {
  const stub = stubOf(name);
  const exec = <T>(cmd: Command) => stub.execute(name, cmd) as Promise<Outcome<T>>;
  return {
    name,
    stub,
    exec,
    run: <T>(cmd: Command) => ok(exec<T>(cmd)),
    acquireIP: (prefixCidr: string) => ok(exec<IPInfo>({ op: "acquireIP", prefixCidr })),
    releaseIP: (prefixCidr: string, ip: string) => ok(exec<IPInfo>({ op: "releaseIP", prefixCidr, ip })),
    stats: () => ok(stub.stats(name)),
  };
}
type Client = ReturnType<typeof client>;

async function created(tag: string): Promise<Client> {
  const c = client(fresh(tag));
  expect(await ok(c.stub.createNamespace(c.name))).toMatchObject({ exists: true, created: true });
  return c;
}

const recordKey = (r: IpamRecord) => (r.kind === "prefix" ? `prefix ${r.cidr} <- ${r.parentCidr}` : `ip ${r.prefix} ${r.ip}`);

/** Everything observable about a namespace: API answers, the stored records, and the in-memory records. */
async function observe(c: Client) {
  const prefixes = await c.run<PrefixInfo[]>({ op: "listPrefixes" });
  const ips: Record<string, string[]> = {};
  const usage: Record<string, Usage> = {};
  for (const p of prefixes) {
    usage[p.cidr] = await c.run<Usage>({ op: "prefixUsage", cidr: p.cidr });
    const listed = await c.exec<string[]>({ op: "listIPs", prefixCidr: p.cidr });
    if (listed.ok) ips[p.cidr] = listed.result;
  }
  const { rows, memory } = await runInDurableObject(c.stub, async (instance: NamespaceObject) => {
    // What the object's store (DO SQLite or the project's external store) holds, read back through it.
    const internals = instance as unknown as {
      store: Store;
      runner: { read<T>(f: (ns: { records(): IpamRecord[] }) => T): Promise<T> };
    };
    const rows = [...expandRecords((await internals.store.load(c.name)).records)]
      .filter((r): r is IpamRecord => !isExtraRecord(r))
      .map(recordKey)
      .sort();
    const memory = (await internals.runner.read((ns) => ns.records())).map(recordKey).sort();
    return { rows, memory };
  });
  return { prefixes, ips, usage, rows, memory };
}

describe("namespace object: lifecycle", () => {
  it("root exists by default", async () => {
    const root = client("root");
    expect(await root.exec({ op: "listPrefixes" })).toMatchObject({ ok: true });
  });

  it("a command on a namespace that does not exist fails with namespace_not_found", async () => {
    const c = client(fresh("missing"));
    expect(await c.exec({ op: "listPrefixes" })).toEqual({
      ok: false,
      kind: "namespace_not_found",
      message: namespaceNotFound(c.name).message,
    });
    expect(await c.exec({ op: "createPrefix", cidr: "10.0.0.0/24" })).toMatchObject({ ok: false, kind: "namespace_not_found" });
    expect(await c.stub.stats(c.name)).toMatchObject({ ok: false, kind: "namespace_not_found" });
    expect(await ok(c.stub.existence(c.name))).toEqual({ exists: false, version: 0 });
  });

  it("createNamespace is idempotent and makes commands work", async () => {
    const c = await created("create");
    const again = await ok(c.stub.createNamespace(c.name));
    expect(again).toMatchObject({ exists: true, created: false });
    expect(await c.run({ op: "createPrefix", cidr: "10.0.0.1/24" })).toEqual({ cidr: "10.0.0.0/24", parentCidr: "" });
    expect((await ok(c.stub.createNamespace(c.name))).created).toBe(false);
    expect(await c.run({ op: "listPrefixes" })).toEqual([{ cidr: "10.0.0.0/24", parentCidr: "" }]);
  });

  it("deleteNamespace refuses while prefixes exist, deletes when empty, and refuses a missing namespace", async () => {
    const c = await created("delete");
    await c.run({ op: "createPrefix", cidr: "10.1.0.0/24" });
    const refused = await c.stub.deleteNamespace(c.name);
    expect(refused).toMatchObject({ ok: false, kind: "conflict" });
    expect((refused as { message: string }).message).toMatch(/^cannot delete namespace with allocated prefixes/);
    await c.run({ op: "deletePrefix", cidr: "10.1.0.0/24" });
    const deleted = await ok(c.stub.deleteNamespace(c.name));
    expect(deleted.exists).toBe(false);
    expect(await c.exec({ op: "listPrefixes" })).toMatchObject({ ok: false, kind: "namespace_not_found" });
    expect(await c.stub.deleteNamespace(c.name)).toMatchObject({ ok: false, kind: "namespace_not_found" });
    // Re-created: empty, at a higher version, and it survives a restart as such.
    const again = await ok(c.stub.createNamespace(c.name));
    expect(again.created).toBe(true);
    expect(again.version).toBeGreaterThan(deleted.version);
    await evictDurableObject(c.stub);
    expect(await c.run({ op: "listPrefixes" })).toEqual([]);
  });

  it("a deleted namespace stays deleted across a restart (root included)", async () => {
    // root is per object, so this only touches the root object of this test file's isolated storage.
    const c = await created("deleted-restart");
    await ok(c.stub.deleteNamespace(c.name));
    await evictDurableObject(c.stub);
    expect(await c.exec({ op: "listPrefixes" })).toMatchObject({ ok: false, kind: "namespace_not_found" });
  });

  it("refuses invalid names and objects addressed with another namespace's name", async () => {
    const bad = stubOf("bad name");
    expect(await bad.execute("bad name", { op: "listPrefixes" })).toMatchObject({ ok: false, kind: "invalid_input" });
    const c = await created("routing");
    const other = fresh("other");
    const out = await c.stub.execute(other, { op: "listPrefixes" });
    expect(out).toEqual({ ok: false, kind: "internal", message: "internal error: namespace routed to the wrong object" });
  });
});

describe("namespace object: errors across the RPC boundary", () => {
  it("core errors keep their kind and message; results with bigints cross intact", async () => {
    const c = await created("errors");
    await c.run({ op: "createPrefix", cidr: "10.2.0.0/16" });
    expect(await c.exec({ op: "createPrefix", cidr: "10.2.1.0/24" })).toEqual({
      ok: false,
      kind: "overlap",
      message: "10.2.1.0/24 overlaps 10.2.0.0/16",
    });
    const usage = await c.run<Usage>({ op: "prefixUsage", cidr: "10.2.0.0/16" });
    expect(usage.availableIPs).toBe(65536n);
    expect(usage.acquiredIPs).toBe(2n);
  });

  it("an unexpected exception answers kind internal with a generic message and no stack", async () => {
    const c = await created("internal");
    // Not a valid Command: the core is not required to survive it gracefully.
    const out = await c.stub.execute(c.name, { op: "acquireIP", prefixCidr: { evil: true } } as unknown as Command);
    expect(out.ok).toBe(false);
    if (!out.ok) {
      // Either the core rejects it as bad input, or it is a bug: then "internal" and a generic message.
      if (out.kind === "internal") expect(out.message).toBe("internal error");
      else expect(["invalid_input", "prefix_not_found"]).toContain(out.kind);
      expect(out.message).not.toMatch(/\n\s+at /);
    }
    // The object keeps working.
    expect(await c.run({ op: "listPrefixes" })).toEqual([]);
  });
});

describe("namespace object: durability", () => {
  it("a restarted object loads exactly the state it had: same records, nothing lost, nothing duplicated", async () => {
    const c = await created("durable");
    await c.run({ op: "createPrefix", cidr: "10.10.0.0/16" });
    const children = await Promise.all(
      [24, 24, 26, 28].map((length) => c.run<PrefixInfo>({ op: "acquireChildPrefix", cidr: "10.10.0.0/16", length })),
    );
    await c.run({ op: "acquireChildPrefix", cidr: "10.10.0.0/16", length: 24, childCidr: "10.10.200.0/24" });
    // Grandchildren, with addresses.
    const grand = await c.run<PrefixInfo>({ op: "acquireChildPrefix", cidr: "10.10.200.0/24", length: 26 });
    await c.run({ op: "acquireChildPrefix", cidr: "10.10.200.0/24", length: 27 });
    await Promise.all(Array.from({ length: 3 }, () => c.acquireIP(grand.cidr)));
    await Promise.all(Array.from({ length: 20 }, () => c.acquireIP(children[0].cidr)));
    await Promise.all(Array.from({ length: 5 }, () => c.acquireIP(children[2].cidr)));
    await c.releaseIP(children[0].cidr, "10.10.0.5"); // a hole the next acquire must reuse
    await c.run({ op: "releaseChildPrefix", cidr: children[1].cidr });
    await c.run({ op: "createPrefix", cidr: "2001:db8::/120" });
    await Promise.all(Array.from({ length: 7 }, () => c.acquireIP("2001:db8::/120")));

    const before = await observe(c);
    expect(before.rows).toEqual(before.memory); // what is in SQLite is exactly what is in memory
    expect(new Set(before.rows).size).toBe(before.rows.length);
    const statsBefore = await c.stats();

    await evictDurableObject(c.stub);

    const statsAfter = await c.stats();
    // A fresh instance: its counters restarted, it loaded once and has committed nothing yet.
    expect(statsAfter.runner).toMatchObject({ loads: 1, commits: 0 });
    expect(statsAfter.version).toBe(statsBefore.version);
    expect({ prefixes: statsAfter.prefixes, acquired: statsAfter.acquiredIPs, available: statsAfter.availableIPs }).toEqual({
      prefixes: statsBefore.prefixes,
      acquired: statsBefore.acquiredIPs,
      available: statsBefore.availableIPs,
    });
    const after = await observe(c);
    expect(after).toEqual(before);
    // And it continues from there: the released hole first, then past the highest.
    expect((await c.acquireIP(children[0].cidr)).ip).toBe("10.10.0.5");
    expect((await c.acquireIP(children[0].cidr)).ip).toBe("10.10.0.21");
  });

  it("after a crash in the middle of a burst, every answered acquire is in storage, once", async () => {
    let c = await created("crash");
    await c.run({ op: "createPrefix", cidr: "10.11.0.0/22" });
    // 300 acquires; when the 20th answer arrives, every Durable Object is aborted (in-memory state lost,
    // in-flight calls cut off), like a crash of the process.
    let answers = 0;
    let crash: Promise<void> | undefined;
    const burst = Array.from({ length: 300 }, () =>
      c.exec<IPInfo>({ op: "acquireIP", prefixCidr: "10.11.0.0/22" }).then((o) => {
        if (++answers === 20) crash = abortAllDurableObjects();
        return o;
      }),
    );
    const settled = await Promise.allSettled(burst);
    await crash;
    c = client(c.name); // stubs of the aborted instance are broken; a new one reaches a fresh instance
    const answered = settled
      .filter((s): s is PromiseFulfilledResult<Outcome<IPInfo>> => s.status === "fulfilled" && s.value.ok)
      .map((s) => (s.value as { ok: true; result: IPInfo }).result.ip);
    const failed = settled.length - answered.length;
    expect(answered.length).toBeGreaterThanOrEqual(20);
    expect(new Set(answered).size).toBe(answered.length);
    const stored = await c.run<string[]>({ op: "listIPs", prefixCidr: "10.11.0.0/22" });
    expect(new Set(stored).size).toBe(stored.length);
    for (const ip of answered) expect(stored).toContain(ip);
    const view = await observe(c);
    expect(view.rows).toEqual(view.memory);
    // The next acquire continues without handing out anything answered before the crash.
    const next = await c.acquireIP("10.11.0.0/22");
    expect(answered).not.toContain(next.ip);
    console.log(
      `crash test: ${answered.length}/300 acquires answered ok, ${failed} cut off by the abort, ${stored.length - 2} stored (plus 2 reserved)`,
    );
  });
});

describe("namespace object: concurrency", () => {
  it("64 concurrent acquireIP calls get 64 distinct addresses in far fewer than 64 commits", async () => {
    const c = await created("burst");
    await c.run({ op: "createPrefix", cidr: "10.12.0.0/24" });
    const s0 = await c.stats();
    const t0 = performance.now();
    const got = await Promise.all(Array.from({ length: 64 }, () => c.acquireIP("10.12.0.0/24")));
    const ms = performance.now() - t0;
    const s1 = await c.stats();
    const ips = got.map((g) => g.ip);
    expect(new Set(ips).size).toBe(64);
    // The lowest free addresses, each handed out once.
    expect([...ips].sort((a, b) => Number(a.split(".")[3]) - Number(b.split(".")[3]))).toEqual(
      Array.from({ length: 64 }, (_, i) => `10.12.0.${i + 1}`),
    );
    const commits = s1.store.commits! - s0.store.commits!;
    console.log(
      `64 concurrent acquires: ${commits} DO SQLite commits (transactionSync + sync), largest batch ${s1.runner.largestBatch}, ${ms.toFixed(1)} ms`,
    );
    expect(commits).toBeGreaterThanOrEqual(1);
    expect(commits).toBeLessThanOrEqual(32);
  });

  it("concurrent clients interleaving acquire and release never receive an address that is still held", async () => {
    const c = await created("churn");
    const prefix = "10.13.0.0/27"; // 30 usable addresses: heavy reuse
    await c.run({ op: "createPrefix", cidr: prefix });
    const held = new Set<string>();
    let violations = 0;
    let exhausted = 0;
    let rand = 12345;
    const random = () => ((rand = (rand * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const worker = async () => {
      const mine: string[] = [];
      for (let i = 0; i < 30; i++) {
        if (mine.length > 0 && (mine.length >= 3 || random() < 0.45)) {
          const ip = mine.splice(Math.floor(random() * mine.length), 1)[0];
          held.delete(ip); // released from the client's point of view before the call is even sent
          await c.releaseIP(prefix, ip);
        } else {
          const out = await c.exec<IPInfo>({ op: "acquireIP", prefixCidr: prefix });
          if (!out.ok) {
            expect(out.kind).toBe("no_ip_available");
            exhausted++;
            continue;
          }
          if (held.has(out.result.ip)) violations++;
          held.add(out.result.ip);
          mine.push(out.result.ip);
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    expect(violations).toBe(0);
    const listed = await c.run<string[]>({ op: "listIPs", prefixCidr: prefix });
    expect(new Set(listed)).toEqual(new Set([...held, "10.13.0.0", "10.13.0.31"]));
    const view = await observe(c);
    expect(view.rows).toEqual(view.memory);
    console.log(`churn: 16 clients x 30 ops, ${exhausted} exhausted answers, ${held.size} held at the end`);
  });
});

describe("namespace object: isolation", () => {
  it("the same CIDR in two namespaces is allocated independently", async () => {
    const a = await created("iso-a");
    const b = await created("iso-b");
    for (const c of [a, b]) await c.run({ op: "createPrefix", cidr: "172.16.0.0/24" });
    await Promise.all(Array.from({ length: 5 }, () => a.acquireIP("172.16.0.0/24")));
    expect((await b.acquireIP("172.16.0.0/24")).ip).toBe("172.16.0.1");
    for (let i = 1; i <= 5; i++) await a.releaseIP("172.16.0.0/24", `172.16.0.${i}`);
    await a.run({ op: "deletePrefix", cidr: "172.16.0.0/24" });
    expect(await a.run({ op: "listPrefixes" })).toEqual([]);
    expect(await b.run({ op: "listPrefixes" })).toEqual([{ cidr: "172.16.0.0/24", parentCidr: "" }]);
    expect(await b.run({ op: "listIPs", prefixCidr: "172.16.0.0/24" })).toEqual(["172.16.0.0", "172.16.0.1", "172.16.0.255"]);
    // A namespace that was never created stays absent even though its neighbours hold data.
    expect(await client(fresh("iso-c")).exec({ op: "listPrefixes" })).toMatchObject({ ok: false, kind: "namespace_not_found" });
  });
});
