// The Store over etcd through its v3 JSON gateway (fetch only, no gRPC client). Every namespace has a meta key
// whose exact value every write compares; a batch that fits one txn (etcd's --max-txn-ops, 128 by default,
// and --max-request-bytes, 1.5 MiB) commits in ONE txn with that compare, a bigger one is staged and made
// visible by one fenced commit txn (etcd-staged.ts). A load reads the meta key and the records at one
// revision. Key layout: etcd-layout.ts; scheme and operations: docs/storage.md ("etcd").


import { secretsOf, type StoreConfig } from "./config";
import { DEFAULT_LIMITS, fitsOneTxn, type TxnLimits } from "./etcd-batches";
import { EtcdGateway, type KeyValue, prefixEnd, type RangeResult, type TxnRequest, type TxnResult } from "./etcd-gateway";
import {
  DIRECTORY_PREFIX,
  directoryKey,
  extraFromKV,
  ipFromKV,
  metaValue,
  type NamespaceKeys,
  namespaceKeys,
  opsOf,
  prefixFromKV,
  ROOT_PREFIX,
} from "./etcd-layout";
import { commitStaged, type EtcdIO, rollForward, stateOf, sweepStages, writeOp } from "./etcd-staged";
import { StoreUnavailableError, storeFailure, withDeadline } from "./failure";
import { collapseChanges } from "./records";
import {
  CommitRefusedError,
  FencingError,
  type NamespaceSnapshot,
  type NamespaceState,
  type Store,
  type StoreCounters,
  type StoredChange,
  type StoredRecord,
} from "./types";

type EtcdConfig = Extract<StoreConfig, { kind: "etcd" }>;

export interface EtcdCounters extends StoreCounters {
  /** Txn requests sent (commits, stages, applies, creates, deletes, loads). */
  txns: number;
  /** Live keys (records and meta) put or deleted by commits; stage keys not counted. */
  keysWritten: number;
  /** Commits too big for one txn, which went through staging. */
  stagedCommits: number;
  /** Pending staged batches a load finished. */
  rolledForward: number;
  /** Abandoned staged batches a load removed. */
  sweptStages: number;
}

export interface EtcdStoreOptions {
  /** The server's limits (default: etcd's defaults, 128 ops and 1 MiB of the 1.5 MiB request limit). */
  limits?: Partial<TxnLimits>;
  /** Keys per range page when loading (default 10,000). */
  pageSize?: number;
  /** The fetch to use (tests wrap it to cut connections at chosen points). */
  fetch?: typeof fetch;
}

/** How often load starts over when the namespace changes under it (a pending batch finished meanwhile). */
const LOAD_ATTEMPTS = 4;

export class EtcdStore implements Store {
  readonly backend = "etcd";
  readonly counters: EtcdCounters = { commits: 0, changes: 0, txns: 0, keysWritten: 0, stagedCommits: 0, rolledForward: 0, sweptStages: 0 };
  private readonly config: EtcdConfig;
  private readonly secrets: string[];
  private readonly gateway: EtcdGateway;
  private readonly limits: TxnLimits;
  private readonly pageSize: number;
  private readonly io: EtcdIO;

  constructor(config: EtcdConfig, opts: EtcdStoreOptions = {}) {
    this.config = config;
    this.secrets = secretsOf(config);
    this.gateway = new EtcdGateway(config, opts.fetch);
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.pageSize = opts.pageSize ?? 10_000;
    this.io = {
      range: (what, r) => this.call(what, (signal) => this.gateway.range(r, signal)),
      txn: (what, t) => {
        this.counters.txns++;
        return this.call(what, (signal) => this.gateway.txn(t, signal));
      },
    };
  }

  async load(namespace: string): Promise<NamespaceSnapshot> {
    const keys = namespaceKeys(namespace);
    for (let attempt = 0; attempt < LOAD_ATTEMPTS; attempt++) {
      // One read-only txn: the meta key and the first page of every part, all at one revision.
      const page = { limit: this.pageSize };
      const head = await this.io.txn("load", {
        compare: [],
        success: [
          { range: keys.meta },
          { range: keys.prefixes, rangeEnd: prefixEnd(keys.prefixes), ...page },
          { range: keys.ips, rangeEnd: prefixEnd(keys.ips), ...page },
          { range: keys.records, rangeEnd: prefixEnd(keys.records), ...page },
          { range: keys.stages, rangeEnd: prefixEnd(keys.stages), keysOnly: true, ...page },
        ],
      });
      const metaKV = head.ranges[0].kvs[0];
      const state = stateOf(metaKV);
      if (state.meta?.pending) {
        if (await rollForward(this.io, keys, state.meta, metaKV.modRevision, this.limits)) this.counters.rolledForward++;
        continue;
      }
      if (!state.exists) return { exists: false, version: state.version, records: [] };
      const prefixes = await this.rest(keys.prefixes, head.ranges[1], head.revision, false);
      const ips = await this.rest(keys.ips, head.ranges[2], head.revision, false);
      const extras = await this.rest(keys.records, head.ranges[3], head.revision, false);
      const stages = await this.rest(keys.stages, head.ranges[4], head.revision, true);
      if (stages.length > 0) {
        this.counters.sweptStages += await sweepStages(this.io, keys, stages.map((kv) => kv.key), metaKV.modRevision, this.limits);
      }
      return { exists: true, version: state.version, records: records(keys, prefixes, ips, extras) };
    }
    throw new StoreUnavailableError(`etcd: namespace ${JSON.stringify(namespace)} kept changing while it was loaded`);
  }

  /** The rest of a range whose first page is `first`, read at `revision`. */
  private async rest(prefix: string, first: { kvs: KeyValue[]; more: boolean }, revision: string, keysOnly: boolean): Promise<KeyValue[]> {
    const all = first.kvs;
    let more = first.more;
    while (more && all.length > 0) {
      const r: RangeResult = await this.io.range("load", {
        key: `${all[all.length - 1].key}\0`,
        rangeEnd: prefixEnd(prefix),
        limit: this.pageSize,
        revision,
        keysOnly,
      });
      for (const kv of r.kvs) all.push(kv);
      more = r.more;
    }
    return all;
  }

  async commit(namespace: string, expectedVersion: number, changes: readonly StoredChange[]): Promise<number> {
    const keys = namespaceKeys(namespace);
    const ops = opsOf(keys, collapseChanges(changes));
    let version: number;
    if (fitsOneTxn(ops, this.limits)) {
      const r = await this.io.txn("commit", {
        compare: [{ key: keys.meta, value: metaValue({ present: true, version: expectedVersion }) }],
        success: [...ops.map(writeOp), { put: keys.meta, value: metaValue({ present: true, version: expectedVersion + 1 }) }],
        failure: [{ range: keys.meta }],
      });
      if (!r.succeeded) throw fenced(namespace, expectedVersion, r);
      version = expectedVersion + 1;
    } else {
      try {
        version = await commitStaged(this.io, namespace, keys, expectedVersion, ops, this.limits);
      } catch (e) {
        throw storeFailure(this.backend, "commit a staged batch", e, this.secrets);
      }
      this.counters.stagedCommits++;
    }
    this.counters.commits++;
    this.counters.changes += changes.length;
    this.counters.keysWritten += ops.length + 1;
    return version;
  }

  async createNamespace(namespace: string): Promise<NamespaceState & { created: boolean }> {
    const keys = namespaceKeys(namespace);
    const fresh = (version: number): TxnRequest["success"] => [
      { put: keys.meta, value: metaValue({ present: true, version }) },
      { put: directoryKey(namespace), value: "" },
      ...clearRecords(keys),
    ];
    const first = await this.io.txn("create namespace", {
      compare: [{ key: keys.meta, createRevision: "0" }],
      success: fresh(1),
      failure: [{ range: keys.meta }],
    });
    if (first.succeeded) return { exists: true, version: 1, created: true };
    const kv = first.ranges[0].kvs[0];
    const seen = stateOf(kv);
    if (seen.exists) return { exists: true, version: seen.version, created: false };
    // A tombstone: re-create above its version, fenced on it, dropping anything a failed writer left behind.
    const second = await this.io.txn("create namespace", {
      compare: [{ key: keys.meta, modRevision: kv.modRevision }],
      success: fresh(seen.version + 1),
      failure: [{ range: keys.meta }],
    });
    if (second.succeeded) return { exists: true, version: seen.version + 1, created: true };
    const now = stateOf(second.ranges[0].kvs[0]);
    if (now.exists) return { exists: true, version: now.version, created: false };
    throw new CommitRefusedError(`namespace ${JSON.stringify(namespace)} was created and deleted concurrently; retry`);
  }

  async deleteNamespace(namespace: string, expectedVersion: number): Promise<number> {
    const keys = namespaceKeys(namespace);
    const r = await this.io.txn("delete namespace", {
      compare: [{ key: keys.meta, value: metaValue({ present: true, version: expectedVersion }) }],
      success: [
        { put: keys.meta, value: metaValue({ present: false, version: expectedVersion + 1 }) },
        { delete: directoryKey(namespace) },
        ...clearRecords(keys),
      ],
      failure: [{ range: keys.meta }],
    });
    if (!r.succeeded) throw fenced(namespace, expectedVersion, r);
    return expectedVersion + 1;
  }

  async listNamespaces(): Promise<string[]> {
    const names: string[] = [];
    let key = DIRECTORY_PREFIX;
    for (;;) {
      const r = await this.io.range("list namespaces", { key, rangeEnd: prefixEnd(DIRECTORY_PREFIX), limit: this.pageSize, keysOnly: true });
      for (const kv of r.kvs) names.push(kv.key.slice(DIRECTORY_PREFIX.length));
      if (!r.more || r.kvs.length === 0) break;
      key = `${r.kvs[r.kvs.length - 1].key}\0`;
    }
    return names.sort();
  }

  async ping(): Promise<void> {
    await this.io.range("ping", { key: ROOT_PREFIX, keysOnly: true });
  }

  /** One round trip under the store's deadline; anything but the store's own refusals becomes StoreUnavailableError. */
  private async call<T>(what: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    try {
      return await withDeadline(this.config.timeoutMs, `etcd ${what}`, work);
    } catch (e) {
      throw storeFailure(this.backend, what, e, this.secrets);
    }
  }
}

const clearRecords = (keys: NamespaceKeys): TxnRequest["success"] =>
  [keys.prefixes, keys.ips, keys.records, keys.stages].map((p) => ({ deleteRange: p, rangeEnd: prefixEnd(p) }));

function fenced(namespace: string, expectedVersion: number, r: TxnResult): FencingError {
  const s = stateOf(r.ranges[0]?.kvs[0]);
  return new FencingError(namespace, expectedVersion, { exists: s.exists, version: s.version });
}

function* records(keys: NamespaceKeys, prefixes: KeyValue[], ips: KeyValue[], extras: KeyValue[]): IterableIterator<StoredRecord> {
  for (const kv of prefixes) yield prefixFromKV(keys, kv.key, kv.value);
  for (const kv of ips) yield ipFromKV(keys, kv.key, kv.value);
  for (const kv of extras) yield extraFromKV(keys, kv.key, kv.value);
}
