// Errors of layer 4 (the namespace runner), as opposed to the core's IpamError. Each carries a kind that the
// service maps to a Connect code: unavailable -> unavailable, aborted -> aborted, deadline_exceeded ->
// deadline_exceeded, resource_exhausted -> resource_exhausted, idempotency_key_reused -> failed_precondition,
// internal -> internal.

export const SERVER_ERROR_KINDS = [
  /** A bug. The message is generic; details go to the log only. */
  "internal",
  /** The store failed (load or commit). The batch's commands did not take effect in memory; retry. */
  "unavailable",
  /** Fenced: another writer changed the namespace since it was loaded. State reloaded; retry. */
  "aborted",
  /** The caller's deadline passed or it gave up (before the command ran, or while its batch was committing). */
  "deadline_exceeded",
  /** The namespace's queue is full (load shedding): nothing was applied; retry with backoff. */
  "resource_exhausted",
  /** An Idempotency-Key was sent again with a different request: refused, nothing applied. */
  "idempotency_key_reused",
] as const;

export type ServerErrorKind = (typeof SERVER_ERROR_KINDS)[number];

export class ServerError extends Error {
  override readonly name = "ServerError";
  constructor(
    readonly kind: ServerErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isServerError(e: unknown): e is ServerError {
  return e instanceof ServerError;
}
