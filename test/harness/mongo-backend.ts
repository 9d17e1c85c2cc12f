// The "mongodb" backend of the test harness: a real MongoDB server when MONGODB_URI is set in the environment
// (each run in its own database, dropped afterwards), otherwise the wire-protocol stand-in
// (test/harness/mongo-standin/) as a child process. The description says which one ran.
import { randomBytes } from "node:crypto";
import { MongoClient } from "mongodb";
import { redact } from "../../src/storage/config";
import { COLLECTIONS } from "../../src/storage/mongodb-documents";
import type { BackendOptions, RunningBackend } from "./backends";
import { INSPECTOR_APP_NAME } from "./mongo-standin/commands";
import { startMongoStandin } from "./mongo-standin-process";
import { waitUntilStopped } from "./process";

/** A client for the tests' own look at the database (what an operator's mongosh would see). */
export function inspectorClient(uri: string): MongoClient {
  return new MongoClient(uri, { appName: INSPECTOR_APP_NAME, serverSelectionTimeoutMS: 30_000, serverMonitoringMode: "poll" });
}

/**
 * Deletes every document. A transaction left open by a client that gave up (a fault test) holds its writes until
 * MongoDB's 60 s transaction lifetime ends it; a plain write waits for that on a real server, so this retries.
 */
async function wipe(client: MongoClient, database: string): Promise<void> {
  const db = client.db(database);
  const until = Date.now() + 90_000;
  for (const name of Object.values(COLLECTIONS)) {
    for (;;) {
      try {
        await db.collection(name).deleteMany({});
        break;
      } catch (e) {
        if ((e as { code?: unknown }).code !== 112 || Date.now() > until) throw e;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }
}

export async function startMongoBackend(opts: BackendOptions): Promise<RunningBackend> {
  const real = process.env.MONGODB_URI;
  if (real) return realServer(real);
  const standin = await startMongoStandin({ dataDir: opts.dataDir });
  const inspector = inspectorClient(standin.uri);
  await inspector.connect();
  const database = "ipam";
  return {
    name: "mongodb",
    vars: { IPAM_STORE: "mongodb", MONGODB_URI: standin.uri, MONGODB_DATABASE: database },
    description:
      `the MongoDB wire-protocol STAND-IN (test/harness/mongo-standin), NOT a real mongod (none can be installed here; ` +
      `set MONGODB_URI to run against a real replica set): 127.0.0.1:${standin.port}, replica set rs0, SCRAM-SHA-256, ` +
      `commits fsynced to ${standin.dataDir}`,
    async fault(f) {
      if (f === "pause") {
        standin.pause();
        await waitUntilStopped(standin.pid);
      }
      else if (f === "resume") standin.resume();
      else if (f === "kill") await standin.kill();
      else if (f === "restart") await standin.restart();
      else standin.armCrash();
    },
    wipe: () => wipe(inspector, database),
    complaints: () => standin.complaints(),
    async stop() {
      await inspector.close().catch(() => {});
      await standin.stop();
    },
  };
}

async function realServer(uri: string): Promise<RunningBackend> {
  const database = `ipam_test_${randomBytes(4).toString("hex")}`;
  const client = inspectorClient(uri);
  await client.connect();
  const hello = await client.db("admin").command({ hello: 1 });
  const info = await client.db("admin").command({ buildInfo: 1 }).catch(() => ({ version: "?" }));
  const host = (() => {
    try {
      return new URL(uri).host;
    } catch {
      return "?";
    }
  })();
  const kind = hello.setName ? `replica set ${hello.setName}` : hello.msg === "isdbgrid" ? "mongos" : "standalone";
  return {
    name: "mongodb",
    vars: { IPAM_STORE: "mongodb", MONGODB_URI: uri, MONGODB_DATABASE: database },
    description: redact(`a REAL MongoDB server from MONGODB_URI: ${host}, MongoDB ${String(info.version)}, ${kind}, database ${database}`, [uri]),
    async fault() {
      throw new Error("the fault tests stop and kill the server process: they run against the stand-in only, not a real MONGODB_URI");
    },
    wipe: () => wipe(client, database),
    async stop() {
      await client.db(database).dropDatabase().catch(() => {});
      await client.close().catch(() => {});
    },
  };
}
