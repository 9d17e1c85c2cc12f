// What crosses the Durable Object RPC boundary: plain data, never an Error object or a stack trace.
// IpamError keeps its kind and message (the service maps kinds to Connect codes); ServerError likewise;
// anything else is a bug: it is logged where it happened and the caller gets kind "internal" with a generic
// message.

import { ERROR_KINDS, IpamError, type ErrorKind } from "../core/errors";
import { StoreUnavailableError } from "../storage/failure";
import { CommitRefusedError } from "../storage/types";
import { SERVER_ERROR_KINDS, ServerError, type ServerErrorKind } from "./errors";

export type OutcomeKind = ErrorKind | ServerErrorKind;

export type Outcome<T> = { ok: true; result: T } | { ok: false; kind: OutcomeKind; message: string };

export const INTERNAL_MESSAGE = "internal error";

const CORE_KINDS: ReadonlySet<string> = new Set<string>(ERROR_KINDS);
const SERVER_KINDS: ReadonlySet<string> = new Set<string>(SERVER_ERROR_KINDS);

const isErrorKind = (k: unknown): k is ErrorKind => typeof k === "string" && CORE_KINDS.has(k);

export type Logger = (message: string, error?: unknown) => void;

/** Logs to the console; a store's failure is expected operation, so one line without a stack trace. */
export const consoleLogger: Logger = (message, error) => {
  if (error === undefined) console.error(message);
  else if (error instanceof StoreUnavailableError || error instanceof CommitRefusedError) console.error(`${message}: ${error.message}`);
  else console.error(message, error instanceof Error ? (error.stack ?? error.message) : error);
};

/** Converts a thrown value into a failed Outcome; unexpected errors are logged, never forwarded. */
export function failure(e: unknown, log: Logger = consoleLogger): Outcome<never> {
  // An IpamError without a known kind is a bug (e.g. a non-IpamError wrapped as one): internal.
  if (e instanceof IpamError && isErrorKind(e.kind)) return { ok: false, kind: e.kind, message: e.message };
  if (e instanceof ServerError) {
    if (e.kind === "internal" && e.cause !== undefined) log(`internal: ${e.message}`, e.cause);
    return { ok: false, kind: e.kind, message: e.message };
  }
  log("internal: unexpected error", e);
  return { ok: false, kind: "internal", message: INTERNAL_MESSAGE };
}

/** Runs `f` and returns its result or its error as an Outcome. */
export async function toOutcome<T>(f: () => T | Promise<T>, log: Logger = consoleLogger): Promise<Outcome<T>> {
  try {
    return { ok: true, result: await f() };
  } catch (e) {
    return failure(e, log);
  }
}

/** The error an Outcome stands for, rebuilt on the caller's side (IpamError or ServerError). */
export function outcomeError(o: { kind: OutcomeKind; message: string }): IpamError | ServerError {
  return SERVER_KINDS.has(o.kind)
    ? new ServerError(o.kind as ServerErrorKind, o.message)
    : new IpamError(o.kind as ErrorKind, o.message);
}

/** The result of a successful Outcome; throws the rebuilt error of a failed one. */
export function unwrap<T>(o: Outcome<T>): T {
  if (o.ok) return o.result;
  throw outcomeError(o);
}
