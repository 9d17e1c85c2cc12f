// The commands the stand-in answers: exactly those the edge-ipam adapter and the driver under it send, with
// the fields they use. Every other command, field, operator or option gets an error reply naming it and a
// REFUSED line on stderr (the tests fail on those), so the adapter cannot come to depend on something the
// stand-in would answer differently from real MongoDB.
//
//   handshake & auth  hello / isMaster (OP_QUERY or OP_MSG), saslStart, saslContinue (SCRAM-SHA-256), ping
//   reads             find (filter, limit, singleBatch, batchSize), getMore, killCursors
//   writes            update (replacement or $set/$inc, upsert), delete (limit 0/1): inside transactions only
//   transactions      commitTransaction, abortTransaction, and lsid/txnNumber/autocommit/startTransaction
//   schema            createIndexes (key + name)
//   sessions          endSessions
//   inspector only    listIndexes, and writes outside a transaction (wiping between test files)
import { BSON, type Document, Long, ObjectId } from "bson";
import { Cursors } from "./cursors";
import type { Engine, Txn } from "./engine";
import { CODES, CommandError, TRANSIENT, Unsupported } from "./errors";
import { applyUpdate, checkUpdate, compileFilter, type Doc, pinnedId } from "./query";
import type { ScramServer } from "./scram";
import { lsidKey, Sessions } from "./sessions";
import { MAX_BSON_OBJECT_SIZE, MAX_MESSAGE_SIZE_BYTES, MAX_WRITE_BATCH_SIZE, type Request } from "./wire";

/** The application name the test inspector connects with; only it may use the inspector-only commands. */
export const INSPECTOR_APP_NAME = "edge-ipam-test-inspector";

/** The MongoDB the stand-in presents itself as: 7.0 (wire version 21). */
const MAX_WIRE_VERSION = 21;
const ELECTION_ID = new ObjectId("7fffffff0000000000000001");

export interface Connection {
  readonly id: number;
  user?: string;
  appName?: string;
  readonly inspector: () => boolean;
}

export interface CommandsOptions {
  /** The replica set's name; undefined: a standalone server (no transactions). */
  setName?: string;
  /** host:port as the clients reach it (hello's me / hosts / primary). */
  host: string;
  scram: ScramServer;
  complain: (line: string) => void;
  /** Called after each update command's statements ran (the fault tests crash the process here). */
  afterUpdate?: (statements: number) => void;
}

interface Context {
  conn: Connection;
  cmd: Document;
  db: string;
  name: string;
  txn: Txn | null;
}

interface Spec {
  /** Fields the command may carry besides its name and the generic ones. */
  fields: readonly string[];
  /** Allowed before authentication. */
  open?: boolean;
  /** Allowed inside a transaction. */
  inTransaction?: boolean;
  /** May carry writeConcern (outside a transaction). */
  writeConcern?: boolean;
  /** Only the test inspector may send it. */
  inspector?: boolean;
  run: (ctx: Context) => Document;
}

const GENERIC_FIELDS = new Set(["$db", "lsid", "$clusterTime", "$readPreference", "txnNumber", "autocommit", "startTransaction", "readConcern", "writeConcern"]);
const HELLO_FIELDS = ["helloOk", "client", "compression", "saslSupportedMechs", "speculativeAuthenticate", "backpressure", "loadBalanced"];

export class Commands {
  private readonly sessions: Sessions;
  private readonly cursors = new Cursors();
  private readonly specs: Record<string, Spec>;

  constructor(
    private readonly engine: Engine,
    private readonly opts: CommandsOptions,
  ) {
    this.sessions = new Sessions(engine, opts.setName === undefined);
    const hello: Spec = { fields: HELLO_FIELDS, open: true, run: (c) => this.hello(c) };
    this.specs = {
      hello,
      isMaster: hello,
      ismaster: hello,
      ping: { fields: [], open: true, run: () => ({ ok: 1 }) },
      saslStart: { fields: ["mechanism", "payload", "autoAuthorize", "options"], open: true, run: (c) => this.saslStart(c) },
      saslContinue: { fields: ["conversationId", "payload"], open: true, run: (c) => this.saslContinue(c) },
      endSessions: { fields: [], writeConcern: true, run: (c) => this.endSessions(c) },
      find: { fields: ["filter", "limit", "singleBatch", "batchSize"], inTransaction: true, run: (c) => this.find(c) },
      getMore: { fields: ["collection", "batchSize"], inTransaction: true, run: (c) => this.getMore(c) },
      killCursors: { fields: ["cursors"], inTransaction: true, run: (c) => this.killCursors(c) },
      update: { fields: ["updates", "ordered"], inTransaction: true, writeConcern: true, run: (c) => this.update(c) },
      delete: { fields: ["deletes", "ordered"], inTransaction: true, writeConcern: true, run: (c) => this.delete(c) },
      commitTransaction: { fields: [], inTransaction: true, writeConcern: true, run: (c) => this.endTransaction(c, "commit") },
      abortTransaction: { fields: [], inTransaction: true, writeConcern: true, run: (c) => this.endTransaction(c, "abort") },
      createIndexes: { fields: ["indexes"], writeConcern: true, run: (c) => this.createIndexes(c) },
      listIndexes: { fields: ["cursor"], inspector: true, run: (c) => this.listIndexes(c) },
    };
  }

  /** Answers one request; errors become error replies, never exceptions. */
  run(conn: Connection, req: Request): Document {
    const name = Object.keys(req.command)[0] ?? "";
    try {
      this.engine.expire();
      if (req.noReply && name !== "endSessions") throw new Unsupported(`${name} without an answer (OP_MSG moreToCome, an unacknowledged write)`);
      if (req.legacy && !["isMaster", "ismaster", "hello"].includes(name)) {
        throw new CommandError("UnsupportedOpQueryCommand", `Unsupported OP_QUERY command: ${name}. The client driver may require an upgrade.`);
      }
      const spec = Object.hasOwn(this.specs, name) ? this.specs[name] : undefined;
      if (!spec) throw new Unsupported(`the command ${JSON.stringify(name)}`, "CommandNotFound");
      if (spec.inspector && !conn.inspector()) throw new Unsupported(`${name} for the adapter (the stand-in answers it for the test inspector only)`);
      this.checkFields(spec, name, req.command);
      if (!spec.open && conn.user === undefined) throw new CommandError("Unauthorized", `Command ${name} requires authentication`);
      const inTxn = req.command.txnNumber !== undefined && req.command.autocommit === false;
      if (inTxn && !spec.inTransaction) throw new CommandError("OperationNotSupportedInTransaction", `Cannot run '${name}' in a multi-document transaction.`);
      if (spec.open && req.command.txnNumber !== undefined) throw new CommandError("OperationNotSupportedInTransaction", `Cannot run '${name}' with a txnNumber.`);
      const txn = spec.open ? null : this.sessions.transactionFor(req.command, name);
      if (txn && "writeConcern" in req.command && name !== "commitTransaction" && name !== "abortTransaction") {
        throw new CommandError("InvalidOptions", "Cannot set write concern after starting a transaction.");
      }
      if (!txn && "readConcern" in req.command) this.checkPlainReadConcern(name, req.command.readConcern);
      return spec.run({ conn, cmd: req.command, db: req.db, name, txn });
    } catch (e) {
      if (e instanceof Unsupported) this.opts.complain(`${conn.appName ?? "?"} ${name}: ${e.message}`);
      if (e instanceof CommandError) return e.reply();
      this.opts.complain(`${conn.appName ?? "?"} ${name}: stand-in bug: ${(e as Error).stack ?? String(e)}`);
      return { ok: 0, errmsg: `mongo stand-in internal error: ${(e as Error).message}`, code: 1, codeName: "InternalError" };
    }
  }

  private checkFields(spec: Spec, name: string, cmd: Document): void {
    for (const field of Object.keys(cmd).slice(1)) {
      if (spec.fields.includes(field)) continue;
      if (GENERIC_FIELDS.has(field) && (field !== "writeConcern" || spec.writeConcern)) continue;
      throw new Unsupported(`the field ${name}.${field}`);
    }
    const rp = cmd.$readPreference as Document | undefined;
    if (rp !== undefined && (Object.keys(rp).some((k) => k !== "mode") || !["primary", "primaryPreferred"].includes(rp.mode))) {
      throw new Unsupported(`$readPreference ${JSON.stringify(rp)} (a single primary serves every read)`);
    }
    const wc = cmd.writeConcern as Document | undefined;
    if (wc !== undefined) {
      const { w, wtimeout, j, ...rest } = wc;
      const unacknowledged = w === 0 && name === "endSessions"; // the driver ends its sessions fire-and-forget
      if (Object.keys(rest).length || (w !== undefined && w !== 1 && w !== "majority" && !unacknowledged) || (wtimeout !== undefined && typeof wtimeout !== "number") || (j !== undefined && typeof j !== "boolean")) {
        throw new Unsupported(`writeConcern ${JSON.stringify(wc)}`);
      }
      // A single node's journal, fsynced at every commit, satisfies w:1, w:"majority" and j:true alike.
    }
  }

  private checkPlainReadConcern(name: string, rc: unknown): void {
    const level = (rc as Document | null)?.level;
    if (name !== "find" || Object.keys(rc as Document).some((k) => k !== "level") || !["local", "majority"].includes(level)) {
      throw new Unsupported(`readConcern ${JSON.stringify(rc)} on ${name} outside a transaction`);
    }
  }

  private hello({ conn, cmd, name }: Context): Document {
    if (cmd.loadBalanced === true) throw new Unsupported("load-balanced mode");
    const client = cmd.client as Document | undefined;
    if (client) conn.appName = (client.application as Document | undefined)?.name ?? conn.appName;
    const { host, setName } = this.opts;
    return {
      helloOk: true,
      [name === "hello" ? "isWritablePrimary" : "ismaster"]: true,
      ...(setName !== undefined
        ? { setName, setVersion: 1, hosts: [host], primary: host, me: host, secondary: false, electionId: ELECTION_ID }
        : {}),
      maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
      maxMessageSizeBytes: MAX_MESSAGE_SIZE_BYTES,
      maxWriteBatchSize: MAX_WRITE_BATCH_SIZE,
      localTime: new Date(),
      logicalSessionTimeoutMinutes: 30,
      connectionId: conn.id,
      minWireVersion: 0,
      maxWireVersion: MAX_WIRE_VERSION,
      readOnly: false,
      ...(this.opts.scram.knows(cmd.saslSupportedMechs) ? { saslSupportedMechs: ["SCRAM-SHA-256"] } : {}),
      ok: 1,
    };
  }

  private saslStart({ cmd, db }: Context): Document {
    return { ...this.opts.scram.start(db, cmd.mechanism, cmd.payload, cmd.options), ok: 1 };
  }

  private saslContinue({ conn, cmd }: Context): Document {
    const { user, ...reply } = this.opts.scram.continue(cmd.conversationId, cmd.payload);
    if (user !== undefined) conn.user = user;
    return { ...reply, ok: 1 };
  }

  private endSessions({ cmd }: Context): Document {
    if (!Array.isArray(cmd.endSessions)) throw new CommandError("BadValue", "endSessions takes an array of session ids");
    this.cursors.endSessions(this.sessions.end(cmd.endSessions));
    return { ok: 1 };
  }

  private ns(db: string, collection: unknown): string {
    if (typeof collection !== "string" || collection === "" || collection.startsWith("system.")) {
      throw new CommandError("BadValue", `invalid collection name ${JSON.stringify(collection)}`);
    }
    return `${db}.${collection}`;
  }

  /** Runs `body` in the command's transaction, or in a single-command one for a read outside transactions. */
  private reading<T>(txn: Txn | null, body: (t: Txn) => T): T {
    if (txn) return body(txn);
    const t = this.engine.begin();
    try {
      return body(t);
    } finally {
      this.engine.abort(t, "read finished");
    }
  }

  private matching(txn: Txn, ns: string, filter: unknown): Doc[] {
    const match = compileFilter(filter);
    const pin = pinnedId(filter);
    if (!pin) return this.engine.scan(txn, ns, match);
    const d = this.engine.get(txn, ns, pin.id);
    // {_id: x} alone is answered by the lookup (the adapter's record writes: 100,000 of them in a big Load).
    return d && (Object.keys(filter as Doc).length === 1 || match(d)) ? [d] : [];
  }

  private find({ cmd, db, txn }: Context): Document {
    const ns = this.ns(db, cmd.find);
    const limit = cmd.limit === undefined ? 0 : Number(cmd.limit);
    if (!Number.isInteger(limit) || limit < 0) throw new Unsupported(`find with limit ${String(cmd.limit)}`);
    const batchSize = cmd.batchSize === undefined ? undefined : Number(cmd.batchSize);
    let docs = this.reading(txn, (t) => this.matching(t, ns, cmd.filter));
    if (limit > 0) docs = docs.slice(0, limit);
    const batch = this.cursors.first(ns, docs, {
      txn,
      session: cmd.lsid === undefined ? undefined : lsidKey(cmd.lsid),
      batchSize,
      singleBatch: cmd.singleBatch === true,
    });
    return { cursor: { firstBatch: batch.docs, id: batch.id, ns }, ok: 1 };
  }

  private getMore({ cmd, db, txn }: Context): Document {
    const ns = this.ns(db, cmd.collection);
    const session = cmd.lsid === undefined ? undefined : lsidKey(cmd.lsid);
    const batch = this.cursors.more(Number(cmd.getMore), ns, txn, session, cmd.batchSize === undefined ? undefined : Number(cmd.batchSize));
    return { cursor: { nextBatch: batch.docs, id: batch.id, ns }, ok: 1 };
  }

  private killCursors({ cmd, db }: Context): Document {
    this.ns(db, cmd.killCursors);
    const { killed, notFound } = this.cursors.kill(((cmd.cursors as unknown[]) ?? []).map(Number));
    return { cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [], ok: 1 };
  }

  /**
   * The transaction a write runs in. The adapter writes only inside transactions; the inspector's writes
   * outside one run as a single-command transaction.
   */
  private writing(ctx: Context): { txn: Txn; auto: boolean } {
    if (ctx.txn) return { txn: ctx.txn, auto: false };
    if (!ctx.conn.inspector()) throw new Unsupported(`${ctx.name} outside a transaction (the adapter writes only inside transactions)`);
    return { txn: this.engine.begin(), auto: true };
  }

  /** Runs the statements of an update or delete command with MongoDB's write-error rules. */
  private statements(ctx: Context, field: "updates" | "deletes", one: (txn: Txn, ns: string, stmt: Document, index: number) => void): Document[] {
    const ns = this.ns(ctx.db, ctx.cmd[ctx.name]);
    const list = ctx.cmd[field];
    if (!Array.isArray(list) || list.length === 0) throw new CommandError("BadValue", `${ctx.name} needs a non-empty ${field} array`);
    if (list.length > MAX_WRITE_BATCH_SIZE) throw new CommandError("BadValue", `Write batch sizes must be between 1 and ${MAX_WRITE_BATCH_SIZE}. Got ${list.length} operations.`);
    const ordered = ctx.cmd.ordered !== false;
    const { txn, auto } = this.writing(ctx);
    const writeErrors: Document[] = [];
    for (let i = 0; i < list.length; i++) {
      try {
        one(txn, ns, list[i] as Document, i);
      } catch (e) {
        if (e instanceof Unsupported || !(e instanceof CommandError) || e.labels.includes(TRANSIENT)) {
          if (auto) this.engine.abort(txn, "the command failed");
          throw e;
        }
        writeErrors.push({ index: i, code: CODES[e.codeName], codeName: e.codeName, errmsg: e.message });
        if (!auto) this.engine.abort(txn, "a write error aborts the transaction");
        if (ordered || !auto) break;
      }
    }
    if (auto && txn.state === "active") this.engine.commit(txn);
    return writeErrors;
  }

  private update(ctx: Context): Document {
    let n = 0;
    let nModified = 0;
    const upserted: Document[] = [];
    const writeErrors = this.statements(ctx, "updates", (txn, ns, stmt, index) => {
      for (const field of Object.keys(stmt)) {
        if (!["q", "u", "upsert", "multi"].includes(field)) throw new Unsupported(`the update statement field ${field}`);
      }
      if (stmt.multi === true) throw new Unsupported("multi-document updates (multi: true)");
      const { q, u } = stmt;
      checkUpdate(u);
      const [current] = this.matching(txn, ns, q);
      if (current) {
        const next = applyUpdate(current, u, q);
        this.engine.put(txn, ns, current._id, next);
        n++;
        if (!Buffer.from(BSON.serialize(next)).equals(Buffer.from(BSON.serialize(current)))) nModified++;
      } else if (stmt.upsert === true) {
        const next = applyUpdate(null, u, q);
        if (this.engine.get(txn, ns, next._id)) {
          throw new CommandError("DuplicateKey", `E11000 duplicate key error collection: ${ns} index: _id_ dup key: { _id: ${JSON.stringify(next._id)} }`);
        }
        this.engine.put(txn, ns, next._id, next);
        n++;
        upserted.push({ index, _id: next._id });
      }
    });
    this.opts.afterUpdate?.((ctx.cmd.updates as unknown[]).length);
    return { n, nModified, ...(upserted.length ? { upserted } : {}), ...(writeErrors.length ? { writeErrors } : {}), ok: 1 };
  }

  private delete(ctx: Context): Document {
    let n = 0;
    const writeErrors = this.statements(ctx, "deletes", (txn, ns, stmt) => {
      for (const field of Object.keys(stmt)) if (!["q", "limit"].includes(field)) throw new Unsupported(`the delete statement field ${field}`);
      if (stmt.limit !== 0 && stmt.limit !== 1) throw new CommandError("BadValue", "The limit field in delete objects must be 0 or 1.");
      let docs = this.matching(txn, ns, stmt.q);
      if (stmt.limit === 1) docs = docs.slice(0, 1);
      for (const d of docs) this.engine.put(txn, ns, d._id, null);
      n += docs.length;
    });
    return { n, ...(writeErrors.length ? { writeErrors } : {}), ok: 1 };
  }

  private endTransaction({ db, txn, name }: Context, how: "commit" | "abort"): Document {
    if (db !== "admin") throw new CommandError("Unauthorized", `${name} may only be run against the admin database.`);
    if (!txn) throw new CommandError("InvalidOptions", `${name} must be run within a transaction`);
    if (how === "commit") this.sessions.commit(txn);
    else this.sessions.abort(txn);
    return { ok: 1 };
  }

  private createIndexes({ cmd, db }: Context): Document {
    const ns = this.ns(db, cmd.createIndexes);
    const list = cmd.indexes;
    if (!Array.isArray(list) || list.length === 0) throw new CommandError("BadValue", "createIndexes needs a non-empty indexes array");
    const specs = list.map((spec: Document) => {
      for (const field of Object.keys(spec)) if (field !== "key" && field !== "name") throw new Unsupported(`the index option ${field}`);
      const key = spec.key as Document;
      if (typeof spec.name !== "string" || !key || typeof key !== "object" || Object.keys(key).length === 0) {
        throw new CommandError("BadValue", "an index needs a key document and a name");
      }
      for (const [f, dir] of Object.entries(key)) {
        if (dir !== 1 && dir !== -1) throw new Unsupported(`the index type ${JSON.stringify(dir)} on ${f}`);
      }
      return { name: spec.name, key };
    });
    const r = this.engine.createIndexes(ns, specs);
    return {
      numIndexesBefore: r.before,
      numIndexesAfter: r.after,
      createdCollectionAutomatically: r.created,
      ...(r.before === r.after && !r.created ? { note: "all indexes already exist" } : {}),
      ok: 1,
    };
  }

  private listIndexes({ cmd, db }: Context): Document {
    const ns = this.ns(db, cmd.listIndexes);
    const indexes = this.engine.indexes(ns);
    if (!indexes) throw new CommandError("NamespaceNotFound", `ns does not exist: ${ns}`);
    return { cursor: { firstBatch: [...indexes].map(([name, key]) => ({ v: 2, key, name })), id: Long.ZERO, ns }, ok: 1 };
  }
}
