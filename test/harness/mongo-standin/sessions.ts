// Logical sessions and the transaction protocol on them, as a replica-set primary runs it: lsid + txnNumber +
// autocommit:false, startTransaction on the first command (the only one that may carry a readConcern),
// commitTransaction / abortTransaction on admin, a retried commit of a committed transaction answering ok.
// A standalone server refuses every txnNumber with IllegalOperation (20), MongoDB's own message.
import { Binary, type Document } from "bson";
import type { Engine, Txn } from "./engine";
import { CommandError, noSuchTransaction, Unsupported } from "./errors";

interface Session {
  txnNumber: number;
  txn?: Txn;
}

const READ_CONCERN_LEVELS = new Set(["snapshot", "majority", "local"]);

export function lsidKey(lsid: unknown): string {
  const id = (lsid as { id?: unknown } | null)?.id;
  if (!(id instanceof Binary) || Object.keys(lsid as object).length !== 1) {
    throw new Unsupported("an lsid other than {id: <UUID>}");
  }
  return Buffer.from(id.buffer.subarray(0, id.position)).toString("hex");
}

export class Sessions {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly engine: Engine,
    private readonly standalone: boolean,
  ) {}

  /** The transaction a command runs in, or null for a command outside any transaction. */
  transactionFor(cmd: Document, name: string): Txn | null {
    if (cmd.txnNumber === undefined) {
      if ("autocommit" in cmd || "startTransaction" in cmd) {
        throw new CommandError("InvalidOptions", "'autocommit' and 'startTransaction' require a txnNumber");
      }
      return null;
    }
    if (this.standalone) {
      throw new CommandError("IllegalOperation", "Transaction numbers are only allowed on a replica set member or mongos");
    }
    if (cmd.lsid === undefined) throw new CommandError("InvalidOptions", "Transaction number requires a session ID to also be specified");
    if (cmd.autocommit !== false) {
      throw new Unsupported("retryable writes (a txnNumber without autocommit: false; the adapter writes only inside transactions)");
    }
    const txnNumber = Number(cmd.txnNumber);
    const key = lsidKey(cmd.lsid);
    let s = this.sessions.get(key);
    if (!s) this.sessions.set(key, (s = { txnNumber: -1 }));
    if (txnNumber < s.txnNumber) {
      throw new CommandError(
        "TransactionTooOld",
        `Cannot start transaction ${txnNumber} on session ${key} because a newer transaction ${s.txnNumber} has already started.`,
      );
    }
    if (cmd.startTransaction !== undefined) {
      if (cmd.startTransaction !== true) throw new CommandError("BadValue", "startTransaction must be true");
      if (txnNumber === s.txnNumber) {
        throw new CommandError("ConflictingOperationInProgress", `Transaction ${txnNumber} has already started on session ${key}.`);
      }
      this.checkReadConcern(cmd.readConcern);
      if (s.txn) this.engine.abort(s.txn, "a newer transaction started on its session");
      s.txnNumber = txnNumber;
      s.txn = this.engine.begin();
      return s.txn;
    }
    if (txnNumber > s.txnNumber || !s.txn) {
      throw noSuchTransaction(txnNumber, "it does not match any in-progress transaction");
    }
    if ("readConcern" in cmd) throw new CommandError("InvalidOptions", "Only the first command in a transaction may specify a readConcern");
    if (s.txn.state === "aborted") throw noSuchTransaction(txnNumber, s.txn.abortReason ?? "");
    if (s.txn.state === "committed" && name !== "commitTransaction") {
      throw new CommandError("TransactionCommitted", `Transaction ${txnNumber} has been committed.`);
    }
    return s.txn;
  }

  private checkReadConcern(rc: unknown): void {
    if (rc === undefined) return;
    const { level, afterClusterTime, ...rest } = rc as Document;
    if (Object.keys(rest).length) throw new Unsupported(`readConcern fields ${Object.keys(rest).join(", ")}`);
    if (level !== undefined && !READ_CONCERN_LEVELS.has(level)) throw new Unsupported(`readConcern level ${String(level)}`);
    // afterClusterTime: a single node has applied everything it reports, so it is always satisfied.
    void afterClusterTime;
  }

  /** commitTransaction: a committed transaction's commit again is ok (the driver retries commits). */
  commit(txn: Txn): void {
    if (txn.state === "active") this.engine.commit(txn);
  }

  abort(txn: Txn): void {
    if (txn.state === "committed") throw new CommandError("TransactionCommitted", "Transaction has been committed.");
    this.engine.abort(txn, "aborted by abortTransaction");
  }

  /** endSessions: open transactions of those sessions are aborted. */
  end(lsids: unknown[]): string[] {
    const keys: string[] = [];
    for (const l of lsids) {
      const key = lsidKey(l);
      const s = this.sessions.get(key);
      if (s?.txn) this.engine.abort(s.txn, "its session ended");
      this.sessions.delete(key);
      keys.push(key);
    }
    return keys;
  }
}
