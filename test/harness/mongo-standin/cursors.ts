// Cursors: find's first batch (101 documents by default) and getMore's next ones, each at most 16 MiB, as a
// MongoDB server batches them. A cursor opened in a transaction reads the transaction's snapshot, may only be
// continued in that transaction, and is gone once the transaction ends.
import { calculateObjectSize, Long } from "bson";
import type { Txn } from "./engine";
import { CommandError } from "./errors";
import type { Doc } from "./query";
import { MAX_BSON_OBJECT_SIZE } from "./wire";

const DEFAULT_FIRST_BATCH = 101;
const BATCH_BYTES = MAX_BSON_OBJECT_SIZE - 16 * 1024;

interface Cursor {
  ns: string;
  docs: Doc[];
  pos: number;
  txn: Txn | null;
  session: string | undefined;
}

export interface Batch {
  docs: Doc[];
  id: Long;
}

export class Cursors {
  private readonly open = new Map<number, Cursor>();

  private take(c: Cursor, batchSize: number | undefined): Doc[] {
    const out: Doc[] = [];
    let bytes = 0;
    while (c.pos < c.docs.length && (batchSize === undefined || out.length < batchSize)) {
      const size = calculateObjectSize(c.docs[c.pos]);
      if (out.length > 0 && bytes + size > BATCH_BYTES) break;
      bytes += size;
      out.push(c.docs[c.pos++]);
    }
    return out;
  }

  private register(c: Cursor): Long {
    if (c.pos >= c.docs.length) return Long.ZERO;
    let id: number;
    do id = 1 + Math.floor(Math.random() * 2 ** 52);
    while (this.open.has(id));
    this.open.set(id, c);
    return Long.fromNumber(id);
  }

  /** find's answer: the first batch, and the cursor id (0 when everything fit). */
  first(ns: string, docs: Doc[], opts: { txn: Txn | null; session?: string; batchSize?: number; singleBatch?: boolean }): Batch {
    const c: Cursor = { ns, docs, pos: 0, txn: opts.txn, session: opts.session };
    const batch = this.take(c, opts.batchSize ?? DEFAULT_FIRST_BATCH);
    return { docs: batch, id: opts.singleBatch ? Long.ZERO : this.register(c) };
  }

  more(id: number, ns: string, txn: Txn | null, session: string | undefined, batchSize?: number): Batch {
    const c = this.open.get(id);
    if (!c || (c.txn && c.txn.state !== "active")) {
      this.open.delete(id);
      throw new CommandError("CursorNotFound", `cursor id ${id} not found`);
    }
    if (c.ns !== ns) throw new CommandError("BadValue", `cursor ${id} belongs to ${c.ns}, not ${ns}`);
    if (c.txn !== txn || c.session !== session) {
      throw new CommandError("BadValue", `Cannot run getMore on cursor ${id} outside the session and transaction that created it`);
    }
    const docs = this.take(c, batchSize);
    if (c.pos >= c.docs.length) {
      this.open.delete(id);
      return { docs, id: Long.ZERO };
    }
    return { docs, id: Long.fromNumber(id) };
  }

  kill(ids: number[]): { killed: Long[]; notFound: Long[] } {
    const killed: Long[] = [];
    const notFound: Long[] = [];
    for (const id of ids) (this.open.delete(id) ? killed : notFound).push(Long.fromNumber(id));
    return { killed, notFound };
  }

  endSessions(keys: string[]): void {
    const ended = new Set(keys);
    for (const [id, c] of this.open) if (c.session && ended.has(c.session)) this.open.delete(id);
  }
}
