// What every external store must do (test/worker/stores/external.test.ts, here through workerd from Node):
// two deployments writing one namespace (fenced, re-run, never a duplicate), the server stopped (kill -STOP)
// and killed (kill -9, restarted on the same data) in the middle of concurrent acquires, and secrets kept out
// of errors and logs. The fault tests need a server process to stop: they run against the stand-in only.
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Outcome } from "../../src/server/outcome";
import { secretsOf, storeConfig } from "../../src/storage/config";
import { COLLECTIONS } from "../../src/storage/mongodb-documents";
import {
  type IpamClient,
  plain,
  REAL_SERVER,
  type RunningWorker,
  SERVER_KIND,
  startWorker,
  storeFault,
  storeVars,
  uniqueNamespace,
  withInspector,
} from "./harness";
import { Ledger, reservedOf } from "../harness/ledger";

let worker: RunningWorker;
let api: IpamClient;

beforeAll(async () => {
  worker = await startWorker();
  api = worker.client();
});
afterAll(() => worker?.close());

/** The acquired addresses of `prefix` the database holds, reserved ones included. */
const storedIps = (ns: string, prefix: string) =>
  withInspector(async (db) => (await db.collection(COLLECTIONS.ips).find({ ns, prefix }).toArray()).map((d) => String(d.ip)).sort());

async function namespaceWithPrefix(tag: string, cidr: string): Promise<string> {
  const ns = uniqueNamespace(tag);
  await api.createNamespace({ namespace: ns });
  await api.createPrefix({ cidr, namespace: ns });
  return ns;
}



const codeOf = (e: unknown) => Code[ConnectError.from(e).code];

async function acquireMany(client: IpamClient, ledger: Ledger, ns: string, prefix: string, n: number, timeoutMs = 8_000): Promise<void> {
  await Promise.all(
    Array.from({ length: n }, async () => {
      try {
        const r = await client.acquireIP({ prefixCidr: prefix, namespace: ns }, { timeoutMs });
        ledger.take(r.ip!.ip);
        ledger.count("ok");
      } catch (e) {
        ledger.count(codeOf(e));
      }
    }),
  );
}

async function untilAcquired(ledger: Ledger, ns: string, prefix: string, ms = 90_000): Promise<void> {
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

interface ObjectStub {
  execute(ns: string, cmd: unknown): Promise<unknown>;
  stats(ns: string): Promise<unknown>;
}
const objectOf = (w: RunningWorker, ns: string): ObjectStub => {
  const b = w.env.NAMESPACE as { get(id: unknown): ObjectStub; idFromName(n: string): unknown };
  return b.get(b.idFromName(ns));
};

describe(`external store: two deployments on one namespace (${SERVER_KIND})`, () => {
  it("two Workers acquiring concurrently in one namespace hand out every address once, and all of them are stored", async () => {
    const prefix = "10.60.0.0/22";
    const ns = await namespaceWithPrefix("fence", prefix);
    const second = await startWorker();
    try {
      const a = objectOf(worker, ns);
      const b = objectOf(second, ns);
      const ledger = new Ledger();
      // Both have loaded the same version before either writes: whichever commits second is fenced.
      await Promise.all([a.stats(ns), b.stats(ns)]);
      const burst = (stub: ObjectStub) =>
        Array.from({ length: 60 }, async () => {
          const out = plain<Outcome<{ ip: string }>>(await stub.execute(ns, { op: "acquireIP", prefixCidr: prefix }));
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
      expect(await storedIps(ns, prefix)).toEqual([...reservedOf(prefix), ...ledger.held].sort());
      const sa = plain<Outcome<{ runner: { refusedCommits: number } }>>(await a.stats(ns));
      const sb = plain<Outcome<{ runner: { refusedCommits: number } }>>(await b.stats(ns));
      if (!sa.ok || !sb.ok) throw new Error("stats failed");
      expect(sa.result.runner.refusedCommits + sb.result.runner.refusedCommits).toBeGreaterThan(0);
      for (const stub of [a, b]) {
        const next = plain<Outcome<{ ip: string }>>(await stub.execute(ns, { op: "acquireIP", prefixCidr: prefix }));
        if (!next.ok) throw new Error(next.message);
        ledger.take(next.result.ip);
      }
    } finally {
      await second.close();
    }
  });
});

describe.skipIf(REAL_SERVER)("external store: the MongoDB stand-in fails in the middle of concurrent acquires", () => {
  afterEach(async () => {
    await storeFault("resume"); // never leave the server stopped for the next test
  });

  for (const fault of ["pause", "kill"] as const) {
    it(`${fault === "pause" ? "kill -STOP, then -CONT" : "kill -9, then a restart on the same data"}: no duplicate, no acknowledged allocation lost, calls succeed again`, async () => {
      const prefix = fault === "pause" ? "10.61.0.0/20" : "10.62.0.0/20";
      const ns = await namespaceWithPrefix(`fault-${fault}`, prefix);
      const ledger = new Ledger();
      const before = acquireMany(api, ledger, ns, prefix, 80);
      await new Promise((r) => setTimeout(r, 30));
      await storeFault(fault);
      const during = acquireMany(api, ledger, ns, prefix, 20, 3_000);
      await Promise.all([before, during]);
      for (const code of Object.keys(ledger.codes)) expect(["ok", "Unavailable", "DeadlineExceeded", "Aborted"]).toContain(code);
      await storeFault(fault === "pause" ? "resume" : "restart");
      await untilAcquired(ledger, ns, prefix);
      await acquireMany(api, ledger, ns, prefix, 40);
      const stored = new Set(await storedIps(ns, prefix));
      for (const ip of ledger.held) expect(stored.has(ip), `${ip} acknowledged but not stored`).toBe(true);
      const listed = (await api.listIPs({ prefixCidr: prefix, namespace: ns })).ips;
      expect([...listed].sort()).toEqual([...stored].sort());
    });
  }
});

describe(`external store: secrets (${SERVER_KIND})`, () => {
  it("wrong credentials answer unavailable, and no secret appears in any answer or log line", async () => {
    const settings = storeConfig(storeVars());
    if (!settings.ok) throw new Error(settings.message);
    const u = new URL(storeVars().MONGODB_URI);
    u.password = `wrong-password-${crypto.randomUUID()}`;
    const wrongUri = u.toString();
    const wrongSettings = storeConfig({ ...storeVars(), MONGODB_URI: wrongUri });
    const secrets = [...secretsOf(settings.config), ...(wrongSettings.ok ? secretsOf(wrongSettings.config) : [])];
    const answers: string[] = [];
    // The real credentials through the whole service while the server is stopped: errors are logged.
    if (!REAL_SERVER) {
      const ns = await namespaceWithPrefix("secrets", "10.63.0.0/24");
      await storeFault("pause");
      try {
        await api.acquireIP({ prefixCidr: "10.63.0.0/24", namespace: ns }, { timeoutMs: 2_000 }).catch((e: unknown) => answers.push(String(e)));
      } finally {
        await storeFault("resume");
      }
    }
    // A deployment with a wrong password: every call fails with unavailable, naming the failure, not the secret.
    const wrong = await startWorker({ vars: { MONGODB_URI: wrongUri } });
    try {
      const err = await wrong
        .client()
        .listPrefixes({ namespace: uniqueNamespace("wrong") })
        .then(() => undefined, (e: unknown) => ConnectError.from(e));
      expect(err && Code[err.code]).toBe("Unavailable");
      answers.push(err!.rawMessage);
      const lines = [...worker.logs(), ...wrong.logs(), ...answers];
      expect(lines.some((l) => /Authentication failed/.test(l))).toBe(true);
      for (const line of lines) for (const s of secrets) expect(line).not.toContain(s);
    } finally {
      await wrong.close();
    }
  });
});
