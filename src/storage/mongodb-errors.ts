// What a MongoDB driver error means for a store operation, by the labels and codes of the transactions spec
// (https://github.com/mongodb/specifications/blob/master/source/transactions/transactions.md):
//
// - TransientTransactionError: the transaction was aborted before it committed (a WriteConflict with another
//   writer, a network error before the commit, an expired transaction): nothing of it was written.
// - UnknownTransactionCommitResult, or any other error at the commit: the commit may or may not have happened.
// - IllegalOperation (20) "Transaction numbers are only allowed on a replica set member or mongos": a
//   standalone server, which has no transactions; this store cannot work with it.
import { StoreMisconfiguredError } from "./failure";
import { CommitRefusedError } from "./types";

const hasLabel = (e: unknown, label: string): boolean => {
  const has = (e as { hasErrorLabel?: (l: string) => boolean } | null)?.hasErrorLabel;
  return typeof has === "function" && has.call(e, label);
};

const codeOf = (e: unknown): unknown => (e as { code?: unknown } | null)?.code;

export const STANDALONE_SERVER_FIX =
  "MONGODB_URI names a standalone MongoDB server, which has no multi-document transactions, and the MongoDB store " +
  "commits every batch in one transaction. Run the server as a replica set (one node is enough: start mongod with " +
  "--replSet rs0, run rs.initiate() once in mongosh, and add ?replicaSet=rs0 to MONGODB_URI) or use MongoDB Atlas";

export function isStandaloneRefusal(e: unknown): boolean {
  return codeOf(e) === 20 && /Transaction numbers are only allowed on a replica set member or mongos/.test(String((e as Error)?.message));
}

/** Where in a transaction an error happened. */
export type Phase = "before-commit" | "commit";

/**
 * The store's error for a driver error in a writing transaction: CommitRefusedError when nothing was written
 * (the runner reloads and runs the calls again), StoreMisconfiguredError for a standalone server, and the error
 * itself (an unknown outcome, to be wrapped by storeFailure) otherwise.
 */
export function transactionError(e: unknown, phase: Phase, what: string): unknown {
  if (isStandaloneRefusal(e)) return new StoreMisconfiguredError(STANDALONE_SERVER_FIX);
  if (hasLabel(e, "UnknownTransactionCommitResult")) return e;
  if (hasLabel(e, "TransientTransactionError")) {
    const reason = (e as { codeName?: unknown })?.codeName ?? (e as Error)?.name ?? "transient error";
    return new CommitRefusedError(
      `mongodb ${what}: the transaction was aborted before it committed (${String(reason)}${phase === "commit" ? ", at commit" : ""}); nothing was written`,
    );
  }
  return e;
}
