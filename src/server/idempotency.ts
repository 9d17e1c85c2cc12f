// A namespace's idempotency entries: for each Idempotency-Key a call carried, a fingerprint of the request and
// the answer it got (success or error). Entries are records of the store (kind "idempotency"), written in the
// same commit as the change they guard, so an answer lost to a timeout or a failed store can always be settled
// by retrying with the same key. They expire after a retention time, oldest first, a few with every commit
// that writes anyway: no scan of the namespace, no extra commit.

import { type ExtraRecord, isExtraRecord, type LoadedRecord, type StoredChange, type StoredRecord } from "../storage/types";

/** What a call carried: its key, and a fingerprint of the request it was sent with. */
export interface IdempotencyKey {
  key: string;
  fingerprint: string;
}

/** The first call's answer, as it is replayed. */
export type RecordedOutcome = { ok: true; result: unknown } | { ok: false; kind: string; message: string };

interface Entry {
  fingerprint: string;
  outcome: RecordedOutcome;
  expiresAt: number;
}

export interface IdempotencySettings {
  /** How long an entry is kept (ms). */
  retentionMs: number;
  /** Most entries per namespace; beyond it the oldest go first. */
  maxKeys: number;
}

export const DEFAULT_IDEMPOTENCY: IdempotencySettings = { retentionMs: 24 * 60 * 60 * 1000, maxKeys: 10_000 };

/** Most expired entries dropped per commit (the rest go with the following ones). */
const EXPIRE_PER_COMMIT = 16;

// Results may hold bigints (usage counters): JSON with a tag for them. The results of mutating calls have none,
// so plain JSON is tried first (a replacer costs a call per value), and JSON refuses a bigint outright.
const encode = (o: RecordedOutcome) => {
  try {
    return JSON.stringify(o);
  } catch {
    return JSON.stringify(o, (_k, v: unknown) => (typeof v === "bigint" ? { $bigint: v.toString() } : v));
  }
};
const decode = (s: string) =>
  JSON.parse(s, (_k, v: unknown) =>
    v !== null && typeof v === "object" && typeof (v as { $bigint?: unknown }).$bigint === "string" ? BigInt((v as { $bigint: string }).$bigint) : v,
  ) as RecordedOutcome;

export class IdempotencyTable {
  private readonly entries = new Map<string, Entry>();
  /**
   * Keys in expiry order (every entry lives equally long, so that is the order they were recorded in), read from
   * `head`. A plain array, not the Map's own order: a Map keeps deleted entries until it rehashes, so walking it
   * from the oldest end gets slower with every entry dropped there (docs/engineering-notes.md).
   */
  private order: { key: string; expiresAt: number }[] = [];
  private head = 0;

  constructor(private readonly settings: IdempotencySettings = DEFAULT_IDEMPOTENCY) {}

  get size(): number {
    return this.entries.size;
  }

  /** Adds a loaded record (in any order: sorted when loading is done, see settle()). */
  load(r: ExtraRecord): void {
    this.entries.set(r.key, { fingerprint: String(r.fingerprint), outcome: decode(String(r.outcome)), expiresAt: Number(r.expiresAt) });
  }

  /** Puts the loaded entries in expiry order. */
  settle(): void {
    this.order = [...this.entries].map(([key, e]) => ({ key, expiresAt: e.expiresAt })).sort((a, b) => a.expiresAt - b.expiresAt);
    this.head = 0;
  }

  /** The live entry for `key`, if any. */
  find(key: string, now: number): Entry | undefined {
    const e = this.entries.get(key);
    return e && e.expiresAt > now ? e : undefined;
  }

  /** Records a call's answer; returns the change that persists it. */
  record(call: IdempotencyKey, outcome: RecordedOutcome, now: number): StoredChange {
    const entry: Entry = { fingerprint: call.fingerprint, outcome, expiresAt: now + this.settings.retentionMs };
    this.entries.set(call.key, entry);
    this.order.push({ key: call.key, expiresAt: entry.expiresAt });
    return { op: "put", record: { kind: "idempotency", key: call.key, fingerprint: entry.fingerprint, outcome: encode(outcome), expiresAt: entry.expiresAt } };
  }

  /** Drops the oldest entries that expired, or overflow the bound; returns the deletes to commit with them. */
  expire(now: number): StoredChange[] {
    const out: StoredChange[] = [];
    while (this.head < this.order.length && out.length < EXPIRE_PER_COMMIT) {
      const { key, expiresAt } = this.order[this.head];
      const e = this.entries.get(key);
      if (e === undefined || e.expiresAt !== expiresAt) {
        this.head++; // recorded again later: its newer place in the order counts
        continue;
      }
      if (expiresAt > now && this.entries.size <= this.settings.maxKeys) break;
      this.head++;
      this.entries.delete(key);
      out.push({ op: "delete", record: { kind: "idempotency", key } });
    }
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
    return out;
  }
}

/** Splits a namespace's loaded records: its idempotency entries into `table`, the rest passed on. */
export function* withoutIdempotency<R>(records: Iterable<LoadedRecord>, table: IdempotencyTable): IterableIterator<R> {
  for (const r of records) {
    if (!isExtraRecord(r)) yield r as R;
    else if (r.kind === "idempotency") table.load(r);
  }
  table.settle();
}
