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
import type { RunnerCounters } from "../src/server/namespace-runner";
import { toOutcome, type Outcome } from "../src/server/outcome";
import type { NamespaceState, Store, StoreCounters } from "../src/storage/types";
import type { Env } from "./env";
import { openStore } from "./store";

/** Per-call options from the Worker. */
export interface CallOptions {
  /** Give up after this many milliseconds: a call still queued then is never applied. */
  timeoutMs?: number;
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
    return toOutcome(() => execute(this.runnerFor(namespace), cmd, signalOf(opts)));
  }

  /** Creates the namespace; idempotent. */
  async createNamespace(
    namespace: string,
    opts?: CallOptions,
  ): Promise<Outcome<NamespaceState & { created: boolean }>> {
    return toOutcome(() => this.runnerFor(namespace).createNamespace(signalOf(opts)));
  }

  /** Deletes the namespace if it holds no prefixes (root included, as go-ipam). */
  async deleteNamespace(namespace: string, opts?: CallOptions): Promise<Outcome<NamespaceState>> {
    return toOutcome(() => deleteIfEmpty(this.runnerFor(namespace), signalOf(opts)));
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
    this.runner ??= createIpamRunner(namespace, this.store);
    return this.runner;
  }
}

function signalOf(opts: CallOptions | undefined): AbortSignal | undefined {
  const t = opts?.timeoutMs;
  return typeof t === "number" && Number.isFinite(t) ? AbortSignal.timeout(Math.max(0, t)) : undefined;
}
