// What every external store backend must do, against its real server: two writers on one namespace
// (fenced, re-run, never a duplicate), the server stopped and killed in the middle of concurrent acquires,
// and secrets kept out of errors and logs. Runs in each workers-<backend> project.
import { env } from "cloudflare:test";
import { afterEach, expect, it, vi } from "vitest";
import type { IPInfo, IpamRecord } from "../../../src/core/types";
import type { Outcome } from "../../../src/server/outcome";
import { secretsOf, storeConfig } from "../../../src/storage/config";
import { describeOnExternalStores, storeFault, withProjectStore } from "../backend";
import { client, failure, uniqueNamespace } from "../clients";
import { Ledger, reservedOf } from "../../harness/ledger";

const api = client("connect-json");

async function ok<T>(p: Promise<Outcome<T>>): Promise<T> {
  const o = await p;
  if (!o.ok) throw new Error(`expected success, got ${o.kind}: ${o.message}`);
  return o.result;
}

/** The acquired addresses of `prefix` the store holds, reserved ones included. */
async function storedIps(namespace: string, prefix: string): Promise<string[]> {
  return withProjectStore(async (store) =>
    [...(await store.load(namespace)).records]
      .filter((r): r is Extract<IpamRecord, { kind: "ip" }> => r.kind === "ip" && r.prefix === prefix)
      .map((r) => r.ip)
      .sort(),
  );
}

async function namespaceWithPrefix(tag: string, cidr: string): Promise<string> {
  const ns = uniqueNamespace(tag);
  await api.createNamespace({ namespace: ns });
  await api.createPrefix({ cidr, namespace: ns });
  return ns;
}



/** n concurrent AcquireIP calls through the API, each with a deadline; records what they got. */
async function acquireMany(ledger: Ledger, ns: string, prefix: string, n: number, timeoutMs = 8_000): Promise<void> {
  await Promise.all(
    Array.from({ length: n }, async () => {
      try {
        const r = await api.acquireIP({ prefixCidr: prefix, namespace: ns }, { timeoutMs });
        ledger.take(r.ip!.ip);
        ledger.count("ok");
      } catch (e) {
        const f = await failure(Promise.reject(e));
        ledger.count(f.code);
      }
    }),
  );
}

/** Retries one acquire until it succeeds (the store is back), up to `ms`. */
async function untilAcquired(ledger: Ledger, ns: string, prefix: string, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      const r = await api.acquireIP({ prefixCidr: prefix, namespace: ns }, { timeoutMs: 8_000 });
      ledger.take(r.ip!.ip);
      return;
    } catch (e) {
      if (Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

describeOnExternalStores("external store: two writers on one namespace", () => {
  it("two objects acquiring concurrently in one namespace hand out every address once, and all of them are stored", async () => {
    const prefix = "10.60.0.0/22";
    const ns = await namespaceWithPrefix("fence", prefix);
    // The Worker's object for ns, and a second object serving the same namespace from the same store (as a
    // second deployment, or a stale object after a split, would).
    const a = env.NAMESPACE.get(env.NAMESPACE.idFromName(ns));
    const b = env.NAMESPACE.get(env.NAMESPACE.newUniqueId());
    // Both hold the namespace loaded before the race (a store whose first call opens a connection would
    // otherwise let the first object finish before the second one has read anything).
    await ok(a.existence(ns));
    await ok(b.existence(ns));
    const ledger = new Ledger();
    const burst = (stub: typeof a) =>
      Array.from({ length: 60 }, async () => {
        const out = (await stub.execute(ns, { op: "acquireIP", prefixCidr: prefix })) as Outcome<IPInfo>;
        if (out.ok) {
          ledger.take(out.result.ip);
          ledger.count("ok");
        } else {
          expect(out.kind, out.message).toBe("aborted"); // gave up after being fenced again and again
          ledger.count(out.kind);
        }
      });
    await Promise.all([...burst(a), ...burst(b), ...burst(a), ...burst(b)]);
    expect(ledger.codes.ok).toBeGreaterThan(0);
    // Every acknowledged address is stored; nothing else is (no half-applied or lost batch).
    expect(await storedIps(ns, prefix)).toEqual([...reservedOf(prefix), ...ledger.held].sort());
    // Both objects saw each other's writes: they were fenced and re-ran.
    const sa = await ok(a.stats(ns));
    const sb = await ok(b.stats(ns));
    expect(sa.runner.refusedCommits + sb.runner.refusedCommits).toBeGreaterThan(0);
    // And both now agree with the store: the next acquires continue without a clash.
    const next = [await ok(a.execute(ns, { op: "acquireIP", prefixCidr: prefix })), await ok(b.execute(ns, { op: "acquireIP", prefixCidr: prefix }))];
    for (const r of next as IPInfo[]) ledger.take(r.ip);
  });
});

describeOnExternalStores("external store: the server fails in the middle of concurrent acquires", () => {
  afterEach(async () => {
    await storeFault("resume"); // never leave the server stopped for the next test
  });

  for (const fault of ["pause", "kill"] as const) {
    it(`${fault === "pause" ? "kill -STOP, then -CONT" : "kill -9, then a restart"}: no duplicate, no acknowledged allocation lost, calls succeed again`, async () => {
      const prefix = fault === "pause" ? "10.61.0.0/20" : "10.62.0.0/20";
      const ns = await namespaceWithPrefix(`fault-${fault}`, prefix);
      const ledger = new Ledger();
      const before = acquireMany(ledger, ns, prefix, 80);
      await new Promise((r) => setTimeout(r, 30));
      await storeFault(fault);
      const during = acquireMany(ledger, ns, prefix, 20, 3_000);
      await Promise.all([before, during]);
      // Calls made while the server was down failed cleanly (no hang, no internal).
      for (const code of Object.keys(ledger.codes)) expect(["ok", "Unavailable", "DeadlineExceeded", "Aborted"]).toContain(code);
      await storeFault(fault === "pause" ? "resume" : "restart");
      await untilAcquired(ledger, ns, prefix);
      await acquireMany(ledger, ns, prefix, 40);
      // Every acknowledged address survived, none was handed out twice (Ledger.take), and the store holds no
      // address nobody was told about beyond a batch whose answer was lost to the fault.
      const stored = new Set(await storedIps(ns, prefix));
      for (const ip of ledger.held) expect(stored.has(ip), `${ip} acknowledged but not stored`).toBe(true);
      // Memory and store agree: what the object lists is what the store holds.
      const listed = (await api.listIPs({ prefixCidr: prefix, namespace: ns })).ips;
      expect([...listed].sort()).toEqual([...stored].sort());
    });
  }
});

describeOnExternalStores("external store: a stalled store fills a namespace's queue", () => {
  afterEach(async () => {
    await storeFault("resume");
  });

  it("calls beyond the queue's bound answer resource_exhausted at once; the rest commit when the store is back", async () => {
    const prefix = "10.64.0.0/18";
    const ns = await namespaceWithPrefix("shed", prefix);
    const stub = env.NAMESPACE.get(env.NAMESPACE.idFromName(ns));
    await ok(stub.execute(ns, { op: "listPrefixes" })); // loaded
    await storeFault("pause");
    const deadline = Date.now() + 60_000;
    const calls = Array.from({ length: 1500 }, () => stub.execute(ns, { op: "acquireIP", prefixCidr: prefix }, { deadline }));
    // The refused ones answer while the store is still stopped.
    const refused = await Promise.race([
      Promise.all(calls.slice(1100)),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("refused calls did not answer at once")), 20_000)),
    ]);
    for (const o of refused) expect(o).toMatchObject({ ok: false, kind: "resource_exhausted" });
    await storeFault("resume");
    const ledger = new Ledger();
    for (const o of await Promise.all(calls)) {
      if (o.ok) ledger.take((o as unknown as { result: IPInfo }).result.ip);
      ledger.count(o.ok ? "ok" : o.kind);
    }
    for (const k of Object.keys(ledger.codes)) expect(["ok", "resource_exhausted", "unavailable"]).toContain(k);
    expect(ledger.codes.resource_exhausted).toBeGreaterThanOrEqual(400);
    const stored = new Set(await storedIps(ns, prefix));
    for (const ip of ledger.held) expect(stored.has(ip)).toBe(true);
    const stats = await ok(stub.stats(ns));
    expect(stats.runner.shed).toBe(ledger.codes.resource_exhausted);
  });
});

describeOnExternalStores("external store: secrets", () => {
  afterEach(() => vi.restoreAllMocks());

  it("wrong credentials answer unavailable, and no secret appears in any error or log line", async () => {
    const settings = storeConfig(env as unknown as Record<string, unknown>);
    if (!settings.ok) throw new Error(settings.message);
    const secrets = secretsOf(settings.config);
    const lines: string[] = [];
    for (const m of ["log", "warn", "error", "info", "debug"] as const) {
      vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
        lines.push(args.map((a) => (a instanceof Error ? `${a.message} ${a.stack}` : String(a))).join(" "));
      });
    }
    // The real credentials, through the whole service, while the server is down: errors are logged.
    const ns = await namespaceWithPrefix("secrets", "10.63.0.0/24");
    await storeFault("pause");
    try {
      await failure(api.acquireIP({ prefixCidr: "10.63.0.0/24", namespace: ns }, { timeoutMs: 2_000 }));
    } finally {
      await storeFault("resume");
    }
    // Wrong credentials straight against the store: its error names the failure, not the secret.
    const wrong = wrongCredentials(settings.config.kind);
    const err = await withProjectStore((s) => s.load(ns), wrong).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    lines.push(String((err as Error).message));
    vi.restoreAllMocks();
    const wrongSettings = storeConfig({ ...(env as unknown as Record<string, unknown>), ...wrong });
    const all = [...secrets, ...(wrongSettings.ok ? secretsOf(wrongSettings.config) : [])];
    for (const line of lines) for (const s of all) expect(line).not.toContain(s);
    expect(lines.length).toBeGreaterThan(0);
  });
});

/** Settings that keep the project's server but present credentials it refuses. */
function wrongCredentials(kind: string): Record<string, string> {
  switch (kind) {
    case "redis":
      return { UPSTASH_REDIS_REST_TOKEN: `wrong-token-${crypto.randomUUID()}` };
    case "postgres": {
      const u = new URL(env.DATABASE_URL!);
      u.password = `wrong-password-${crypto.randomUUID()}`;
      return { DATABASE_URL: u.toString() };
    }
    case "etcd":
      return { ETCD_USERNAME: "nobody", ETCD_PASSWORD: `wrong-password-${crypto.randomUUID()}` };
    default:
      throw new Error(`no wrong credentials known for ${kind}`);
  }
}
