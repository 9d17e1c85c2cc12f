// How a batch of key writes is cut to fit etcd's limits: a txn holds at most --max-txn-ops operations per
// branch (and as many compares), 128 by default, and a request at most --max-request-bytes, 1.5 MiB by
// default. A batch that fits one txn next to its meta write commits in one txn; a bigger one is planned here
// as a staged batch (docs/storage.md, "etcd"): the operations the commit txn can carry itself, the rest as
// stage values, and the chunks in which the rest is applied afterwards.

import { utf8Length } from "./etcd-gateway";
import { type NamespaceKeys, type Op, stageEntry } from "./etcd-layout";

export interface TxnLimits {
  /** Operations per txn branch, and compares per txn: etcd's --max-txn-ops. */
  maxTxnOps: number;
  /** Bytes of keys and values per request, kept well under etcd's --max-request-bytes. */
  maxRequestBytes: number;
}

/** Fits a server with etcd's default limits (128 ops; 1.5 MiB, of which we use 1 MiB). */
export const DEFAULT_LIMITS: TxnLimits = { maxTxnOps: 128, maxRequestBytes: 1024 * 1024 };

/** Protobuf framing of one op in a request, rounded up generously. */
const OP_OVERHEAD_BYTES = 32;
/** What a txn carries besides its ops (compares, the meta key and value, the header): a generous bound. */
export const TXN_RESERVE_BYTES = 4096;

export const opBytes = (op: Op) => utf8Length(op.key) + (op.value === undefined ? 0 : utf8Length(op.value)) + OP_OVERHEAD_BYTES;

/** Whether `ops` plus the meta write fit in one txn. */
export function fitsOneTxn(ops: readonly Op[], limits: TxnLimits): boolean {
  if (ops.length + 1 > limits.maxTxnOps) return false;
  let bytes = TXN_RESERVE_BYTES;
  for (const op of ops) if ((bytes += opBytes(op)) > limits.maxRequestBytes) return false;
  return true;
}

/** Cuts `ops` into consecutive runs of at most `maxOps` ops and `maxBytes` bytes (a single larger op alone). */
export function cutRuns(ops: readonly Op[], maxOps: number, maxBytes: number): Op[][] {
  const runs: Op[][] = [];
  let run: Op[] = [];
  let bytes = 0;
  for (const op of ops) {
    const b = opBytes(op);
    if (run.length > 0 && (run.length >= maxOps || bytes + b > maxBytes)) {
      runs.push(run);
      run = [];
      bytes = 0;
    }
    run.push(op);
    bytes += b;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

export interface StagedPlan {
  /** Applied by the commit txn itself, atomically with the commit point. */
  inline: Op[];
  /** The other operations, as stage values (one per stage key, each fitting a request). */
  stages: string[];
  /** Whether the only stage value rides in the commit txn (else every stage is written before it). */
  stageInline: boolean;
  /** The staged operations in apply txns; the last leaves room for the meta write and the stage cleanup. */
  apply: Op[][];
}

/** Plans a batch that does not fit one txn. Throws if it needs more stage keys than a txn can compare. */
export function planStaged(keys: NamespaceKeys, ops: readonly Op[], limits: TxnLimits): StagedPlan {
  const budget = limits.maxRequestBytes - TXN_RESERVE_BYTES;
  // The commit txn carries the meta write, maybe one stage put, and up to a quarter of a request of ops.
  let k = 0;
  let inlineBytes = 0;
  while (k < ops.length && k < limits.maxTxnOps - 2 && inlineBytes + opBytes(ops[k]) <= budget / 4) inlineBytes += opBytes(ops[k++]);
  const inline = ops.slice(0, k);
  const rest = ops.slice(k);

  const stages: string[] = [];
  let entries: string[] = [];
  let bytes = 2;
  for (const op of rest) {
    const entry = stageEntry(keys, op);
    const b = utf8Length(entry) + 1;
    if (entries.length > 0 && bytes + b > budget) {
      stages.push(`[${entries.join(",")}]`);
      entries = [];
      bytes = 2;
    }
    entries.push(entry);
    bytes += b;
  }
  if (entries.length > 0) stages.push(`[${entries.join(",")}]`);
  if (stages.length + 1 > limits.maxTxnOps) {
    throw new Error(`batch too large for one etcd commit: ${stages.length} stage keys, at most ${limits.maxTxnOps - 1}`);
  }
  const stageInline = stages.length === 1 && inlineBytes + utf8Length(stages[0]) + OP_OVERHEAD_BYTES <= budget;

  return { inline, stages, stageInline, apply: applyChunks(rest, limits) };
}

/** Staged operations as apply txns; the last one leaves room for the meta write and the stage cleanup. */
export function applyChunks(ops: readonly Op[], limits: TxnLimits): Op[][] {
  const chunks = cutRuns(ops, limits.maxTxnOps, limits.maxRequestBytes - TXN_RESERVE_BYTES);
  const last = chunks[chunks.length - 1];
  if (last === undefined || last.length > limits.maxTxnOps - 2) chunks.push([]);
  return chunks;
}
