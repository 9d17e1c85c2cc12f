// The MongoDB store through the Worker inside workerd: the documents and indexes an operator reads with
// mongosh, one document written per acquire whatever the fill, big batches (a 100,000-record Load, 512 calls
// in one group commit) all or nothing (also when the server is killed in the middle of one), and what a user
// with a standalone server, or with the build that leaves the driver out, is told.
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Outcome } from "../../src/server/outcome";
import { COLLECTIONS } from "../../src/storage/mongodb-documents";
import { startMongoStandin } from "../harness/mongo-standin-process";
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
  // The MongoDB build plus test hooks (test/mongodb/worker/store-host.ts). A 100,000-record batch is one
  // transaction: give a store call more than the default 10 s on this machine.
  worker = await startWorker({ config: "test/mongodb/wrangler.toml", vars: { IPAM_STORE_TIMEOUT_MS: "120000" } });
  api = worker.client("connect-proto");
});

/** `n` concurrent calls of `cmd` on the namespace's object, fired from inside workerd. */
async function burst(ns: string, n: number, cmd: unknown): Promise<Outcome<{ ip: string }>[]> {
  const hosts = worker.env.STORE_HOST as { get(id: unknown): { burst(ns: string, n: number, cmd: string): Promise<string> }; idFromName(n: string): unknown };
  return JSON.parse(await hosts.get(hosts.idFromName("burst")).burst(ns, n, JSON.stringify(cmd))) as Outcome<{ ip: string }>[];
}
afterAll(() => worker?.close());

interface ObjectStub {
  execute(ns: string, cmd: unknown): Promise<unknown>;
  stats(ns: string): Promise<unknown>;
}
const objectOf = (ns: string): ObjectStub => {
  const b = worker.env.NAMESPACE as { get(id: unknown): ObjectStub; idFromName(n: string): unknown };
  return b.get(b.idFromName(ns));
};
async function stats(ns: string) {
  const s = plain<Outcome<{ version: number; runner: { largestBatch: number }; store: { commits: number; changes: number } }>>(await objectOf(ns).stats(ns));
  if (!s.ok) throw new Error(s.message);
  return s.result;
}

// find, not countDocuments: the stand-in answers no aggregate (the adapter sends none).
const countIps = (ns: string) => withInspector(async (db) => (await db.collection(COLLECTIONS.ips).find({ ns }).toArray()).length);

function dumpOf(n: number): { dump: string; prefix: string } {
  const ips: Record<string, boolean> = {};
  for (let i = 1; i <= n - 2; i++) ips[`10.${64 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`] = true;
  ips["10.64.0.0"] = true;
  ips["10.67.255.255"] = true;
  const prefix = "10.64.0.0/14";
  return {
    prefix,
    dump: JSON.stringify([
      { Cidr: prefix, ParentCidr: "", Namespace: "", AvailableChildPrefixes: {}, ChildPrefixLength: 0, IsParent: false, IPs: ips, Version: 0 },
    ]),
  };
}

describe(`mongodb store (${SERVER_KIND})`, () => {
  it("keeps a document per namespace, prefix and address, readable with mongosh, and creates its indexes", async () => {
    const ns = uniqueNamespace("layout");
    await api.createNamespace({ namespace: ns });
    await api.createPrefix({ cidr: "10.0.0.0/16", namespace: ns });
    await api.acquireChildPrefix({ cidr: "10.0.0.0/16", length: 24, namespace: ns });
    await api.acquireIP({ prefixCidr: "10.0.0.0/24", namespace: ns });
    await withInspector(async (db) => {
      // db.namespaces.findOne({_id: ns})
      const meta = await db.collection(COLLECTIONS.namespaces).findOne({ _id: ns as never });
      expect(meta).toMatchObject({ _id: ns, present: true });
      expect(meta!.version).toBeGreaterThan(1);
      // db.prefixes.find({ns})
      expect(await db.collection(COLLECTIONS.prefixes).find({ ns }).toArray()).toEqual(
        expect.arrayContaining([
          { _id: `${ns} 10.0.0.0/16`, ns, cidr: "10.0.0.0/16", parentCidr: "" },
          { _id: `${ns} 10.0.0.0/24`, ns, cidr: "10.0.0.0/24", parentCidr: "10.0.0.0/16" },
        ]),
      );
      // db.ips.find({ns, prefix: "10.0.0.0/24"})
      const ips = await db.collection(COLLECTIONS.ips).find({ ns, prefix: "10.0.0.0/24" }).toArray();
      expect(ips.map((d) => d.ip).sort()).toEqual(["10.0.0.0", "10.0.0.1", "10.0.0.255"]);
      expect(ips.find((d) => d.ip === "10.0.0.1")).toEqual({ _id: `${ns} 10.0.0.0/24 10.0.0.1`, ns, prefix: "10.0.0.0/24", ip: "10.0.0.1" });
      // db.<collection>.getIndexes()
      const indexes = async (c: string) => (await db.collection(c).listIndexes().toArray()).map((i) => [i.name, i.key]);
      expect(await indexes(COLLECTIONS.namespaces)).toEqual(expect.arrayContaining([["_id_", { _id: 1 }], ["present_1", { present: 1 }]]));
      expect(await indexes(COLLECTIONS.prefixes)).toEqual(expect.arrayContaining([["ns_1", { ns: 1 }]]));
      expect(await indexes(COLLECTIONS.ips)).toEqual(expect.arrayContaining([["ns_1_prefix_1", { ns: 1, prefix: 1 }]]));
    });
  });

  it("writes one document per acquire whatever the prefix's fill (5,000 held)", async () => {
    const ns = uniqueNamespace("o1");
    await api.createNamespace({ namespace: ns });
    await api.createPrefix({ cidr: "10.20.0.0/16", namespace: ns });
    const stub = objectOf(ns);
    for (let i = 0; i < 5; i++) {
      // In bursts of 1,000: a namespace queues at most 1,024 calls (IPAM_MAX_QUEUE).
      for (const o of await burst(ns, 1000, { op: "acquireIP", prefixCidr: "10.20.0.0/16" })) expect(o.ok).toBe(true);
    }
    const before = await stats(ns);
    const out = plain<Outcome<{ ip: string }>>(await stub.execute(ns, { op: "acquireIP", prefixCidr: "10.20.0.0/16" }));
    expect(out.ok).toBe(true);
    const after = await stats(ns);
    expect(after.store.commits - before.store.commits).toBe(1);
    expect(after.store.changes - before.store.changes).toBe(1); // the one address document
    expect(after.version).toBe(before.version + 1); // and the version document's $inc
    expect(await countIps(ns)).toBe(5003);
  });

  it("a Load of 100,000 records goes through the Worker in one transaction and comes back exactly", async () => {
    const ns = uniqueNamespace("load100k");
    await api.createNamespace({ namespace: ns });
    const { dump, prefix } = dumpOf(100_001);
    await api.load({ dump, namespace: ns });
    expect(await countIps(ns)).toBe(100_001);
    expect((await api.prefixUsage({ cidr: prefix, namespace: ns })).acquiredIps).toBe(100_001n);
    // A fresh Worker loads all of it back from the store.
    const fresh = await startWorker({ vars: { IPAM_STORE_TIMEOUT_MS: "120000" } }); // the real MongoDB build
    try {
      expect((await fresh.client().prefixUsage({ cidr: prefix, namespace: ns })).acquiredIps).toBe(100_001n);
    } finally {
      await fresh.close();
    }
  });

  it("512 concurrent calls commit as one batch, all of them stored", async () => {
    const ns = uniqueNamespace("b512");
    await api.createNamespace({ namespace: ns });
    await api.createPrefix({ cidr: "10.30.0.0/20", namespace: ns });
    await objectOf(ns).execute(ns, { op: "listPrefixes" }); // loaded
    const results = await burst(ns, 600, { op: "acquireIP", prefixCidr: "10.30.0.0/20" });
    const ips = results.map((r) => (r.ok ? r.result.ip : r.message));
    expect(new Set(ips).size).toBe(600);
    expect((await stats(ns)).runner.largestBatch).toBe(512);
    expect(await countIps(ns)).toBe(602);
  });

  it.skipIf(REAL_SERVER)("a 100,000-record batch is all or nothing when the server dies in the middle of it", async () => {
    const ns = uniqueNamespace("kill-load");
    await api.createNamespace({ namespace: ns });
    const { dump } = dumpOf(100_001);
    // The stand-in dies (as kill -9) after the first of the batch's two update commands, before the commit.
    // It stays down until the Load has answered; a short store timeout makes the re-run give up soon.
    await storeFault("crash-mid-batch");
    const short = await startWorker({ vars: { IPAM_STORE_TIMEOUT_MS: "15000" } });
    let answer: string;
    try {
      answer = await short
        .client()
        .load({ dump, namespace: ns }, { timeoutMs: 120_000 })
        .then(
          () => "ok",
          (e: unknown) => Code[ConnectError.from(e).code],
        );
    } finally {
      await short.close();
    }
    await storeFault("restart");
    expect(["Unavailable", "DeadlineExceeded"]).toContain(answer);
    expect(await countIps(ns)).toBe(0);
    // The namespace works on: the same Load again, whole.
    await api.load({ dump, namespace: ns }, { timeoutMs: 120_000 });
    expect(await countIps(ns)).toBe(100_001);
  });
});

describe("what a user is told when MongoDB cannot be used", () => {
  it("a standalone server (no transactions) gets a clear error at first use naming the fix (against a standalone stand-in)", async () => {
    const standalone = await startMongoStandin({ standalone: true });
    const w = await startWorker({ vars: { MONGODB_URI: standalone.uri } });
    try {
      const err = await w
        .client()
        .listPrefixes({})
        .then(() => undefined, (e: unknown) => ConnectError.from(e));
      expect(err && Code[err.code]).toBe("Internal");
      expect(err!.rawMessage).toMatch(/^server misconfigured: MONGODB_URI names a standalone MongoDB server, which has no multi-document transactions/);
      expect(err!.rawMessage).toContain("--replSet rs0");
      expect(err!.rawMessage).toContain("rs.initiate()");
      expect(err!.rawMessage).not.toContain(standalone.password);
      expect(standalone.complaints()).toEqual([]);
    } finally {
      await w.close();
      await standalone.stop();
    }
  });

  it("the default build (wrangler.toml, without the driver) answers IPAM_STORE=mongodb with how to deploy the MongoDB build", async () => {
    const w = await startWorker({ config: "wrangler.toml" });
    try {
      const err = await w
        .client()
        .acquireIP({ prefixCidr: "10.0.0.0/24" })
        .then(() => undefined, (e: unknown) => ConnectError.from(e));
      expect(err && Code[err.code]).toBe("Internal");
      expect(err!.rawMessage).toContain("server misconfigured: IPAM_STORE=mongodb needs the MongoDB driver");
      expect(err!.rawMessage).toContain("wrangler.mongodb.toml");
    } finally {
      await w.close();
    }
  });
});
