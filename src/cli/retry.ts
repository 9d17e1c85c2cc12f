// The CLI's retries: every mutating call gets a fresh Idempotency-Key, and a call that fails with unavailable
// or deadline_exceeded (the outcome may be unknown) is sent again with the same key a few times, so a retry
// never allocates twice. Reads are retried too (they change nothing); namespace creation and deletion are not.
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { IDEMPOTENCY_HEADER, MUTATING_RPCS } from "../service/idempotency-key";
import type { RpcName } from "../service/errors";

export const ATTEMPTS = 3;
const RETRYABLE = new Set([Code.Unavailable, Code.DeadlineExceeded]);
const NOT_RETRIED = new Set(["CreateNamespace", "DeleteNamespace"]);

export function retrying(sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))): Interceptor {
  return (next) => async (req) => {
    const rpc = req.method.name;
    if (NOT_RETRIED.has(rpc)) return next(req);
    if (MUTATING_RPCS.has(rpc as RpcName)) req.header.set(IDEMPOTENCY_HEADER, crypto.randomUUID());
    for (let attempt = 1; ; attempt++) {
      try {
        return await next(req);
      } catch (e) {
        if (attempt >= ATTEMPTS || !RETRYABLE.has(ConnectError.from(e).code)) throw e;
        await sleep(250 * 2 ** (attempt - 1));
      }
    }
  };
}
