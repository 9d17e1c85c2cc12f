// The service features that lean on the store, on the MongoDB store (the pool suites health, idempotency and
// the stalled-store part of external, here through workerd from Node): Idempotency-Key entries kept in the
// `records` collection and surviving a new Worker, an outcome lost to a stopped server settled by the retry,
// /health following the server, and a stalled server filling a namespace's queue.
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Outcome } from "../../src/server/outcome";
import { COLLECTIONS } from "../../src/storage/mongodb-documents";
import {
  type IpamClient,
  plain,
  REAL_SERVER,
  type RunningWorker,
  SERVER_KIND,
  startWorker,
  storeFault,
  uniqueNamespace,
  withInspector,
} from "./harness";

let worker: RunningWorker;
let api: IpamClient;

beforeAll(async () => {
  worker = await startWorker();
  api = worker.client();
});
afterAll(() => worker?.close());

const keyed = (key: string, timeoutMs?: number) => ({ headers: { "Idempotency-Key": key }, ...(timeoutMs ? { timeoutMs } : {}) });

async function namespaceWith(cidr: string): Promise<string> {
  const ns = uniqueNamespace("svc");
  await api.createNamespace({ namespace: ns });
  await api.createPrefix({ cidr, namespace: ns });
  return ns;
}

async function untilHealth(status: number, ms = 60_000): Promise<Record<string, unknown>> {
  const until = Date.now() + ms;
  for (;;) {
    const res = await fetch(`${worker.url}/health`);
    const body = (await res.json()) as Record<string, unknown>;
    if (res.status === status) return body;
    if (Date.now() > until) throw new Error(`/health stayed ${res.status}: ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe(`Idempotency-Key on the MongoDB store (${SERVER_KIND})`, () => {
  it("a retry is answered from the entry in the records collection, also by a new Worker", async () => {
    const ns = await namespaceWith("10.50.0.0/24");
    const req = { prefixCidr: "10.50.0.0/24", namespace: ns };
    expect((await api.acquireIP(req, keyed("acq-1"))).ip?.ip).toBe("10.50.0.1");
    expect((await api.acquireIP(req, keyed("acq-1"))).ip?.ip).toBe("10.50.0.1");
    const entries = await withInspector((db) => db.collection(COLLECTIONS.records).find({ ns }).toArray());
    expect(entries.map((d) => [d.kind, d.ns])).toEqual([["idempotency", ns]]);
    await worker.close();
    worker = await startWorker();
    api = worker.client();
    expect((await api.acquireIP(req, keyed("acq-1"))).ip?.ip).toBe("10.50.0.1");
    expect((await api.acquireIP(req)).ip?.ip).toBe("10.50.0.2");
  });
});

describe.skipIf(REAL_SERVER)("the MongoDB stand-in stopped under the service", () => {
  afterEach(async () => {
    await storeFault("resume");
  });

  it("an acquire whose outcome was lost to a stopped server is settled by retrying with its key: one address, never two", async () => {
    const ns = await namespaceWith("10.55.0.0/24");
    const req = { prefixCidr: "10.55.0.0/24", namespace: ns };
    await api.listPrefixes({ namespace: ns }); // loaded
    await storeFault("pause");
    const lost = await api.acquireIP(req, keyed("lost-1", 1_500)).then(
      () => "OK",
      (e: unknown) => Code[ConnectError.from(e).code],
    );
    expect(["DeadlineExceeded", "Unavailable"]).toContain(lost);
    await storeFault("resume");
    let retried;
    for (let i = 0; i < 120 && !retried; i++) {
      retried = await api.acquireIP(req, keyed("lost-1", 8_000)).catch(() => new Promise<undefined>((r) => setTimeout(() => r(undefined), 250)));
    }
    expect(retried?.ip?.ip).toBe("10.55.0.1");
    expect((await api.listIPs(req)).ips).toEqual(["10.55.0.0", "10.55.0.1", "10.55.0.255"]);
  });

  it("/health answers 200 with the store, 503 while the server is stopped, and 200 again once it is back", async () => {
    expect(await untilHealth(200)).toMatchObject({ status: "ok", store: "mongodb", storeReachable: true });
    await storeFault("pause");
    expect(await untilHealth(503)).toMatchObject({ status: "unavailable", store: "mongodb", storeReachable: false });
    await storeFault("resume");
    await untilHealth(200);
  });

  it("calls beyond a namespace's queue bound answer resource_exhausted at once while the server is stalled; the rest commit when it is back", async () => {
    // A small queue bound (IPAM_MAX_QUEUE), so the calls waiting on the stopped server stay few enough for the
    // test harness's RPC proxy from Node.
    const small = await startWorker({ vars: { IPAM_MAX_QUEUE: "40" } });
    try {
    const prefix = "10.64.0.0/18";
    const ns = await namespaceWith(prefix);
    const b = small.env.NAMESPACE as { get(id: unknown): { execute(...a: unknown[]): Promise<unknown>; stats(ns: string): Promise<unknown> }; idFromName(n: string): unknown };
    const stub = b.get(b.idFromName(ns));
    await stub.execute(ns, { op: "listPrefixes" }); // loaded
    await storeFault("pause");
    const deadline = Date.now() + 90_000;
    const early: Outcome<{ ip: string }>[] = [];
    const calls = Array.from({ length: 100 }, async () => {
      const o = plain<Outcome<{ ip: string }>>(await stub.execute(ns, { op: "acquireIP", prefixCidr: prefix }, { deadline }));
      early.push(o);
      return o;
    });
    // The calls beyond the bound (which ones depends on arrival order) answer while the server is still stopped.
    for (let i = 0; i < 240 && early.length < 50; i++) await new Promise((r) => setTimeout(r, 250));
    expect(early.length).toBeGreaterThanOrEqual(50);
    for (const o of early) expect(o).toMatchObject({ ok: false, kind: "resource_exhausted" });
    await storeFault("resume");
    const held = new Set<string>();
    const codes: Record<string, number> = {};
    for (const o of await Promise.all(calls)) {
      if (o.ok) {
        expect(held.has(o.result.ip)).toBe(false);
        held.add(o.result.ip);
      }
      const k = o.ok ? "ok" : o.kind;
      codes[k] = (codes[k] ?? 0) + 1;
    }
    for (const k of Object.keys(codes)) expect(["ok", "resource_exhausted", "unavailable"]).toContain(k);
    expect(codes.resource_exhausted).toBeGreaterThanOrEqual(40);
    const stored = new Set(await withInspector(async (db) => (await db.collection(COLLECTIONS.ips).find({ ns, prefix }).toArray()).map((d) => String(d.ip))));
    for (const ip of held) expect(stored.has(ip)).toBe(true);
    const stats = plain<Outcome<{ runner: { shed: number } }>>(await stub.stats(ns));
    expect(stats.ok && stats.result.runner.shed).toBe(codes.resource_exhausted);
    } finally {
      await small.close();
    }
  });
});
