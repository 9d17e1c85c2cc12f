// Layer 3: the store interface every backend implements (DO SQLite, Redis, Postgres, etcd, MongoDB).
//
// A store keeps, per namespace, one meta record (does it exist, its version) and the core's records
// (one per prefix, one per acquired address). It knows nothing about IPAM rules: it loads records, and it
// applies a batch of record changes atomically, fenced by the namespace version. docs/storage.md describes
// the contract and the DO SQLite layout.
//
// Versions are per namespace name and never go backwards, not even across delete and re-create: every
// successful commit, create and delete bumps them by one. Version 0 means "this name was never created".

import type { Change, IPBlockRecord, IpamRecord } from "../core/types";

/**
 * Kinds of records a store keeps besides the core's prefixes and addresses, for the layers above the core
 * (idempotency entries now; leases later). Stores keep them all alike, by kind and key, so a new kind needs no
 * store change: add it here.
 */
export const EXTRA_RECORD_KINDS = ["idempotency"] as const;
export type ExtraRecordKind = (typeof EXTRA_RECORD_KINDS)[number];

/** A record of one of the extra kinds: identified by its kind and key; every other field is the store's to keep. */
export interface ExtraRecord {
  kind: ExtraRecordKind;
  key: string;
  [field: string]: unknown;
}

/** What a store keeps: the core's records and the extra kinds. */
export type StoredRecord = IpamRecord | ExtraRecord;
export type StoredChange = Change | { op: "put" | "delete"; record: ExtraRecord };
/**
 * What a load yields: the stored records, where a store may hand many unlabelled addresses of one prefix over
 * as one block record (kind "ips": DO SQLite does). `expandRecords` (records.ts) turns blocks back into ip records.
 */
export type LoadedRecord = StoredRecord | IPBlockRecord;

export const isExtraRecord = (r: LoadedRecord): r is ExtraRecord => r.kind !== "prefix" && r.kind !== "ip" && r.kind !== "ips";

/** What a store holds about one namespace. */
export interface NamespaceSnapshot {
  /** false when the namespace was never created, or was deleted. */
  exists: boolean;
  /** The namespace's version: 0 if the name was never created; otherwise >= 1. */
  version: number;
  /**
   * The namespace's records (none when it does not exist), best with prefixes before addresses so the core
   * can build while reading. May be a lazy cursor: consume it once, right away (before any other await).
   */
  records: Iterable<LoadedRecord>;
}

/** A namespace's existence and version, without its records. */
export interface NamespaceState {
  exists: boolean;
  version: number;
}

/** What a store counts, for metrics and tests. */
export interface StoreCounters {
  /** Successful commit batches. */
  commits: number;
  /** Record changes written by those batches. */
  changes: number;
}

export interface Store {
  /** Short name of the backend, for logs and metrics ("do-sqlite", "memory", "redis", ...). */
  readonly backend: string;

  readonly counters?: StoreCounters;

  /** Reads a namespace's existence, version and records in one consistent read. */
  load(namespace: string): Promise<NamespaceSnapshot>;

  /**
   * Applies `changes` in order, all or nothing, if and only if the namespace exists and its version is still
   * `expectedVersion`; bumps the version by one and returns the new version. A put inserts or replaces the
   * record with the same key (prefix: cidr; ip: prefix + ip), a delete of a missing record is a no-op.
   * Throws FencingError (nothing written) when the namespace is missing or its version differs, another
   * CommitRefusedError (nothing written) when the database refused the transaction for a retryable reason,
   * and InvalidChangeError (nothing written) for a malformed change. Any other throw means the outcome is
   * unknown to the caller, who must reload before writing again.
   */
  commit(namespace: string, expectedVersion: number, changes: readonly StoredChange[]): Promise<number>;

  /**
   * Makes the namespace exist. Idempotent: an existing namespace is left as it is (created: false). A new or
   * deleted one starts empty with its version bumped.
   */
  createNamespace(namespace: string): Promise<NamespaceState & { created: boolean }>;

  /**
   * Deletes the namespace and every record it holds, if its version is still `expectedVersion`, leaving a
   * tombstone (exists: false, version bumped) so versions stay monotonic. Returns the new version. Throws
   * FencingError when it is missing or its version differs. Emptiness is the caller's rule, not the store's.
   */
  deleteNamespace(namespace: string, expectedVersion: number): Promise<number>;

  /** Names of the namespaces that exist in this store, sorted by code unit. */
  listNamespaces(): Promise<string[]>;

  /** A cheap round trip proving the store answers (readiness checks). */
  ping?(): Promise<void>;

  /** Releases connections; the store may be used again afterwards (it reconnects). */
  close?(): Promise<void>;
}

/**
 * A commit was refused before anything was written: the caller may reload and run its commands again.
 * Fencing is the usual reason; a database's own serialization failure (SQLSTATE 40001) is another.
 */
export class CommitRefusedError extends Error {
  override name = "CommitRefusedError";
}

/** A fenced write was refused: the namespace changed (or vanished) since the writer last read it. */
export class FencingError extends CommitRefusedError {
  override name = "FencingError";
  constructor(
    readonly namespace: string,
    readonly expectedVersion: number,
    readonly actual: NamespaceState,
  ) {
    super(
      actual.exists
        ? `namespace ${JSON.stringify(namespace)} is at version ${actual.version}, not ${expectedVersion}: another writer changed it`
        : `namespace ${JSON.stringify(namespace)} does not exist (version ${actual.version}), expected version ${expectedVersion}`,
    );
  }
}

/** A batch held a change the store cannot represent; nothing of the batch was written. */
export class InvalidChangeError extends Error {
  override readonly name = "InvalidChangeError";
}

/** Checks one change's shape; every adapter calls this for the whole batch before writing anything. */
export function validateChange(c: StoredChange): void {
  if (c === null || typeof c !== "object" || (c.op !== "put" && c.op !== "delete")) {
    throw new InvalidChangeError(`invalid change op: ${JSON.stringify((c as { op?: unknown } | null)?.op)}`);
  }
  const r = c.record as unknown as Partial<Record<string, unknown>> | null;
  if (r === null || typeof r !== "object") throw new InvalidChangeError("change without a record");
  if (r.kind === "prefix") {
    if (typeof r.cidr !== "string" || r.cidr === "" || typeof r.parentCidr !== "string") {
      throw new InvalidChangeError(`invalid prefix record: ${JSON.stringify(r)}`);
    }
  } else if (r.kind === "ip") {
    if (typeof r.prefix !== "string" || r.prefix === "" || typeof r.ip !== "string" || r.ip === "") {
      throw new InvalidChangeError(`invalid ip record: ${JSON.stringify(r)}`);
    }
  } else if ((EXTRA_RECORD_KINDS as readonly unknown[]).includes(r.kind)) {
    if (typeof r.key !== "string" || r.key === "") throw new InvalidChangeError(`invalid ${String(r.kind)} record: no key`);
  } else {
    throw new InvalidChangeError(`invalid record kind: ${JSON.stringify(r.kind)}`);
  }
}
