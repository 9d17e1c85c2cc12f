// The service's view of the namespaces behind it. The Worker implements it with Durable Objects
// (worker/namespaces.ts); tests implement it in memory.

import type { Command } from "../core/types";
import type { Outcome } from "../server/outcome";

export type { Outcome };

/**
 * Per-call options: the caller's deadline, absolute (ms since the epoch, fixed when the Worker received the
 * call), so a call still queued when it passes, however long it waited to be picked up, is never applied.
 */
export interface BackendCallOptions {
  deadline?: number;
  /** The call's Idempotency-Key and the fingerprint of its request (mutating RPCs only). */
  idempotency?: { key: string; fingerprint: string };
}

export interface IpamBackend {
  /** Run one command against one (existing) namespace. */
  runCommand(namespace: string, cmd: Command, opts?: BackendCallOptions): Promise<Outcome<unknown>>;
  createNamespace(name: string, opts?: BackendCallOptions): Promise<Outcome<null>>;
  listNamespaces(): Promise<Outcome<string[]>>;
  deleteNamespace(name: string, opts?: BackendCallOptions): Promise<Outcome<null>>;
}
