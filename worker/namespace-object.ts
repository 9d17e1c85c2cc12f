// One Durable Object per namespace (env.NAMESPACE.idFromName(namespace)). It keeps the namespace's core
// state in memory, serialises every call through the namespace runner (group commit), and persists each
// batch in one transactionSync on its own SQLite (src/storage/do-sqlite.ts). The object is the source of
// truth for the namespace's existence; the directory (directory-object.ts) only indexes it. With an external
// store (IPAM_STORE, worker/store.ts) the object persists there instead; it stays the unit of serialisation
// and the in-memory cache of its namespace.
//
// Every RPC answers an Outcome (plain data); no exception or stack trace crosses the boundary.

import { DurableObject } from "cloudflare:workers";
import { checkNamespaceName } from "../src/core/names";
import type { Command } from "../src/core/types";
import { ServerError } from "../src/server/errors";
import { createIpamRunner, deleteIfEmpty, execute, type IpamRunner } from "../src/server/ipam-runner";
import type { CallLimits, RunnerCounters } from "../src/server/namespace-runner";
import { toOutcome, type Outcome } from "../src/server/outcome";
import type { NamespaceState, Store, StoreCounters } from "../src/storage/types";
import type { Env } from "./env";
import { openStore, runnerSettingsOf } from "./store";

/** Per-call options from the Worker. */
export interface CallOptions {
  /** The caller's deadline (ms since the epoch, set when the Worker received the call): never applied after it. */
  deadline?: number;
  /** The call's Idempotency-Key and its request's fingerprint. */
  idempotency?: { key: string; fingerprint: string };
}

export interface NamespaceObjectStats extends NamespaceState {
  namespace: string;
  prefixes: number;
  acquiredIPs: bigint;
  availableIPs: bigint;
  runner: RunnerCounters;
  store: { backend: string } & Partial<StoreCounters>;
}

export class NamespaceObject extends DurableObject<Env> {
  private store: Store | undefined;
  private runner: IpamRunner | undefined;

  // The store is opened on the first call (for DO SQLite that creates the schema, synchronously); the records
  // are loaded lazily by the runner, and calls arriving meanwhile wait in its queue.

  /** Runs one core command. */
  async execute(namespace: string, cmd: Command, opts?: CallOptions): Promise<Outcome<unknown>> {
    return toOutcome(() => execute(this.runnerFor(namespace), cmd, limitsOf(opts)));
  }

  /** Creates the namespace; idempotent. */
  async createNamespace(
    namespace: string,
    opts?: CallOptions,
  ): Promise<Outcome<NamespaceState & { created: boolean }>> {
    return toOutcome(() => this.runnerFor(namespace).createNamespace(limitsOf(opts)));
  }

  /** Deletes the namespace if it holds no prefixes (root included, as go-ipam). */
  async deleteNamespace(namespace: string, opts?: CallOptions): Promise<Outcome<NamespaceState>> {
    return toOutcome(() => deleteIfEmpty(this.runnerFor(namespace), limitsOf(opts)));
  }

  /** Whether the namespace exists, and its version (used by the directory to reconcile). */
  async existence(namespace: string): Promise<Outcome<NamespaceState>> {
    return toOutcome(() => this.runnerFor(namespace).existence());
  }

  /** Sizes and counters, for /metrics and tests (fails with namespace_not_found if it does not exist). */
  async stats(namespace: string): Promise<Outcome<NamespaceObjectStats>> {
    return toOutcome(async () => {
      const runner = this.runnerFor(namespace);
      const s = await runner.read((ns) => ns.stats());
      const e = await runner.existence();
      const store = this.store!;
      return { namespace, ...e, ...s, runner: { ...runner.counters }, store: { backend: store.backend, ...store.counters } };
    });
  }

  private runnerFor(namespace: string): IpamRunner {
    checkNamespaceName(namespace);
    const bound = this.ctx.id.name ?? this.runner?.namespace;
    if (bound !== undefined && bound !== namespace) {
      // The Worker addressed the wrong object: refuse rather than keep a namespace where nobody finds it.
      throw new ServerError("internal", "internal error: namespace routed to the wrong object", {
        cause: new Error(`object for ${JSON.stringify(bound)} called for ${JSON.stringify(namespace)}`),
      });
    }
    this.store ??= openStore(this.env, this.ctx.storage);
    this.runner ??= createIpamRunner(namespace, this.store, undefined, runnerSettingsOf(this.env));
    return this.runner;
  }
}

function limitsOf(opts: CallOptions | undefined): CallLimits | undefined {
  if (!opts) return undefined;
  const limits: CallLimits = {};
  if (typeof opts.deadline === "number" && Number.isFinite(opts.deadline)) limits.deadline = opts.deadline;
  const k = opts.idempotency;
  if (k && typeof k.key === "string" && typeof k.fingerprint === "string") limits.idempotency = { key: k.key, fingerprint: k.fingerprint };
  return limits;
}
