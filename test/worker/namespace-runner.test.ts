// Unit tests of the namespace runner (layer 4) with a toy state machine over the in-memory store, wrapped
// so a test can hold a commit in flight, fail it, or write behind the runner's back.
import { describe, expect, it, vi } from "vitest";
import { IpamError, isIpamError, namespaceNotFound } from "../../src/core/errors";
import type { Change, IpamRecord } from "../../src/core/types";
import { ServerError } from "../../src/server/errors";
import { NamespaceRunner, type RunnerOptions } from "../../src/server/namespace-runner";
import { ReferenceStore } from "../../src/storage/reference-store";

/** A toy allocator: hands out the lowest free integer; one ip record per held integer. */
class Toy {
  readonly held = new Set<number>();
  static rebuild(records: Iterable<IpamRecord>): Toy {
    const t = new Toy();
    for (const r of records) if (r.kind === "ip") t.held.add(Number(r.ip));
    return t;
  }
  acquire(): { result: number; changes: Change[] } {
    let n = 0;
    while (this.held.has(n)) n++;
    this.held.add(n);
    return { result: n, changes: [{ op: "put", record: rec(n) }] };
  }
  release(n: number): { result: number; changes: Change[] } {
    if (!this.held.has(n)) throw new IpamError("ip_not_allocated", `${n} is not held`);
    this.held.delete(n);
    return { result: n, changes: [{ op: "delete", record: rec(n) }] };
  }
  /** A bug: changes the state, then throws something that is not a domain error. */
  boom(): never {
    this.held.add(1000);
    throw new TypeError("boom");
  }
}
const rec = (n: number): IpamRecord => ({ kind: "ip", prefix: "toy", ip: String(n) });

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
}
const deferred = (): Deferred => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

/** ReferenceStore whose commits can be held in flight or made to fail; records each batch's size. */
class TestStore extends ReferenceStore {
  batches: number[] = [];
  hold: Deferred | undefined;
  inFlight = 0;
  failNext: Error | undefined;
  failLoad: Error | undefined;
  override async commit(ns: string, v: number, changes: readonly Change[]): Promise<number> {
    this.inFlight++;
    try {
      if (this.hold) await this.hold.promise;
      if (this.failNext) {
        const e = this.failNext;
        this.failNext = undefined;
        throw e;
      }
      const out = await super.commit(ns, v, changes);
      this.batches.push(changes.length);
      return out;
    } finally {
      this.inFlight--;
    }
  }
  override async load(ns: string) {
    if (this.failLoad) {
      const e = this.failLoad;
      this.failLoad = undefined;
      throw e;
    }
    return super.load(ns);
  }
}

const silent = () => {};

type SetupOptions = { create?: boolean; store?: TestStore } & Pick<
  RunnerOptions<Toy>,
  "existsByDefault" | "maxQueue" | "maxReruns" | "idempotency" | "maxBatch"
>;

/** A toy runner over `store` (a fresh one, with the namespace created, unless given). */
function toyRunner(store: TestStore, opts: SetupOptions = {}): NamespaceRunner<Toy> {
  const { create: _c, store: _s, ...rest } = opts;
  return new NamespaceRunner<Toy>({ namespace: "toy", store, rebuild: Toy.rebuild, missing: namespaceNotFound, isDomainError: isIpamError, log: silent, ...rest });
}

async function setup(opts: SetupOptions = {}) {
  const store = opts.store ?? new TestStore();
  if (opts.create !== false) await store.createNamespace("toy");
  const runner = toyRunner(store, opts);
  const acquire = (signal?: AbortSignal) => runner.run((t) => t.acquire(), { signal });
  const acquireBy = (deadline: number) => runner.run((t) => t.acquire(), { deadline });
  const release = (n: number) => runner.run((t) => t.release(n));
  const held = () => runner.read((t) => [...t.held].sort((a, b) => a - b));
  return { store, runner, acquire, acquireBy, release, held };
}

/** Lets queued microtasks and promise chains run. */
const settle = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

/** Resolves when the store has a commit in flight. */
async function untilInFlight(store: TestStore): Promise<void> {
  for (let i = 0; i < 1000 && store.inFlight === 0; i++) await Promise.resolve();
  expect(store.inFlight).toBe(1);
}

describe("namespace runner: group commit", () => {
  it("commits calls made in the same turn as one batch", async () => {
    const { store, acquire } = await setup();
    const results = await Promise.all([acquire(), acquire(), acquire(), acquire(), acquire()]);
    expect(results).toEqual([0, 1, 2, 3, 4]);
    expect(store.batches).toEqual([5]);
  });

  it("commits the N calls that arrive during an in-flight commit in ONE next batch", async () => {
    const { store, runner, acquire } = await setup();
    store.hold = deferred();
    const first = acquire();
    await untilInFlight(store);
    const rest: Promise<number>[] = [];
    for (let i = 0; i < 63; i++) {
      rest.push(acquire());
      await settle(); // separate arrivals, not one turn
    }
    expect(runner.pending).toBe(63);
    const hold = store.hold;
    store.hold = undefined;
    hold.resolve();
    expect(await first).toBe(0);
    const got = await Promise.all(rest);
    expect(new Set(got).size).toBe(63);
    expect(got).toEqual(Array.from({ length: 63 }, (_, i) => i + 1)); // FIFO
    expect(store.batches).toEqual([1, 63]);
    expect(runner.counters.commits).toBe(2);
    expect(runner.counters.largestBatch).toBe(63);
  });

  it("caps a batch at maxBatch calls", async () => {
    const { store, runner } = await setup({ maxBatch: 4 });
    await Promise.all(Array.from({ length: 10 }, () => runner.run((t) => t.acquire())));
    expect(store.batches).toEqual([4, 4, 2]);
  });

  it("fails only the calls whose step failed; the rest of the batch commits", async () => {
    const { store, acquire, release, held } = await setup();
    const [a, b, c] = await Promise.allSettled([acquire(), release(99), acquire()]);
    expect(a).toEqual({ status: "fulfilled", value: 0 });
    expect(b.status).toBe("rejected");
    expect((b as PromiseRejectedResult).reason).toBeInstanceOf(IpamError);
    expect((b as PromiseRejectedResult).reason.kind).toBe("ip_not_allocated");
    expect(c).toEqual({ status: "fulfilled", value: 1 });
    expect(store.batches).toEqual([2]);
    expect(await held()).toEqual([0, 1]);
  });

  it("answers a batch that changes nothing without a commit", async () => {
    const { store, held, release } = await setup();
    const [h, r] = await Promise.allSettled([held(), release(5)]);
    expect(h).toEqual({ status: "fulfilled", value: [] });
    expect(r.status).toBe("rejected");
    expect(store.batches).toEqual([]);
  });
});

describe("namespace runner: reads", () => {
  it("a read applied after a write is answered only once that write is committed", async () => {
    const { store, acquire, held } = await setup();
    store.hold = deferred();
    let readDone = false;
    const w = acquire();
    const r = held().then((v) => ((readDone = true), v));
    await untilInFlight(store);
    await settle();
    expect(readDone).toBe(false);
    store.hold.resolve();
    expect(await w).toBe(0);
    expect(await r).toEqual([0]);
  });

  it("a read arriving during an in-flight commit waits for it and sees it", async () => {
    const { store, acquire, held } = await setup();
    store.hold = deferred();
    const w = acquire();
    await untilInFlight(store);
    let readDone = false;
    const r = held().then((v) => ((readDone = true), v));
    await settle();
    expect(readDone).toBe(false);
    const hold = store.hold;
    store.hold = undefined;
    hold.resolve();
    await w;
    expect(await r).toEqual([0]);
  });

  it("a read that saw uncommitted state fails with its batch when the commit fails", async () => {
    const { store, acquire, held } = await setup();
    store.failNext = new Error("disk on fire");
    const [w, r] = await Promise.allSettled([acquire(), held()]);
    expect(w.status).toBe("rejected");
    expect(r.status).toBe("rejected");
    expect((r as PromiseRejectedResult).reason).toBeInstanceOf(ServerError);
    expect(await held()).toEqual([]);
  });
});

describe("namespace runner: failures", () => {
  it("a failed commit fails every call of the batch and rebuilds the state from the store", async () => {
    const { store, runner, acquire, held } = await setup();
    expect(await acquire()).toBe(0);
    store.failNext = new Error("store down");
    const out = await Promise.allSettled([acquire(), acquire(), acquire()]);
    for (const o of out) {
      expect(o.status).toBe("rejected");
      const e = (o as PromiseRejectedResult).reason as ServerError;
      expect(e).toBeInstanceOf(ServerError);
      expect(e.kind).toBe("unavailable");
      expect(e.message).not.toContain("store down"); // the cause is logged, not forwarded
    }
    // Nothing half-applied stayed in memory: the next acquire gets 1, not 4.
    expect(await acquire()).toBe(1);
    expect(await held()).toEqual([0, 1]);
    expect(runner.counters.loads).toBe(2);
    expect(runner.counters.failedCommits).toBe(1);
  });

  it("a fenced commit (another writer) reloads and runs its calls again on the fresh state", async () => {
    const { store, runner, acquire, held } = await setup();
    expect(await acquire()).toBe(0);
    // Another writer takes 1 behind the runner's back.
    const snap = await store.load("toy");
    await store.commit("toy", snap.version, [{ op: "put", record: rec(1) }]);
    // The runner's next batch (two acquires) is fenced, reloaded and run again: they see 1 as taken.
    expect(await Promise.all([acquire(), acquire()])).toEqual([2, 3]);
    expect(await held()).toEqual([0, 1, 2, 3]);
    expect(runner.counters).toMatchObject({ refusedCommits: 1, reruns: 2, loads: 2 });
  });

  it("a call fenced again and again gives up with 'aborted' after maxReruns runs, nothing applied", async () => {
    const { store, runner } = await setup({ maxReruns: 2 });
    // Every commit of the runner is preceded by another writer's.
    const commit = store.commit.bind(store);
    store.commit = async (ns, v, changes) => {
      const snap = await store.load(ns);
      await commit(ns, snap.version, []);
      return commit(ns, v, changes);
    };
    const e = (await runner.run((t) => t.acquire()).catch((x: unknown) => x)) as ServerError;
    expect(e).toBeInstanceOf(ServerError);
    expect(e.kind).toBe("aborted");
    expect(e.message).toContain("changed by another writer");
    expect(runner.counters).toMatchObject({ refusedCommits: 3, reruns: 2 });
    expect([...(await store.load("toy")).records]).toEqual([]);
  });

  it("a call whose deadline passes while its fenced batch waits to run again is dropped, never applied", async () => {
    const { store, runner, acquire, held } = await setup();
    expect(await acquire()).toBe(0);
    const snap = await store.load("toy");
    await store.commit("toy", snap.version, [{ op: "put", record: rec(1) }]); // fences the runner's next batch
    const controller = new AbortController();
    const load = store.load.bind(store);
    store.load = async (ns) => {
      controller.abort(); // the deadline passes while the runner reloads after the fence
      return load(ns);
    };
    const e = (await runner.run((t) => t.acquire(), { signal: controller.signal }).catch((x: unknown) => x)) as ServerError;
    expect(e.kind).toBe("deadline_exceeded");
    expect(e.message).toContain("nothing was applied");
    expect(runner.counters).toMatchObject({ refusedCommits: 1, reruns: 1 });
    store.load = load;
    expect(await acquire()).toBe(2);
    expect(await held()).toEqual([0, 1, 2]);
  });

  it("a step that throws unexpectedly fails with 'internal'; earlier steps commit; later ones run on the rebuilt state", async () => {
    const { store, runner, acquire, held } = await setup();
    const all = await Promise.allSettled([acquire(), runner.run((t) => t.boom()), acquire(), acquire()]);
    expect(all[0]).toEqual({ status: "fulfilled", value: 0 });
    const e = (all[1] as PromiseRejectedResult).reason as ServerError;
    expect(e).toBeInstanceOf(ServerError);
    expect(e.kind).toBe("internal");
    expect(e.message).toBe("internal error");
    expect(all[2]).toEqual({ status: "fulfilled", value: 1 });
    expect(all[3]).toEqual({ status: "fulfilled", value: 2 });
    expect(await held()).toEqual([0, 1, 2]); // 1000 (the half-applied bug) is gone
    expect(store.batches).toEqual([1, 2]);
  });

  it("a failed load fails the waiting calls without retrying; the next call loads again", async () => {
    const { store, runner, acquire } = await setup();
    store.failLoad = new Error("unreachable");
    const out = await Promise.allSettled([acquire(), acquire()]);
    expect(out.map((o) => o.status)).toEqual(["rejected", "rejected"]);
    expect(((out[0] as PromiseRejectedResult).reason as ServerError).kind).toBe("unavailable");
    expect(runner.counters.loads).toBe(1);
    expect(await acquire()).toBe(0);
    expect(runner.counters.loads).toBe(2);
  });
});

describe("namespace runner: deadlines", () => {
  it("an already aborted call is refused and never applied", async () => {
    const { acquire, held } = await setup();
    const ac = new AbortController();
    ac.abort();
    const e = await acquire(ac.signal).catch((x: unknown) => x);
    expect((e as ServerError).kind).toBe("deadline_exceeded");
    expect(await held()).toEqual([]);
  });

  it("a call aborted while queued is dropped and never applied", async () => {
    const { store, acquire, held } = await setup();
    store.hold = deferred();
    const first = acquire();
    await untilInFlight(store);
    const ac = new AbortController();
    const queued = acquire(ac.signal);
    const after = acquire();
    ac.abort();
    const e = await queued.catch((x: unknown) => x);
    expect((e as ServerError).kind).toBe("deadline_exceeded");
    expect((e as ServerError).message).toContain("nothing was applied");
    const hold = store.hold;
    store.hold = undefined;
    hold.resolve();
    expect(await first).toBe(0);
    expect(await after).toBe(1); // the dropped call took nothing
    expect(await held()).toEqual([0, 1]);
  });

  it("a call aborted while its batch commits is answered at once, with an unknown outcome", async () => {
    const { store, acquire, held } = await setup();
    store.hold = deferred();
    const ac = new AbortController();
    const p = acquire(ac.signal);
    await untilInFlight(store);
    ac.abort();
    const e = await p.catch((x: unknown) => x);
    expect((e as ServerError).kind).toBe("deadline_exceeded");
    expect((e as ServerError).message).toContain("unknown");
    expect(store.inFlight).toBe(1); // still committing
    store.hold.resolve();
    expect(await held()).toEqual([0]); // it did commit
  });

  it("AbortSignal.timeout drops a call stuck behind a slow commit", async () => {
    const { store, acquire, held } = await setup();
    store.hold = deferred();
    const first = acquire();
    await untilInFlight(store);
    const e = await acquire(AbortSignal.timeout(5)).catch((x: unknown) => x);
    expect((e as ServerError).kind).toBe("deadline_exceeded");
    const hold = store.hold;
    store.hold = undefined;
    hold.resolve();
    await first;
    expect(await held()).toEqual([0]);
  });
});

describe("namespace runner: absolute deadlines", () => {
  it("a call whose deadline has already passed when it arrives is refused and never applied", async () => {
    const { runner, acquireBy, held } = await setup();
    const e = (await acquireBy(Date.now() - 1).catch((x: unknown) => x)) as ServerError;
    expect(e.kind).toBe("deadline_exceeded");
    expect(e.message).toContain("nothing was applied");
    expect(await held()).toEqual([]);
    expect(runner.counters.expired).toBe(1);
  });

  it("a deadline that passes while a long step runs ahead of the call is caught when its batch is applied", async () => {
    const { runner, acquireBy, held } = await setup();
    await held(); // loaded
    const start = Date.now();
    // A long step (a ListIPs of a huge prefix, say) keeps timers from firing; the clock moves on meanwhile.
    const slow = runner.read(() => {
      vi.spyOn(Date, "now").mockReturnValue(start + 1_000);
      return "done";
    });
    const late = acquireBy(start + 50); // queued behind it, in the same batch
    try {
      expect(await slow).toBe("done");
      const e = (await late.catch((x: unknown) => x)) as ServerError;
      expect(e.kind).toBe("deadline_exceeded");
      expect(e.message).toContain("nothing was applied");
    } finally {
      vi.restoreAllMocks();
    }
    expect(await held()).toEqual([]);
    expect(runner.counters.expired).toBe(1);
  });

  it("the deadline's timer drops a call stuck behind a slow commit, and no timer outlives a call", async () => {
    const { store, acquire, acquireBy, held } = await setup();
    store.hold = deferred();
    const first = acquire();
    await untilInFlight(store);
    const e = (await acquireBy(Date.now() + 5).catch((x: unknown) => x)) as ServerError;
    expect(e.kind).toBe("deadline_exceeded");
    const hold = store.hold;
    store.hold = undefined;
    hold.resolve();
    await first;
    const cleared = vi.spyOn(globalThis, "clearTimeout");
    expect(await acquireBy(Date.now() + 60_000)).toBe(1);
    expect(cleared).toHaveBeenCalled();
    vi.restoreAllMocks();
    expect(await held()).toEqual([0, 1]);
  });
});

describe("namespace runner: load shedding", () => {
  it("a call that finds the queue full is refused at once with resource_exhausted; the others run", async () => {
    const { store, runner, acquire, held } = await setup({ maxQueue: 3 });
    store.hold = deferred();
    const first = acquire(); // in flight, not waiting
    await untilInFlight(store);
    const waiting = [acquire(), acquire(), acquire()];
    const refused = (await acquire().catch((x: unknown) => x)) as ServerError;
    expect(refused.kind).toBe("resource_exhausted");
    expect(refused.message).toMatch(/namespace "toy" is busy: 3 calls are already waiting; nothing was applied, retry with backoff/);
    expect(runner.counters.shed).toBe(1);
    const hold = store.hold;
    store.hold = undefined;
    hold.resolve();
    expect([await first, ...(await Promise.all(waiting))]).toEqual([0, 1, 2, 3]);
    expect(await held()).toEqual([0, 1, 2, 3]);
  });
});

describe("namespace runner: idempotency keys", () => {
  const key = (k: string, fingerprint = "fp-1") => ({ idempotency: { key: k, fingerprint } });

  it("a retry with the same key and request is answered from the record and never applied again", async () => {
    const { store, runner, held } = await setup();
    expect(await runner.run((t) => t.acquire(), key("k1"))).toBe(0);
    expect(await runner.run((t) => t.acquire(), key("k1"))).toBe(0);
    expect(await runner.run((t) => t.acquire(), key("k2"))).toBe(1);
    expect(await held()).toEqual([0, 1]);
    expect(runner.counters.replayed).toBe(1);
    // The entry was written in the same commit as the change it guards: one commit per first call.
    expect(store.batches).toEqual([2, 2]);
    const entries = [...(await store.load("toy")).records].filter((r) => r.kind === "idempotency");
    expect(entries.map((r) => (r as { key: string }).key).sort()).toEqual(["k1", "k2"]);
  });

  it("an error is the answer too: the retry gets it again, even once the state would now allow the call", async () => {
    const { runner, release, acquire } = await setup();
    const first = (await runner.run((t) => t.release(5), key("r5")).catch((e: unknown) => e)) as IpamError;
    expect(first).toBeInstanceOf(IpamError);
    expect(first.kind).toBe("ip_not_allocated");
    for (let i = 0; i < 6; i++) await acquire(); // 5 is now held
    const again = (await runner.run((t) => t.release(5), key("r5")).catch((e: unknown) => e)) as IpamError;
    expect([again.kind, again.message]).toEqual([first.kind, first.message]);
    expect(await release(5)).toBe(5); // without the key it runs
  });

  it("a recorded answer keeps its bigints (usage counters) across a reload", async () => {
    const { store, runner } = await setup();
    const step = (t: Toy) => ({ result: { n: 2n ** 64n - 1n, list: [1n] }, changes: t.acquire().changes });
    expect(await runner.run(step, key("big"))).toEqual({ n: 2n ** 64n - 1n, list: [1n] });
    expect(await toyRunner(store).run(step, key("big"))).toEqual({ n: 2n ** 64n - 1n, list: [1n] });
  });

  it("the same key with another request is refused, naming the key; nothing is applied", async () => {
    const { runner, held } = await setup();
    await runner.run((t) => t.acquire(), key("k", "fp-a"));
    const e = (await runner.run((t) => t.acquire(), key("k", "fp-b")).catch((x: unknown) => x)) as ServerError;
    expect(e.kind).toBe("idempotency_key_reused");
    expect(e.message).toContain('Idempotency-Key "k" was first sent with a different request');
    expect(await held()).toEqual([0]);
  });

  it("two calls with one key in one batch: the second is answered as the first, after the commit", async () => {
    const { runner, held, store } = await setup();
    const [a, b] = await Promise.all([runner.run((t) => t.acquire(), key("same")), runner.run((t) => t.acquire(), key("same"))]);
    expect([a, b]).toEqual([0, 0]);
    expect(await held()).toEqual([0]);
    expect(store.batches).toEqual([2]);
  });

  it("replays survive a reload (a restarted object) and a failed commit whose outcome was unknown", async () => {
    const { store, runner, held } = await setup();
    await runner.run((t) => t.acquire(), key("k1"));
    // A commit that applied but whose answer was lost: the caller saw a failure.
    const commit = store.commit.bind(store);
    store.commit = async (ns, v, changes) => {
      await commit(ns, v, changes);
      throw new Error("connection dropped after the commit was sent");
    };
    const lost = (await runner.run((t) => t.acquire(), key("k2")).catch((e: unknown) => e)) as ServerError;
    expect(lost.kind).toBe("unavailable");
    store.commit = commit;
    // The retry with the same key settles it: the address it got, not a second one.
    expect(await runner.run((t) => t.acquire(), key("k2"))).toBe(1);
    expect(await held()).toEqual([0, 1]);
    // A fresh runner over the same store (a restarted object) replays too.
    const fresh = toyRunner(store);
    expect(await fresh.run((t) => t.acquire(), key("k1"))).toBe(0);
    expect(fresh.counters.replayed).toBe(1);
  });

  it("entries expire after the retention time, a few with each commit, without a scan", async () => {
    const { store, runner } = await setup({ idempotency: { retentionMs: 1_000, maxKeys: 100 } });
    const t0 = Date.now();
    for (let i = 0; i < 20; i++) await runner.run((t) => t.acquire(), key(`old-${i}`));
    vi.spyOn(Date, "now").mockReturnValue(t0 + 5_000);
    try {
      // A key past its retention runs again.
      expect(await runner.run((t) => t.acquire(), key("old-0"))).toBe(20);
      await runner.run((t) => t.acquire());
    } finally {
      vi.restoreAllMocks();
    }
    const left = [...(await store.load("toy")).records].filter((r) => r.kind === "idempotency").map((r) => (r as { key: string }).key);
    // Two commits dropped 16 expired entries each at most; "old-0" was written again.
    expect(left.length).toBeLessThan(20);
    expect(left).toContain("old-0");
  });

  it("keeps at most maxKeys entries, dropping the oldest first", async () => {
    const { store, runner } = await setup({ idempotency: { retentionMs: 60_000, maxKeys: 5 } });
    for (let i = 0; i < 12; i++) await runner.run((t) => t.acquire(), key(`k${i}`));
    const left = [...(await store.load("toy")).records].filter((r) => r.kind === "idempotency").map((r) => (r as { key: string }).key);
    expect(left.sort()).toEqual(["k10", "k11", "k7", "k8", "k9"]);
  });
});

describe("namespace runner: namespace lifecycle", () => {
  it("calls on a namespace that does not exist fail with namespace_not_found; create makes it usable", async () => {
    const { runner, acquire } = await setup({ create: false });
    const e = await acquire().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(IpamError);
    expect((e as IpamError).kind).toBe("namespace_not_found");
    expect(await runner.existence()).toEqual({ exists: false, version: 0 });
    const c = await runner.createNamespace();
    expect(c.created).toBe(true);
    expect(await acquire()).toBe(0);
    expect((await runner.createNamespace()).created).toBe(false); // idempotent
    expect(await acquire()).toBe(1);
  });

  it("a namespace that exists by default is created in the store on first load", async () => {
    const { store, runner, acquire } = await setup({ create: false, existsByDefault: true });
    expect(await acquire()).toBe(0);
    expect(await store.listNamespaces()).toEqual(["toy"]);
    expect((await runner.existence()).exists).toBe(true);
  });

  it("delete is refused while the machine says so, then deletes; later calls fail; versions only grow", async () => {
    const { store, runner, acquire, release } = await setup();
    await acquire();
    const refuse = (t: Toy) => (t.held.size > 0 ? new IpamError("conflict", "not empty") : undefined);
    await expect(runner.deleteNamespace(refuse)).rejects.toMatchObject({ kind: "conflict" });
    await release(0);
    const before = await runner.existence();
    const d = await runner.deleteNamespace(refuse);
    expect(d.exists).toBe(false);
    expect(d.version).toBe(before.version + 1);
    await expect(acquire()).rejects.toMatchObject({ kind: "namespace_not_found" });
    await expect(runner.deleteNamespace(refuse)).rejects.toMatchObject({ kind: "namespace_not_found" });
    expect(await store.listNamespaces()).toEqual([]);
    const c = await runner.createNamespace();
    expect(c.version).toBeGreaterThan(d.version);
    expect(await acquire()).toBe(0);
  });

  it("create and delete are ordered with the calls around them", async () => {
    const { runner, acquire, release } = await setup({ create: false });
    const refuse = () => undefined;
    const out = await Promise.allSettled([
      acquire(), // before create: not found
      runner.createNamespace(),
      acquire(), // 0
      release(0),
      runner.deleteNamespace(refuse),
      acquire(), // after delete: not found
    ]);
    expect(out.map((o) => o.status)).toEqual(["rejected", "fulfilled", "fulfilled", "fulfilled", "fulfilled", "rejected"]);
    expect((out[2] as PromiseFulfilledResult<number>).value).toBe(0);
  });
});
