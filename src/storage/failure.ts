// How an external store reports that its database did not answer as it should: one error type whose message
// says what was being done and has every secret scrubbed out, and a deadline for every round trip, so a
// stopped or unreachable server fails the call instead of hanging it.

import { redact } from "./config";
import { CommitRefusedError, InvalidChangeError } from "./types";

/** The database failed, timed out or answered something unexpected; for a write, the outcome is unknown. */
export class StoreUnavailableError extends Error {
  override name = "StoreUnavailableError";
}

/**
 * The database answers but is not set up for this release (e.g. its tables are missing). Nothing was
 * written. The message says how to fix it and holds no secret or record, so callers may be shown it.
 */
export class StoreNotReadyError extends StoreUnavailableError {
  override name = "StoreNotReadyError";
}

function describe(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return `${e.name}: ${e.message}${typeof code === "string" ? ` (${code})` : ""}`;
  }
  return String(e);
}

/**
 * The store cannot work with the server it was pointed at (e.g. a MongoDB server without transactions); nothing
 * was written. The message says what to change and holds no secret: it is shown to callers, as a bad setting is.
 */
export class StoreMisconfiguredError extends Error {
  override readonly name = "StoreMisconfiguredError";
}

/** The error to throw for `e`: the store's own refusals pass through, anything else becomes a StoreUnavailableError. */
export function storeFailure(backend: string, what: string, e: unknown, secrets: readonly string[]): Error {
  if (
    e instanceof CommitRefusedError ||
    e instanceof InvalidChangeError ||
    e instanceof StoreUnavailableError ||
    e instanceof StoreMisconfiguredError
  ) {
    return e;
  }
  return new StoreUnavailableError(redact(`${backend}: ${what} failed: ${describe(e)}`, secrets).slice(0, 1000));
}

/**
 * Runs `work` with a signal that aborts after `ms`, and rejects with a StoreUnavailableError at that moment
 * even if `work` ignores the signal; `onTimeout` may drop a connection whose state is now unknown.
 */
export async function withDeadline<T>(
  ms: number,
  what: string,
  work: (signal: AbortSignal) => Promise<T>,
  onTimeout?: () => void,
): Promise<T> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort(new StoreUnavailableError(`${what} timed out after ${ms} ms`));
      onTimeout?.();
      reject(new StoreUnavailableError(`${what} timed out after ${ms} ms`));
    }, ms);
  });
  const working = work(controller.signal);
  working.catch(() => {}); // once timed out, its own failure is of no interest
  try {
    return await Promise.race([working, timedOut]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
