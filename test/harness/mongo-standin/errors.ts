// The error replies the stand-in gives, with MongoDB's own codes, code names and labels (the driver and the
// adapter decide what to do by them). https://www.mongodb.com/docs/manual/reference/error-codes/
import type { Document } from "bson";

export const CODES = {
  BadValue: 2,
  Unauthorized: 13,
  AuthenticationFailed: 18,
  IllegalOperation: 20,
  NamespaceNotFound: 26,
  CursorNotFound: 43,
  CommandNotFound: 59,
  ImmutableField: 66,
  InvalidOptions: 72,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  WriteConflict: 112,
  ConflictingOperationInProgress: 117,
  TransactionTooOld: 225,
  NoSuchTransaction: 251,
  TransactionCommitted: 256,
  OperationNotSupportedInTransaction: 263,
  UnsupportedOpQueryCommand: 352,
  DuplicateKey: 11000,
  IDLUnknownField: 40415,
} as const;

export type CodeName = keyof typeof CODES;

export const TRANSIENT = "TransientTransactionError";

/** A command that fails with `{ok: 0, code, codeName, errmsg, errorLabels}`. */
export class CommandError extends Error {
  constructor(
    readonly codeName: CodeName,
    message: string,
    readonly labels: string[] = [],
  ) {
    super(message);
  }

  reply(): Document {
    return {
      ok: 0,
      errmsg: this.message,
      code: CODES[this.codeName],
      codeName: this.codeName,
      ...(this.labels.length ? { errorLabels: this.labels } : {}),
    };
  }
}

/**
 * Something real MongoDB has but the stand-in does not implement, because the adapter does not send it. The
 * reply names it; the stand-in also prints it as a REFUSED line, on which the tests fail.
 */
export class Unsupported extends CommandError {
  constructor(what: string, codeName: CodeName = "IDLUnknownField") {
    super(codeName, `mongo stand-in: ${what} is not implemented (the stand-in implements only what the edge-ipam adapter sends)`);
  }
}

export const writeConflict = () =>
  new CommandError(
    "WriteConflict",
    "Write conflict during plan execution and yielding is disabled. :: Please retry your operation or multi-document transaction.",
    [TRANSIENT],
  );

export const noSuchTransaction = (txnNumber: number, why: string) =>
  new CommandError("NoSuchTransaction", `Transaction with { txnNumber: ${txnNumber} } has been aborted${why ? ` (${why})` : ""}.`, [TRANSIENT]);
