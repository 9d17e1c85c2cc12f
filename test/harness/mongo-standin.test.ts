// The MongoDB stand-in keeps itself honest: driven by the real driver from Node, it shows MongoDB's semantics
// for what the adapter uses (SCRAM authentication, unique _id, snapshot transactions, write conflicts with the
// TransientTransactionError label, retried commits, a standalone server's refusal, batches through cursors, the
// journal across a restart), and refuses loudly what it does not implement.
import { mkdirSync, openSync, writeSync, closeSync } from "node:fs";
import { join } from "node:path";
import { MongoClient, type MongoServerError } from "mongodb";
import { afterEach, describe, expect, it } from "vitest";
import { MONGODB_APP_NAME } from "../../src/storage/mongodb";
import { INSPECTOR_APP_NAME } from "./mongo-standin/commands";
import { type Standin, startStandin } from "./mongo-standin/server";
import { removeDir, tempDir } from "./process";

const PASSWORD = "s3cret-Standin-pw";
const running: { standin: Standin; clients: MongoClient[]; dir?: string }[] = [];

async function standin(opts: { dataDir?: string; standalone?: boolean } = {}) {
  const lines: string[] = [];
  const s = await startStandin({ users: { ipam: PASSWORD }, dataDir: opts.dataDir, replicaSet: opts.standalone ? null : "rs0", log: (l) => lines.push(l) });
  const entry = { standin: s, clients: [] as MongoClient[] };
  running.push(entry);
  const connect = async (o: { password?: string; appName?: string } = {}) => {
    const uri = `mongodb://ipam:${o.password ?? PASSWORD}@127.0.0.1:${s.port}/${opts.standalone ? "" : "?replicaSet=rs0"}`;
    const c = new MongoClient(uri, { appName: o.appName ?? MONGODB_APP_NAME, serverSelectionTimeoutMS: 10_000, serverMonitoringMode: "poll" });
    entry.clients.push(c);
    await c.connect();
    return c;
  };
  return { s, lines, connect };
}

afterEach(async () => {
  for (const r of running.splice(0)) {
    for (const c of r.clients) await c.close().catch(() => {});
    await r.standin.close();
  }
});

const failureOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return e as MongoServerError;
  }
  throw new Error("expected a failure");
};

const txn = (c: MongoClient) => {
  const session = c.startSession();
  session.startTransaction({ readConcern: { level: "snapshot" }, writeConcern: { w: "majority" } });
  return session;
};

describe("mongo stand-in: MongoDB semantics for what the adapter uses", () => {
  it("authenticates with SCRAM-SHA-256 and refuses a wrong password with AuthenticationFailed (18)", async () => {
    const { connect } = await standin();
    const c = await connect();
    expect(await c.db("ipam").command({ ping: 1 })).toMatchObject({ ok: 1 });
    const e = await failureOf(connect({ password: "wrong-password" }));
    expect(String(e.message)).toContain("Authentication failed");
  });

  it("unique _id: an upsert that would insert an existing _id fails with E11000 and aborts the transaction", async () => {
    const { connect } = await standin();
    const c = await connect();
    const col = c.db("ipam").collection<{ _id: string; present?: boolean; version?: number }>("namespaces");
    const s1 = txn(c);
    await col.updateOne({ _id: "a" }, { $set: { present: true, version: 1 } }, { session: s1, upsert: true });
    await s1.commitTransaction();
    const s2 = txn(c);
    const dup = await failureOf(col.updateOne({ _id: "a", present: false }, { $set: { version: 9 } }, { session: s2, upsert: true }));
    expect(dup.code).toBe(11000);
    const after = await failureOf(col.findOne({ _id: "a" }, { session: s2 }));
    expect(after.code).toBe(251); // NoSuchTransaction: the write error aborted it
    expect(after.hasErrorLabel("TransientTransactionError")).toBe(true);
    await s2.endSession();
  });

  it("snapshot isolation and write conflicts: a transaction does not see a later commit, and writing that document fails with WriteConflict (112), transient", async () => {
    const { connect } = await standin();
    const c = await connect();
    const col = c.db("ipam").collection<{ _id: string; version: number }>("namespaces");
    const s0 = txn(c);
    await col.updateOne({ _id: "n" }, { $set: { version: 1 } }, { session: s0, upsert: true });
    await s0.commitTransaction();
    const reader = txn(c);
    expect((await col.findOne({ _id: "n" }, { session: reader }))?.version).toBe(1);
    const writer = txn(c);
    await col.updateOne({ _id: "n", version: 1 }, { $inc: { version: 1 } }, { session: writer });
    // While the writer is open, a second writer of the same document conflicts at once.
    const other = txn(c);
    const open = await failureOf(col.updateOne({ _id: "n" }, { $inc: { version: 1 } }, { session: other }));
    expect(open.code).toBe(112);
    expect(open.hasErrorLabel("TransientTransactionError")).toBe(true);
    await writer.commitTransaction();
    await writer.commitTransaction(); // a retried commit of a committed transaction is ok
    expect((await col.findOne({ _id: "n" }, { session: reader }))?.version).toBe(1); // its snapshot
    expect((await col.findOne({ _id: "n" }))?.version).toBe(2);
    const late = await failureOf(col.updateOne({ _id: "n" }, { $inc: { version: 1 } }, { session: reader }));
    expect(late.code).toBe(112);
    expect(late.hasErrorLabel("TransientTransactionError")).toBe(true);
    for (const s of [reader, other]) await s.endSession();
    expect((await col.findOne({ _id: "n" }))?.version).toBe(2);
  });

  it("an aborted transaction writes nothing", async () => {
    const { connect } = await standin();
    const c = await connect();
    const col = c.db("ipam").collection<{ _id: string; ns: string }>("ips");
    const s = txn(c);
    await col.bulkWrite([{ replaceOne: { filter: { _id: "x 1" }, replacement: { ns: "x" }, upsert: true } }], { session: s });
    expect(await col.find({ ns: "x" }, { session: s }).toArray()).toHaveLength(1); // its own write
    await s.abortTransaction();
    expect(await col.find({ ns: "x" }).toArray()).toEqual([]);
  });

  it("batches reads through cursors: more than one batch inside a transaction comes back complete", async () => {
    const { connect } = await standin();
    const c = await connect();
    const col = c.db("ipam").collection<{ _id: string; ns: string }>("ips");
    const s = txn(c);
    await col.bulkWrite(Array.from({ length: 1500 }, (_, i) => ({ replaceOne: { filter: { _id: `b ${i}` }, replacement: { ns: "b" }, upsert: true } })), { session: s });
    await s.commitTransaction();
    const r = txn(c);
    expect(await col.find({ ns: "b" }, { session: r }).toArray()).toHaveLength(1500);
    await r.commitTransaction();
  });

  it("a standalone server refuses transactions with IllegalOperation (20), MongoDB's own message", async () => {
    const { connect } = await standin({ standalone: true });
    const c = await connect();
    const s = txn(c);
    const e = await failureOf(c.db("ipam").collection("namespaces").findOne({ _id: "x" as never }, { session: s }));
    expect(e.code).toBe(20);
    expect(e.message).toBe("Transaction numbers are only allowed on a replica set member or mongos");
    await s.endSession();
  });

  it("keeps committed writes in its journal across a restart, and cuts a torn last entry", async () => {
    const dir = tempDir("standin-journal");
    try {
      const first = await standin({ dataDir: dir });
      const c = await first.connect();
      const s = txn(c);
      await c.db("ipam").collection<{ _id: string; v: number }>("namespaces").updateOne({ _id: "kept" }, { $set: { v: 1 } }, { session: s, upsert: true });
      await s.commitTransaction();
      await c.close();
      await first.s.close();
      running.splice(0);
      // A torn entry at the end: the start of a BSON document that never finished.
      mkdirSync(dir, { recursive: true });
      const fd = openSync(join(dir, "journal.bson"), "a");
      writeSync(fd, Buffer.from([0xff, 0x00, 0x00, 0x00, 0x03]));
      closeSync(fd);
      const second = await standin({ dataDir: dir });
      const c2 = await second.connect();
      expect(await c2.db("ipam").collection("namespaces").find({}).toArray()).toEqual([{ _id: "kept", v: 1 }]);
    } finally {
      removeDir(dir);
    }
  });
});

describe("mongo stand-in: refuses loudly what it does not implement", () => {
  it("an unknown command, an unsupported operator, option or a write outside a transaction: an error naming it and a REFUSED line", async () => {
    const { s, lines, connect } = await standin();
    const c = await connect();
    const db = c.db("ipam");
    const cases: [string, () => Promise<unknown>][] = [
      ["the command \"buildInfo\"", () => db.command({ buildInfo: 1 })],
      ["query operator $gt", () => db.collection("ips").find({ ns: { $gt: "a" } }).toArray()],
      ["the field find.projection", () => db.collection("ips").find({}, { projection: { ns: 1 } }).toArray()],
      ["the command \"aggregate\"", () => db.collection("ips").countDocuments({})],
      ["outside a transaction", () => db.collection("ips").deleteMany({ ns: "x" })],
      ["listIndexes for the adapter", () => db.collection("ips").listIndexes().toArray()],
    ];
    for (const [what, call] of cases) {
      const e = await failureOf(call());
      expect(e.message, what).toContain(what);
      expect(e.message).toContain("mongo stand-in");
    }
    expect(s.complaints).toHaveLength(cases.length);
    expect(lines.filter((l) => l.startsWith("mongo-standin REFUSED:"))).toHaveLength(cases.length);
    // The test inspector may list indexes and wipe outside transactions; nothing else changes for it.
    const inspector = await connect({ appName: INSPECTOR_APP_NAME });
    await inspector.db("ipam").collection("ips").createIndexes([{ key: { ns: 1 }, name: "ns_1" }]);
    expect((await inspector.db("ipam").collection("ips").listIndexes().toArray()).map((i) => i.name)).toEqual(["_id_", "ns_1"]);
    expect(await inspector.db("ipam").collection("ips").deleteMany({})).toMatchObject({ deletedCount: 0 });
  });
});
