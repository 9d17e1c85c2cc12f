// The Store over MongoDB through the official driver (`mongodb`, inside the Worker with nodejs_compat). Every
// operation on a namespace is one multi-document transaction (snapshot read concern, majority write concern),
// so a batch spanning many documents is all or nothing, and it is fenced on the namespace's version document
// inside the transaction. Transactions need a replica set or Atlas; a standalone server is refused at first use
// with a message naming the fix. Layout and indexes: mongodb-documents.ts; the reasoning: docs/storage.md
// ("MongoDB").
//
// The driver is not imported here (only its types): the Worker entry that wants MongoDB passes a loader
// (`() => import("mongodb")`), so builds without it stay free of the driver's 1.7 MiB.

import type { AnyBulkWriteOperation, ClientSession, Collection, MongoClient, MongoClientOptions } from "mongodb";
import { secretsOf, type StoreConfig } from "./config";
import { storeFailure, StoreMisconfiguredError, withDeadline } from "./failure";
import {
  COLLECTIONS,
  type ExtraDoc,
  extraDoc,
  extraDocId,
  INDEXES,
  ipDoc,
  ipId,
  type IpDoc,
  type NamespaceDoc,
  prefixDoc,
  type PrefixDoc,
  prefixId,
  recordOfExtra,
  recordOfIp,
  recordOfPrefix,
} from "./mongodb-documents";
import { isStandaloneRefusal, STANDALONE_SERVER_FIX, transactionError } from "./mongodb-errors";
import { collapseChanges } from "./records";
import {
  FencingError,
  type NamespaceSnapshot,
  type NamespaceState,
  type Store,
  type StoreCounters,
  type StoredChange,
  type StoredRecord,
} from "./types";

type MongoConfig = Extract<StoreConfig, { kind: "mongodb" }>;

/** What the store needs of the driver module. */
export interface MongoDriver {
  MongoClient: typeof MongoClient;
}

/** Loads the driver, e.g. `() => import("mongodb")`. */
export type MongoDriverLoader = () => Promise<MongoDriver>;

/** The application name the store connects with (visible in the server's logs and currentOp). */
export const MONGODB_APP_NAME = "edge-ipam";

interface Connection {
  client: MongoClient;
  namespaces: Collection<NamespaceDoc>;
  prefixes: Collection<PrefixDoc>;
  ips: Collection<IpDoc>;
  records: Collection<ExtraDoc>;
}

/** How a transaction body ends: commit its writes, or abort (a fenced write, or a read that is done). */
type Ending<T> = { commit: boolean; value: T };

export function clientOptions(timeoutMs: number): MongoClientOptions {
  // `as`: under the Workers' type set (no @types/node) the driver's TLS option types read as required.
  return {
    appName: MONGODB_APP_NAME,
    // Nothing may wait longer than a store call's deadline (withDeadline guards the call as a whole as well).
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
    socketTimeoutMS: timeoutMs,
    // One namespace object runs one store operation at a time; a few connections cover a load racing a list.
    maxPoolSize: 4,
    // Polling hello, not the streaming protocol: no extra long-held monitoring connection per object.
    serverMonitoringMode: "poll",
    ignoreUndefined: true,
  } satisfies Partial<MongoClientOptions> as MongoClientOptions;
}

export class MongoStore implements Store {
  readonly backend = "mongodb";
  readonly counters: StoreCounters = { commits: 0, changes: 0 };
  private readonly config: MongoConfig;
  private readonly secrets: string[];
  private readonly loadDriver: MongoDriverLoader;
  private connection: Promise<Connection> | undefined;

  constructor(config: MongoConfig, loadDriver: MongoDriverLoader) {
    this.config = config;
    this.secrets = secretsOf(config);
    this.loadDriver = loadDriver;
  }

  async load(namespace: string): Promise<NamespaceSnapshot> {
    return this.call("load", (c) =>
      this.reading(c, async (session) => {
        const meta = await c.namespaces.findOne({ _id: namespace }, { session });
        if (!meta?.present) return { exists: false, version: meta?.version ?? 0, records: [] };
        const prefixes = await c.prefixes.find({ ns: namespace }, { session }).toArray();
        const ips = await c.ips.find({ ns: namespace }, { session }).toArray();
        const extras = await c.records.find({ ns: namespace }, { session }).toArray();
        return { exists: true, version: meta.version, records: recordsOf(prefixes, ips, extras) };
      }),
    );
  }

  async commit(namespace: string, expectedVersion: number, changes: readonly StoredChange[]): Promise<number> {
    const c = collapseChanges(changes); // InvalidChangeError before anything is sent
    const prefixOps: AnyBulkWriteOperation<PrefixDoc>[] = [
      ...c.prefixPuts.map((r) => {
        const d = prefixDoc(namespace, r);
        return { replaceOne: { filter: { _id: d._id }, replacement: d, upsert: true } };
      }),
      ...c.prefixDeletes.map((r) => ({ deleteOne: { filter: { _id: prefixId(namespace, r.cidr) } } })),
    ];
    const ipOps: AnyBulkWriteOperation<IpDoc>[] = [
      ...c.ipPuts.map((r) => {
        const d = ipDoc(namespace, r);
        return { replaceOne: { filter: { _id: d._id }, replacement: d, upsert: true } };
      }),
      ...c.ipDeletes.map((r) => ({ deleteOne: { filter: { _id: ipId(namespace, r.prefix, r.ip) } } })),
    ];
    const extraOps: AnyBulkWriteOperation<ExtraDoc>[] = [
      ...c.extraPuts.map((r) => {
        const d = extraDoc(namespace, r);
        return { replaceOne: { filter: { _id: d._id }, replacement: d, upsert: true } };
      }),
      ...c.extraDeletes.map((r) => ({ deleteOne: { filter: { _id: extraDocId(namespace, r) } } })),
    ];
    const version = await this.call("commit", (conn) =>
      this.fenced(conn, namespace, expectedVersion, { $inc: { version: 1 } }, async (session) => {
        // The driver splits these into commands under maxWriteBatchSize and maxMessageSizeBytes itself.
        if (prefixOps.length) await conn.prefixes.bulkWrite(prefixOps, { session, ordered: true });
        if (ipOps.length) await conn.ips.bulkWrite(ipOps, { session, ordered: true });
        if (extraOps.length) await conn.records.bulkWrite(extraOps, { session, ordered: true });
      }),
    );
    this.counters.commits++;
    this.counters.changes += changes.length;
    return version;
  }

  async createNamespace(namespace: string): Promise<NamespaceState & { created: boolean }> {
    return this.call("create namespace", (c) =>
      this.writing<NamespaceState & { created: boolean }>(c, "create namespace", async (session) => {
        const meta = await c.namespaces.findOne({ _id: namespace }, { session });
        if (meta?.present) return { commit: false, value: { exists: true, version: meta.version, created: false } };
        // A tombstone's records were deleted with it; its version goes on counting.
        const version = (meta?.version ?? 0) + 1;
        await c.namespaces.updateOne({ _id: namespace }, { $set: { present: true, version } }, { session, upsert: true });
        return { commit: true, value: { exists: true, version, created: true } };
      }),
    );
  }

  async deleteNamespace(namespace: string, expectedVersion: number): Promise<number> {
    return this.call("delete namespace", (c) =>
      this.fenced(c, namespace, expectedVersion, { $set: { present: false }, $inc: { version: 1 } }, async (session) => {
        await c.prefixes.deleteMany({ ns: namespace }, { session });
        await c.ips.deleteMany({ ns: namespace }, { session });
        await c.records.deleteMany({ ns: namespace }, { session });
      }),
    );
  }

  async listNamespaces(): Promise<string[]> {
    const docs = await this.call("list namespaces", (c) => c.namespaces.find({ present: true }).toArray());
    return docs.map((d) => d._id).sort();
  }

  async ping(): Promise<void> {
    await this.call("ping", (c) => c.client.db(this.config.database).command({ ping: 1 }));
  }

  async close(): Promise<void> {
    const c = this.connection;
    this.connection = undefined;
    await c?.then((x) => x.client.close()).catch(() => {});
  }

  /**
   * A transaction that first moves the namespace's version document on from `expectedVersion` (the fence),
   * then runs `body`, and commits; returns the new version. Fenced (the version document did not match):
   * aborts, and throws FencingError with what the document says now.
   */
  private async fenced(
    c: Connection,
    namespace: string,
    expectedVersion: number,
    bump: { $inc: { version: 1 }; $set?: Partial<NamespaceDoc> },
    body: (session: ClientSession) => Promise<void>,
  ): Promise<number> {
    const moved = await this.writing(c, "commit", async (session) => {
      const r = await c.namespaces.updateOne({ _id: namespace, present: true, version: expectedVersion }, bump, { session });
      if (r.matchedCount === 0) return { commit: false, value: false };
      await body(session);
      return { commit: true, value: true };
    });
    if (moved) return expectedVersion + 1;
    const now = await c.namespaces.findOne({ _id: namespace });
    throw new FencingError(namespace, expectedVersion, { exists: now?.present === true, version: now?.version ?? 0 });
  }

  /** A writing transaction: refusals before the commit become CommitRefusedError (nothing written). */
  private async writing<T>(c: Connection, what: string, body: (s: ClientSession) => Promise<Ending<T>>): Promise<T> {
    return this.transaction(c, body, (e, phase) => transactionError(e, phase, what));
  }

  /** A reading transaction (snapshot): its records and version are consistent with each other. */
  private async reading<T>(c: Connection, body: (s: ClientSession) => Promise<T>): Promise<T> {
    return this.transaction(
      c,
      async (s) => ({ commit: false, value: await body(s) }),
      (e) => (isStandaloneRefusal(e) ? new StoreMisconfiguredError(STANDALONE_SERVER_FIX) : e),
    );
  }

  private async transaction<T>(
    c: Connection,
    body: (s: ClientSession) => Promise<Ending<T>>,
    translate: (e: unknown, phase: "before-commit" | "commit") => unknown,
  ): Promise<T> {
    const session = c.client.startSession();
    try {
      session.startTransaction({ readConcern: { level: "snapshot" }, writeConcern: { w: "majority" }, readPreference: "primary" });
      let ending: Ending<T>;
      try {
        ending = await body(session);
      } catch (e) {
        await session.abortTransaction().catch(() => {});
        throw translate(e, "before-commit");
      }
      if (!ending.commit) {
        await session.abortTransaction().catch(() => {});
        return ending.value;
      }
      try {
        await session.commitTransaction();
      } catch (e) {
        throw translate(e, "commit");
      }
      return ending.value;
    } finally {
      await session.endSession().catch(() => {});
    }
  }

  /** The store's one client, connected on first use (indexes ensured), recreated after a failure to connect. */
  private connect(): Promise<Connection> {
    if (!this.connection) {
      const opening = this.open();
      this.connection = opening;
      opening.catch(() => {
        if (this.connection === opening) this.connection = undefined;
      });
    }
    return this.connection;
  }

  private async open(): Promise<Connection> {
    const { MongoClient } = await this.loadDriver();
    const client = new MongoClient(this.config.uri, clientOptions(this.config.timeoutMs));
    try {
      await client.connect();
      const db = client.db(this.config.database);
      const c: Connection = {
        client,
        namespaces: db.collection<NamespaceDoc>(COLLECTIONS.namespaces),
        prefixes: db.collection<PrefixDoc>(COLLECTIONS.prefixes),
        ips: db.collection<IpDoc>(COLLECTIONS.ips),
        records: db.collection<ExtraDoc>(COLLECTIONS.records),
      };
      // Idempotent; also creates the collections, which transactions before MongoDB 4.4 could not.
      await c.namespaces.createIndexes([...INDEXES.namespaces]);
      await c.prefixes.createIndexes([...INDEXES.prefixes]);
      await c.ips.createIndexes([...INDEXES.ips]);
      await c.records.createIndexes([...INDEXES.records]);
      return c;
    } catch (e) {
      void client.close().catch(() => {});
      throw e;
    }
  }

  /** Drops the client after a call timed out: its connections may be mid-command, in an unknown state. */
  private drop(): void {
    const c = this.connection;
    this.connection = undefined;
    void c?.then((x) => x.client.close()).catch(() => {});
  }

  /** One store operation under the store's deadline, with its errors redacted. */
  private async call<T>(what: string, work: (c: Connection) => Promise<T>): Promise<T> {
    try {
      return await withDeadline(this.config.timeoutMs, `mongodb ${what}`, async () => work(await this.connect()), () => this.drop());
    } catch (e) {
      throw storeFailure(this.backend, what, e, this.secrets);
    }
  }
}

function* recordsOf(prefixes: PrefixDoc[], ips: IpDoc[], extras: ExtraDoc[]): IterableIterator<StoredRecord> {
  for (const d of prefixes) yield recordOfPrefix(d);
  for (const d of ips) yield recordOfIp(d);
  for (const d of extras) yield recordOfExtra(d);
}
