// The stand-in's storage engine: collections of BSON documents keyed by _id, with multi-document
// transactions the way MongoDB (WiredTiger) runs them on a replica-set primary:
//
// - snapshot isolation: a transaction reads the committed state as of its start, plus its own writes;
// - write conflicts: writing a document that another open transaction has written, or that was committed
//   after this transaction's snapshot, fails with WriteConflict (TransientTransactionError) and aborts it;
// - atomic, durable commit: all of a transaction's writes become visible at once, after the journal (when
//   there is one) has them on disk;
// - unique _id: an insert of an _id that exists fails with E11000.
//
// Everything runs on Node's one thread, one command at a time: that is a valid serialisation of what a real
// server does concurrently.
import { BSON, type Document, EJSON, ObjectId } from "bson";
import { CommandError, writeConflict } from "./errors";
import type { Journal, JournalEntry, JournalWrite } from "./journal";
import type { Doc } from "./query";
import { MAX_BSON_OBJECT_SIZE } from "./wire";

/** MongoDB's default transactionLifetimeLimitSeconds: an open transaction is aborted after this long. */
export const TRANSACTION_LIFETIME_MS = 60_000;

interface Version {
  seq: number;
  /** The document as stored, or null where it was deleted. */
  bytes: Buffer | null;
}

interface Collection {
  docs: Map<string, Version[]>;
  indexes: Map<string, Document>;
}

interface PendingWrite {
  ns: string;
  key: string;
  id: unknown;
  doc: Doc | null;
}

export interface Txn {
  readonly id: number;
  readonly snapshot: number;
  readonly started: number;
  state: "active" | "committed" | "aborted";
  abortReason?: string;
  readonly writes: Map<string, PendingWrite>;
}

/** The identity of an _id value (1 and 1.0 are the same _id, as in MongoDB). */
export function idKey(id: unknown): string {
  if (typeof id === "string") return `s${id}`;
  if (typeof id === "number") return `n${id}`;
  if (id instanceof ObjectId) return `o${id.toHexString()}`;
  return `e${EJSON.stringify(id as Document, { relaxed: false })}`;
}

const slot = (ns: string, key: string) => `${ns}\u0000${key}`;

function encode(doc: Doc): Buffer {
  const bytes = Buffer.from(BSON.serialize(doc));
  if (bytes.length > MAX_BSON_OBJECT_SIZE) throw new CommandError("BadValue", `document of ${bytes.length} bytes exceeds the 16 MiB BSON limit`);
  return bytes;
}

export class Engine {
  private readonly collections = new Map<string, Collection>();
  private readonly intents = new Map<string, Txn>();
  private readonly open = new Set<Txn>();
  private seq = 0;
  private nextTxn = 1;

  constructor(
    private readonly journal?: Journal,
    replay: JournalEntry[] = [],
  ) {
    for (const e of replay) {
      if (e.t === "indexes") this.collection(e.ns).indexes = new Map(e.indexes.map((i) => [i.name, i.key]));
      else {
        for (const w of e.writes) this.install(w.ns, idKey(w.id), e.seq, w.doc === null ? null : encode(w.doc));
        this.seq = Math.max(this.seq, e.seq);
      }
    }
    for (const c of this.collections.values()) for (const [k, v] of c.docs) if (v[v.length - 1].bytes === null) c.docs.delete(k);
  }

  /** Number of committed transactions so far (the journal's sequence). */
  get committed(): number {
    return this.seq;
  }

  exists(ns: string): boolean {
    return this.collections.has(ns);
  }

  private collection(ns: string): Collection {
    let c = this.collections.get(ns);
    if (!c) this.collections.set(ns, (c = { docs: new Map(), indexes: new Map([["_id_", { _id: 1 }]]) }));
    return c;
  }

  begin(): Txn {
    const txn: Txn = { id: this.nextTxn++, snapshot: this.seq, started: Date.now(), state: "active", writes: new Map() };
    this.open.add(txn);
    return txn;
  }

  /** Aborts transactions open longer than MongoDB's lifetime limit. */
  expire(now = Date.now()): void {
    for (const t of this.open) if (now - t.started > TRANSACTION_LIFETIME_MS) this.abort(t, "transaction lifetime limit exceeded");
  }

  abort(txn: Txn, reason: string): void {
    if (txn.state !== "active") return;
    txn.state = "aborted";
    txn.abortReason = reason;
    this.release(txn);
  }

  private release(txn: Txn): void {
    this.open.delete(txn);
    for (const s of txn.writes.keys()) if (this.intents.get(s) === txn) this.intents.delete(s);
  }

  private committedAt(c: Collection | undefined, key: string, seq: number): Doc | null {
    const versions = c?.docs.get(key);
    if (!versions) return null;
    for (let i = versions.length - 1; i >= 0; i--) {
      if (versions[i].seq <= seq) {
        const b = versions[i].bytes;
        return b === null ? null : BSON.deserialize(b);
      }
    }
    return null;
  }

  /** The document with this _id as `txn` sees it (the latest committed one outside a transaction). */
  get(txn: Txn, ns: string, id: unknown): Doc | null {
    const key = idKey(id);
    const own = txn.writes.get(slot(ns, key));
    if (own) return own.doc === null ? null : BSON.deserialize(BSON.serialize(own.doc));
    return this.committedAt(this.collections.get(ns), key, txn.snapshot);
  }

  /** Every document of the collection that `txn` sees and `match` accepts, in _id insertion order. */
  scan(txn: Txn, ns: string, match: (d: Doc) => boolean): Doc[] {
    const c = this.collections.get(ns);
    const out: Doc[] = [];
    const seen = new Set<string>();
    for (const key of c?.docs.keys() ?? []) {
      seen.add(key);
      const own = txn.writes.get(slot(ns, key));
      const d = own ? own.doc : this.committedAt(c, key, txn.snapshot);
      if (d && match(d)) out.push(own ? BSON.deserialize(BSON.serialize(d)) : d);
    }
    for (const w of txn.writes.values()) {
      if (w.ns === ns && !seen.has(w.key) && w.doc && match(w.doc)) out.push(BSON.deserialize(BSON.serialize(w.doc)));
    }
    return out;
  }

  /**
   * Records `doc` (null: delete) as the transaction's version of the document with this _id, or fails with
   * WriteConflict (and aborts the transaction) if another open transaction wrote it or it changed after the
   * transaction's snapshot.
   */
  put(txn: Txn, ns: string, id: unknown, doc: Doc | null): void {
    const key = idKey(id);
    const s = slot(ns, key);
    const owner = this.intents.get(s);
    if (owner && owner !== txn) {
      if (Date.now() - owner.started > TRANSACTION_LIFETIME_MS) this.abort(owner, "transaction lifetime limit exceeded");
      else {
        this.abort(txn, "write conflict with another open transaction");
        throw writeConflict();
      }
    }
    const versions = this.collections.get(ns)?.docs.get(key);
    if (versions && versions[versions.length - 1].seq > txn.snapshot) {
      this.abort(txn, "write conflict with a transaction committed after this one started");
      throw writeConflict();
    }
    if (doc) encode(doc); // the 16 MiB limit, checked at the write as MongoDB does
    this.intents.set(s, txn);
    txn.writes.set(s, { ns, key, id, doc });
  }

  /** Makes the transaction's writes durable (journal, fsync) and visible, all at once. */
  commit(txn: Txn): void {
    if (txn.state !== "active") throw new Error(`commit of a ${txn.state} transaction`);
    if (txn.writes.size > 0) {
      const seq = this.seq + 1;
      const writes: JournalWrite[] = [...txn.writes.values()].map((w) => ({ ns: w.ns, id: w.id, doc: w.doc }));
      this.journal?.append({ t: "commit", seq, writes });
      this.seq = seq;
      for (const w of txn.writes.values()) this.install(w.ns, w.key, seq, w.doc === null ? null : encode(w.doc));
    }
    txn.state = "committed";
    this.release(txn);
    for (const w of txn.writes.values()) this.prune(w.ns, w.key);
  }

  private install(ns: string, key: string, seq: number, bytes: Buffer | null): void {
    const docs = this.collection(ns).docs;
    const versions = docs.get(key);
    if (versions) versions.push({ seq, bytes });
    else docs.set(key, [{ seq, bytes }]);
  }

  /** Drops versions no open transaction can read any more. */
  private prune(ns: string, key: string): void {
    const docs = this.collections.get(ns)?.docs;
    const versions = docs?.get(key);
    if (!docs || !versions) return;
    let oldest = this.seq;
    for (const t of this.open) oldest = Math.min(oldest, t.snapshot);
    let keepFrom = 0;
    for (let i = versions.length - 1; i >= 0; i--) {
      if (versions[i].seq <= oldest) {
        keepFrom = i;
        break;
      }
    }
    if (keepFrom > 0) versions.splice(0, keepFrom);
    if (versions.length === 1 && versions[0].bytes === null && versions[0].seq <= oldest) docs.delete(key);
  }

  indexes(ns: string): Map<string, Document> | undefined {
    return this.collections.get(ns)?.indexes;
  }

  /** Creates the indexes that do not exist yet (same name and key: nothing to do); returns the counts. */
  createIndexes(ns: string, specs: { name: string; key: Document }[]): { created: boolean; before: number; after: number } {
    const created = !this.collections.has(ns);
    const indexes = this.collection(ns).indexes;
    const before = indexes.size;
    for (const { name, key } of specs) {
      const existing = indexes.get(name);
      const sameKey = (a: Document, b: Document) => JSON.stringify(a) === JSON.stringify(b);
      if (existing && !sameKey(existing, key)) {
        throw new CommandError("IndexKeySpecsConflict", `An existing index has the same name as the requested index but a different key: ${name}`);
      }
      for (const [other, k] of indexes) {
        if (other !== name && sameKey(k, key)) {
          throw new CommandError("IndexOptionsConflict", `Index already exists with a different name: ${other}`);
        }
      }
      indexes.set(name, key);
    }
    if (indexes.size !== before || created) {
      this.journal?.append({ t: "indexes", ns, indexes: [...indexes].map(([name, key]) => ({ name, key })) });
    }
    return { created, before, after: indexes.size };
  }
}
