// worker/namespaces.ts and the directory object: the functions the Worker's handlers call, and the crash
// safety of create/delete between the directory and the namespace objects.
import { env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ABANDONED_AFTER_MS, DirectoryTable } from "../../src/storage/do-directory";
import { DIRECTORY_NAME } from "../../worker/directory-object";
import {
  createNamespace,
  deleteNamespace,
  listNamespaces,
  namespaceStats,
  runCommand,
} from "../../worker/namespaces";
import type { Outcome } from "../../src/server/outcome";
import { describeOnDurableObjects } from "./backend";

let seq = 0;
const fresh = (tag: string) => `d-${tag}-${Date.now().toString(36)}-${(seq++).toString(36)}`;
const dir = () => env.DIRECTORY.get(env.DIRECTORY.idFromName(DIRECTORY_NAME));
const nsStub = (name: string) => env.NAMESPACE.get(env.NAMESPACE.idFromName(name));

async function ok<T>(p: Promise<Outcome<T>>): Promise<T> {
  const o = await p;
  if (!o.ok) throw new Error(`expected success, got ${o.kind}: ${o.message}`);
  return o.result;
}
const list = () => ok(listNamespaces(env));

describe("namespaces: the Worker's functions", () => {
  it("lists root by default, and created namespaces, sorted", async () => {
    const [b, a] = [fresh("b"), fresh("a")];
    expect(await createNamespace(env, b)).toEqual({ ok: true, result: null });
    expect(await createNamespace(env, a)).toEqual({ ok: true, result: null });
    const names = await list();
    expect(names).toContain("root");
    expect(names).toContain(a);
    expect(names).toContain(b);
    expect([...names].sort()).toEqual(names);
  });

  it("createNamespace is idempotent; commands run in the created namespace", async () => {
    const n = fresh("idem");
    await ok(createNamespace(env, n));
    await ok(createNamespace(env, n));
    expect((await list()).filter((x) => x === n)).toEqual([n]);
    expect(await runCommand(env, n, { op: "createPrefix", cidr: "10.0.0.0/24" })).toEqual({
      ok: true,
      result: { cidr: "10.0.0.0/24", parentCidr: "" },
    });
    expect(await runCommand(env, n, { op: "acquireIP", prefixCidr: "10.0.0.0/24" })).toMatchObject({
      ok: true,
      result: { ip: "10.0.0.1" },
    });
    const stats = await ok(namespaceStats(env, n));
    expect(stats).toMatchObject({ namespace: n, exists: true, prefixes: 1, acquiredIPs: 3n, availableIPs: 256n });
  });

  it("commands, stats and deletes on a namespace that does not exist fail with namespace_not_found", async () => {
    const n = fresh("nope");
    expect(await runCommand(env, n, { op: "listPrefixes" })).toMatchObject({ ok: false, kind: "namespace_not_found" });
    expect(await namespaceStats(env, n)).toMatchObject({ ok: false, kind: "namespace_not_found" });
    expect(await deleteNamespace(env, n)).toMatchObject({ ok: false, kind: "namespace_not_found" });
    expect(await list()).not.toContain(n);
  });

  it("deleteNamespace refuses a namespace with prefixes, then deletes it once empty", async () => {
    const n = fresh("del");
    await ok(createNamespace(env, n));
    await ok(runCommand(env, n, { op: "createPrefix", cidr: "10.1.0.0/24" }));
    const refused = await deleteNamespace(env, n);
    expect(refused).toMatchObject({ ok: false, kind: "conflict" });
    expect((refused as { message: string }).message).toMatch(/^cannot delete namespace with allocated prefixes/);
    expect(await list()).toContain(n);
    await ok(runCommand(env, n, { op: "deletePrefix", cidr: "10.1.0.0/24" }));
    expect(await deleteNamespace(env, n)).toEqual({ ok: true, result: null });
    expect(await list()).not.toContain(n);
    expect(await runCommand(env, n, { op: "listPrefixes" })).toMatchObject({ ok: false, kind: "namespace_not_found" });
  });

  it("refuses invalid namespace names with invalid_input", async () => {
    for (const bad of ["", "has space", "x".repeat(64), "tab\t", "ünicode"]) {
      expect(await runCommand(env, bad, { op: "listPrefixes" })).toMatchObject({ ok: false, kind: "invalid_input" });
      expect(await createNamespace(env, bad)).toMatchObject({ ok: false, kind: "invalid_input" });
      expect(await deleteNamespace(env, bad)).toMatchObject({ ok: false, kind: "invalid_input" });
      expect(await namespaceStats(env, bad)).toMatchObject({ ok: false, kind: "invalid_input" });
    }
  });

  it("root can be deleted when empty (as go-ipam), and created again", async () => {
    expect(await list()).toContain("root");
    expect(await deleteNamespace(env, "root")).toEqual({ ok: true, result: null });
    expect(await list()).not.toContain("root");
    expect(await runCommand(env, "root", { op: "listPrefixes" })).toMatchObject({ ok: false, kind: "namespace_not_found" });
    // Still deleted after both objects restart.
    await evictDurableObject(nsStub("root"));
    await evictDurableObject(dir());
    expect(await list()).not.toContain("root");
    await ok(createNamespace(env, "root"));
    expect(await list()).toContain("root");
    expect(await runCommand(env, "root", { op: "listPrefixes" })).toEqual({ ok: true, result: [] });
  });

  it("the listing survives a restart of the directory", async () => {
    const n = fresh("dir-restart");
    await ok(createNamespace(env, n));
    await evictDurableObject(dir());
    expect(await list()).toContain(n);
  });
});

// An external store keeps the directory itself, changed atomically with the namespace: nothing to crash between.
describeOnDurableObjects("namespaces: crash safety between the directory and the namespace objects", () => {
  it("crash after the intent, before the namespace object acted: not listed", async () => {
    const n = fresh("crash1");
    await dir().begin(n); // step 1 only
    expect(await list()).not.toContain(n);
    expect((await dir().list()).pending.map((p) => p.name)).toContain(n); // still pending: not yet abandoned
  });

  it("crash after the namespace object created it, before the directory recorded it: listed", async () => {
    const n = fresh("crash2");
    await dir().begin(n);
    await ok(nsStub(n).createNamespace(n)); // step 2; step 3 never happens
    expect(await list()).toContain(n);
    // A later create completes the protocol and settles the name.
    await ok(createNamespace(env, n));
    expect((await dir().list()).pending.map((p) => p.name)).not.toContain(n);
    expect((await dir().list()).present).toContain(n);
  });

  it("crash after the namespace object deleted it, before the directory recorded it: not listed", async () => {
    const n = fresh("crash3");
    await ok(createNamespace(env, n));
    await dir().begin(n);
    await ok(nsStub(n).deleteNamespace(n));
    expect(await list()).not.toContain(n);
  });

  it("reports arriving out of order never roll the directory back", async () => {
    const n = fresh("race");
    // A create and a delete race; the delete's report (newer version) arrives before the create's.
    const i1 = await dir().begin(n);
    const i2 = await dir().begin(n);
    const c = await ok(nsStub(n).createNamespace(n));
    const d = await ok(nsStub(n).deleteNamespace(n));
    await dir().record(n, d, i2);
    await dir().record(n, { exists: c.exists, version: c.version }, i1);
    const l = await dir().list();
    expect(l.present).not.toContain(n);
    expect(l.pending.map((p) => p.name)).not.toContain(n);
    expect(await list()).not.toContain(n);
  });

  it("a reconcile settles only abandoned intents; an operation in flight keeps its mark", async () => {
    await runInDurableObject(dir(), async (_instance, state) => {
      const t = new DirectoryTable(state.storage.sql, []);
      const n = fresh("settle");
      const now = 1_000_000;
      const intent = t.begin(n, now);
      // A list reconciles while the operation is still in flight: recorded, but still pending.
      t.record(n, { exists: false, version: 0 }, intent, { reconcile: true, now: now + 10 });
      expect(t.list().pending.map((p) => p.name)).toContain(n);
      // The operation then reports itself: settled.
      t.record(n, { exists: true, version: 1 }, intent, { now: now + 20 });
      expect(t.list().pending.map((p) => p.name)).not.toContain(n);
      expect(t.list().present).toContain(n);
      // A crashed operation is settled by a reconcile once abandoned.
      const i2 = t.begin(n, now + 100);
      t.record(n, { exists: true, version: 1 }, i2, { reconcile: true, now: now + 100 + ABANDONED_AFTER_MS });
      expect(t.list().pending.map((p) => p.name)).not.toContain(n);
      // A stale intent never settles a newer one.
      const i3 = t.begin(n, now + 200);
      const i4 = t.begin(n, now + 201);
      t.record(n, { exists: false, version: 2 }, i3, { now: now + 300 });
      expect(t.list().pending.map((p) => p.name)).toContain(n);
      t.record(n, { exists: false, version: 2 }, i4, { now: now + 300 });
      expect(t.list().pending.map((p) => p.name)).not.toContain(n);
      expect(t.list().present).not.toContain(n);
    });
  });
});
