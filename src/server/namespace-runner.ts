// Layer 4: one namespace's state machine and store, serialised. No Cloudflare imports.
//
// Every call (mutation or read) is queued. The runner takes the waiting calls in arrival order, applies them
// one after the other to the in-memory machine, commits all their changes in ONE fenced store batch, and
// only then answers each caller with its own result or error (group commit). Calls that arrive while a
// batch is committing wait for the next batch, so a slow commit costs latency, not throughput. Reads are
// answered after the batch they were applied in has committed, so nobody observes uncommitted state.
//
// Failure: if the commit fails, every call whose step succeeded in that batch fails, and the machine is
// dropped and rebuilt from the store before the next batch; nothing half-applied survives in memory. A
// commit refused before anything was written (fenced: another writer changed the namespace) is different:
// the machine is reloaded and the batch's calls run again on the fresh state, up to `maxReruns` times each. A step
// that throws an unexpected (non-domain) error may have left the machine inconsistent: it fails with
// "internal", the steps applied before it are committed, the machine is rebuilt, and the steps after it run
// on the rebuilt machine. There are no retries and no sleeps. A call's deadline is absolute (set when the
// Worker received it): a call still queued when it passes, or found past it when its batch is applied, is
// never applied. The queue is bounded: a call that finds it full is refused at once (load shedding).

import type { LoadRecord } from "../core/types";
import { StoreMisconfiguredError, StoreNotReadyError } from "../storage/failure";
import { CommitRefusedError, FencingError, type NamespaceState, type Store, type StoredChange } from "../storage/types";
import { ServerError } from "./errors";
import { DEFAULT_IDEMPOTENCY, type IdempotencyKey, type IdempotencySettings, IdempotencyTable, type RecordedOutcome, withoutIdempotency } from "./idempotency";
import { consoleLogger, type Logger, outcomeError } from "./outcome";

/** A unit of work on the machine: returns the caller's result and the changes to persist. Must leave the
 * machine unchanged when it throws a domain error. */
export type Step<M, T> = (machine: M) => { result: T; changes: StoredChange[] };

/** When a call gives up, and what makes a retry of it safe. */
export interface CallLimits {
  /** Absolute deadline, ms since the epoch: the call is never applied once it has passed. */
  deadline?: number;
  /** Cancels the call (e.g. its client went away). */
  signal?: AbortSignal;
  /** The call's Idempotency-Key: a retry with the same key and request is answered from the first call's record. */
  idempotency?: IdempotencyKey;
}

export const DEFAULT_MAX_QUEUE = 1024;

export interface RunnerOptions<M> {
  namespace: string;
  store: Store;
  /** Builds a machine from the store's records, a lazy cursor consumed at once (may throw on inconsistent records). */
  rebuild(records: Iterable<LoadRecord>): M;
  /** The error for a call on a namespace that does not exist. */
  missing(namespace: string): Error;
  /** Expected errors thrown by steps (the machine is unchanged); anything else is treated as a bug. */
  isDomainError(e: unknown): boolean;
  /** The namespace exists without being created (go-ipam's "root"): created in the store on first load. */
  existsByDefault?: boolean;
  /** Most calls applied in one batch (default 512). */
  maxBatch?: number;
  /** How often a call whose batch was fenced runs again on reloaded state before it fails (default 4). */
  maxReruns?: number;
  /** Most calls waiting to be applied; a call beyond it is refused with resource_exhausted (default 1024). */
  maxQueue?: number;
  /** How long idempotency entries are kept, and how many (default 24 h, 10,000). */
  idempotency?: IdempotencySettings;
  log?: Logger;
}

export interface RunnerCounters {
  /** Store commits that succeeded. */
  commits: number;
  /** Store commits that failed (fenced or store error). */
  failedCommits: number;
  /** Of those, commits refused before writing anything (fenced), whose calls ran again. */
  refusedCommits: number;
  /** Calls run again after their batch was refused. */
  reruns: number;
  /** Calls refused because the queue was full. */
  shed: number;
  /** Calls whose deadline passed before they were applied (never applied). */
  expired: number;
  /** Calls answered from their idempotency entry (not applied again). */
  replayed: number;
  /** Batches taken from the queue (including those that needed no commit). */
  batches: number;
  /** Steps applied without error (committed or read-only). */
  applied: number;
  /** Loads from the store (the first one and every rebuild). */
  loads: number;
  /** Largest number of calls in one batch. */
  largestBatch: number;
}

interface StepItem<M> {
  kind: "step";
  step: Step<M, unknown>;
  phase: "queued" | "applied" | "done";
  deadline?: number;
  idempotency?: IdempotencyKey;
  /** Times this call ran again after its batch was refused. */
  reruns?: number;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

interface ExclusiveItem {
  kind: "exclusive";
  run(): Promise<unknown>;
  phase: "queued" | "applied" | "done";
  deadline?: number;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

type Item<M> = StepItem<M> | ExclusiveItem;

type Loaded<M> = { exists: true; version: number; machine: M; idem: IdempotencyTable } | { exists: false; version: number };

export class NamespaceRunner<M> {
  readonly namespace: string;
  readonly counters: RunnerCounters = {
    commits: 0,
    failedCommits: 0,
    refusedCommits: 0,
    reruns: 0,
    shed: 0,
    expired: 0,
    replayed: 0,
    batches: 0,
    applied: 0,
    loads: 0,
    largestBatch: 0,
  };
  private readonly store: Store;
  private readonly opts: RunnerOptions<M>;
  private readonly log: Logger;
  private readonly maxBatch: number;
  private readonly maxReruns: number;
  private readonly maxQueue: number;
  private queue: Item<M>[] = [];
  /** A store round trip is in flight: calls that expire meanwhile were kept waiting by the store. */
  private storeBusy = false;
  private state: Loaded<M> | undefined;
  private draining = false;

  constructor(opts: RunnerOptions<M>) {
    this.opts = opts;
    this.namespace = opts.namespace;
    this.store = opts.store;
    this.log = opts.log ?? consoleLogger;
    this.maxBatch = Math.max(1, opts.maxBatch ?? 512);
    this.maxReruns = Math.max(0, opts.maxReruns ?? 4);
    this.maxQueue = Math.max(1, opts.maxQueue ?? DEFAULT_MAX_QUEUE);
  }

  /** Queues a step; resolves with its result once the batch it ran in is durable. */
  run<T>(step: Step<M, T>, limits?: CallLimits): Promise<T> {
    return this.enqueue<T>({ kind: "step", step: step as Step<M, unknown>, idempotency: limits?.idempotency }, limits);
  }

  /** Queues a read: `f` sees the state after every call queued before it, and answers once that is durable. */
  read<T>(f: (machine: M) => T, limits?: CallLimits): Promise<T> {
    return this.run((m) => ({ result: f(m), changes: [] }), limits);
  }

  /** Existence and version of the namespace, in queue order. */
  existence(limits?: CallLimits): Promise<NamespaceState> {
    return this.exclusive(async () => this.publicState(), limits);
  }

  /** Creates the namespace (idempotent), in queue order. */
  createNamespace(limits?: CallLimits): Promise<NamespaceState & { created: boolean }> {
    return this.exclusive(async () => {
      const before = this.state!;
      let s: NamespaceState & { created: boolean };
      try {
        s = await this.waitingForStore(() => this.store.createNamespace(this.namespace));
      } catch (e) {
        this.state = undefined;
        throw this.storeError("create namespace", e);
      }
      if (s.created) this.state = { exists: true, version: s.version, machine: this.opts.rebuild([]), idem: this.newTable() };
      else if (!before.exists || before.version !== s.version) this.state = undefined; // someone else wrote: reload
      return s;
    }, limits);
  }

  /**
   * Deletes the namespace, in queue order, if it exists and `refuse(machine)` returns no error (e.g. it
   * still holds prefixes). Fenced: refused if another writer changed it since it was loaded.
   */
  deleteNamespace(refuse: (machine: M) => Error | undefined, limits?: CallLimits): Promise<NamespaceState> {
    return this.exclusive(async () => {
      const s = this.state!;
      if (!s.exists) throw this.opts.missing(this.namespace);
      const why = refuse(s.machine);
      if (why) throw why;
      try {
        const version = await this.waitingForStore(() => this.store.deleteNamespace(this.namespace, s.version));
        this.state = { exists: false, version };
        return { exists: false, version };
      } catch (e) {
        this.state = undefined;
        throw this.storeError("delete namespace", e);
      }
    }, limits);
  }

  /** Number of calls waiting (not yet applied). */
  get pending(): number {
    return this.queue.length;
  }

  private exclusive<T>(run: () => Promise<T>, limits?: CallLimits): Promise<T> {
    return this.enqueue<T>({ kind: "exclusive", run }, limits);
  }

  private enqueue<T>(
    partial: Omit<StepItem<M>, "phase" | "resolve" | "reject"> | Omit<ExclusiveItem, "phase" | "resolve" | "reject">,
    limits: CallLimits = {},
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const { deadline, signal } = limits;
      if (signal?.aborted || (deadline !== undefined && Date.now() >= deadline)) {
        this.counters.expired++;
        reject(deadlineError("before it ran; nothing was applied"));
        return;
      }
      if (this.queue.length >= this.maxQueue) {
        this.counters.shed++;
        reject(
          new ServerError(
            "resource_exhausted",
            `namespace ${JSON.stringify(this.namespace)} is busy: ${this.queue.length} calls are already waiting; nothing was applied, retry with backoff`,
          ),
        );
        return;
      }
      const item = { ...partial, phase: "queued", deadline } as Item<M>;
      // The deadline passed, or the caller gave up: a queued call leaves the queue, never applied.
      const giveUp = () => {
        if (item.phase === "queued") {
          this.queue = this.queue.filter((i) => i !== item);
          this.counters.expired++;
          item.reject(deadlineError(this.storeBusy ? "while waiting for the store, before it ran; nothing was applied" : "before it ran; nothing was applied"));
        } else {
          item.reject(deadlineError("while its batch was being committed; the outcome is unknown"));
        }
      };
      const timer = deadline === undefined ? undefined : setTimeout(giveUp, deadline - Date.now());
      const cleanup = () => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener("abort", giveUp);
      };
      item.resolve = (v) => {
        if (item.phase === "done") return;
        item.phase = "done";
        cleanup();
        resolve(v as T);
      };
      item.reject = (e) => {
        if (item.phase === "done") return;
        item.phase = "done";
        cleanup();
        reject(e);
      };
      signal?.addEventListener("abort", giveUp, { once: true });
      this.queue.push(item);
      this.kick();
    });
  }

  /** Starts the drain loop after the current turn, so calls queued in the same turn share a batch. */
  private kick(): void {
    if (this.draining) return;
    this.draining = true;
    queueMicrotask(() => void this.drain());
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        if (!this.state && !(await this.load())) continue;
        const head = this.queue[0];
        if (head.kind === "exclusive") {
          this.queue.shift();
          await this.runExclusive(head);
          continue;
        }
        let n = 0;
        while (n < this.queue.length && n < this.maxBatch && this.queue[n].kind === "step") n++;
        const batch = this.queue.splice(0, n) as StepItem<M>[];
        await this.runBatch(batch);
      }
    } catch (e) {
      // Not reachable by design; never leave callers hanging if it happens.
      this.log("namespace runner: drain loop failed", e);
      this.state = undefined;
      for (const item of this.queue.splice(0)) item.reject(internal());
    } finally {
      this.draining = false;
      if (this.queue.length > 0) this.kick();
    }
  }

  /** Loads the state; on failure fails everything queued (no retry) and returns false. */
  private async load(): Promise<boolean> {
    this.counters.loads++;
    try {
      let snap = await this.waitingForStore(() => this.store.load(this.namespace));
      if (!snap.exists && snap.version === 0 && this.opts.existsByDefault) {
        await this.waitingForStore(() => this.store.createNamespace(this.namespace));
        snap = await this.waitingForStore(() => this.store.load(this.namespace));
      }
      if (snap.exists) {
        const idem = this.newTable();
        const machine = this.opts.rebuild(withoutIdempotency<LoadRecord>(snap.records, idem));
        this.state = { exists: true, version: snap.version, machine, idem };
      } else {
        this.state = { exists: false, version: snap.version };
      }
      return true;
    } catch (e) {
      this.state = undefined;
      this.log(`namespace ${JSON.stringify(this.namespace)}: load from the ${this.store.backend} store failed`, e);
      // A store that is reachable but not set up says how to fix it; that is worth showing to the caller.
      const fix = e instanceof StoreNotReadyError ? ` (${e.message})` : "";
      const err =
        e instanceof StoreMisconfiguredError
          ? new ServerError("internal", `server misconfigured: ${e.message}`)
          : new ServerError("unavailable", `namespace ${JSON.stringify(this.namespace)} could not be loaded from the store${fix}; nothing was applied`);
      for (const item of this.queue.splice(0)) item.reject(err);
      return false;
    }
  }

  private async runExclusive(item: ExclusiveItem): Promise<void> {
    if (item.phase !== "queued") return;
    if (item.deadline !== undefined && Date.now() >= item.deadline) {
      this.counters.expired++;
      item.reject(deadlineError("before it ran; nothing was applied"));
      return;
    }
    item.phase = "applied";
    this.counters.batches++;
    try {
      item.resolve(await item.run());
    } catch (e) {
      item.reject(e);
    }
  }

  private async runBatch(batch: StepItem<M>[]): Promise<void> {
    this.counters.batches++;
    this.counters.largestBatch = Math.max(this.counters.largestBatch, batch.length);
    const s = this.state!;
    let now = Date.now();
    const applied: { item: StepItem<M>; answer: RecordedOutcome | { ok: false; error: unknown } }[] = [];
    const changes: StoredChange[] = [];
    let broken = false;
    for (let i = 0; i < batch.length; i++) {
      const item = batch[i];
      if (item.phase !== "queued") continue;
      // A long step before this one may have kept its timer from firing: its deadline is checked again here.
      now = Date.now();
      if (item.deadline !== undefined && now >= item.deadline) {
        this.counters.expired++;
        item.reject(deadlineError("before it ran; nothing was applied"));
        continue;
      }
      if (!s.exists) {
        item.reject(this.opts.missing(this.namespace));
        continue;
      }
      const key = item.idempotency;
      const recorded = key && s.idem.find(key.key, now);
      if (key && recorded) {
        if (recorded.fingerprint !== key.fingerprint) {
          item.reject(keyReused(key.key));
          continue;
        }
        // Answered as the first call was, once this batch is durable (the entry may be this batch's own).
        this.counters.replayed++;
        item.phase = "applied";
        applied.push({ item, answer: recorded.outcome });
        continue;
      }
      try {
        const out = item.step(s.machine);
        item.phase = "applied";
        applied.push({ item, answer: { ok: true, result: out.result } });
        for (const c of out.changes) changes.push(c);
        if (key) changes.push(s.idem.record(key, { ok: true, result: out.result }, now));
      } catch (e) {
        if (this.opts.isDomainError(e) && (e as { halfApplied?: boolean }).halfApplied === true) {
          // Refused after changing the machine (an appending Load): answer the refusal, then rebuild as below.
          item.reject(e);
          this.queue.unshift(...batch.slice(i + 1));
          broken = true;
          break;
        }
        if (this.opts.isDomainError(e)) {
          if (key) {
            // The refusal is the answer to remember: a retry gets it again, even if the state changed meanwhile.
            const { kind, message } = e as { kind: string; message: string };
            item.phase = "applied";
            applied.push({ item, answer: { ok: false, error: e } });
            changes.push(s.idem.record(key, { ok: false, kind, message }, now));
          } else {
            item.reject(e);
          }
          continue;
        }
        // A bug: the machine may be half-changed. Fail this call, commit what came before, rebuild, and put
        // the calls after it back at the head of the queue to run on the rebuilt machine.
        this.log(`namespace ${JSON.stringify(this.namespace)}: a step threw unexpectedly; rebuilding`, e);
        item.reject(internal());
        this.queue.unshift(...batch.slice(i + 1));
        broken = true;
        break;
      }
    }
    if (changes.length > 0) {
      if (s.exists) for (const c of s.idem.expire(now)) changes.push(c);
      try {
        s.version = await this.waitingForStore(() => this.store.commit(this.namespace, s.version, changes));
        this.counters.commits++;
      } catch (e) {
        this.counters.failedCommits++;
        this.state = undefined;
        if (e instanceof CommitRefusedError) {
          this.rerun(applied.map((a) => a.item), e);
          return;
        }
        const err = this.storeError("commit", e);
        for (const { item } of applied) item.reject(err);
        return;
      }
    }
    this.counters.applied += applied.length;
    for (const { item, answer } of applied) {
      if (answer.ok) item.resolve(answer.result);
      else item.reject("error" in answer ? answer.error : outcomeError(answer as unknown as Parameters<typeof outcomeError>[0]));
    }
    if (broken) this.state = undefined;
  }

  /**
   * Nothing of the batch was written: its calls go back to the head of the queue, to run on the reloaded
   * state (answered by the next batches), unless they already ran again `maxReruns` times.
   */
  private rerun(items: StepItem<M>[], cause: CommitRefusedError): void {
    this.counters.refusedCommits++;
    const again: StepItem<M>[] = [];
    let gaveUp: ServerError | undefined;
    for (const item of items) {
      if (item.phase === "done") continue; // answered meanwhile (its deadline passed)
      item.reruns = (item.reruns ?? 0) + 1;
      if (item.reruns <= this.maxReruns) {
        item.phase = "queued";
        again.push(item);
      } else {
        gaveUp ??= this.storeError(`commit (tried ${item.reruns} times)`, cause);
        item.reject(gaveUp);
      }
    }
    this.counters.reruns += again.length;
    this.queue.unshift(...again);
  }

  private newTable(): IdempotencyTable {
    return new IdempotencyTable(this.opts.idempotency ?? DEFAULT_IDEMPOTENCY);
  }

  private async waitingForStore<T>(op: () => Promise<T>): Promise<T> {
    this.storeBusy = true;
    try {
      return await op();
    } finally {
      this.storeBusy = false;
    }
  }

  private publicState(): NamespaceState {
    const s = this.state!;
    return { exists: s.exists, version: s.version };
  }

  private storeError(what: string, e: unknown): ServerError {
    const ns = JSON.stringify(this.namespace);
    if (e instanceof CommitRefusedError) {
      this.log(`namespace ${ns}: ${what} ${e instanceof FencingError ? "fenced" : "refused"}: ${e.message}`);
      return new ServerError(
        "aborted",
        `namespace ${ns} was changed by another writer; the request was not applied, retry it`,
        { cause: e },
      );
    }
    if (e instanceof StoreMisconfiguredError) {
      return new ServerError("internal", `server misconfigured: ${e.message}`, { cause: e });
    }
    this.log(`namespace ${ns}: ${what} on the ${this.store.backend} store failed`, e);
    return new ServerError("unavailable", `the store failed to ${what} for namespace ${ns}; retry the request`, {
      cause: e,
    });
  }
}

function deadlineError(when: string): ServerError {
  return new ServerError("deadline_exceeded", `deadline exceeded ${when}`);
}

function keyReused(key: string): ServerError {
  return new ServerError(
    "idempotency_key_reused",
    `Idempotency-Key ${JSON.stringify(key)} was first sent with a different request; nothing was applied. Use a new key for a new request`,
  );
}

function internal(): ServerError {
  return new ServerError("internal", "internal error");
}
