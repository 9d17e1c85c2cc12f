// A batch too big for one etcd txn, kept all or nothing and fenced (docs/storage.md, "etcd"):
//
//   1. stage: the operations the commit txn cannot carry are written as stage values under
//      ipam/ns/<ns>/s/<batch>/<n>, invisible to readers (each stage txn is fenced on the meta value, so a
//      stale writer stops early);
//   2. commit point: ONE txn, fenced on the meta value and on every pre-written stage key's mod revision,
//      bumps the version, records `pending: {id, stages}` in the meta key and applies the first operations;
//   3. apply: the staged operations in chunk txns, EACH fenced on the meta key's mod revision of the commit
//      point; the last chunk also writes the meta without `pending` and deletes the stage keys.
//
// While `pending` is set, every other writer's compare fails (they compare the exact meta value), and a load
// rolls the batch forward (step 3 from the stage values) before reading. Only that final clearing changes
// the meta key while a batch is pending, so a chunk whose compare fails knows the batch was finished by
// someone else, and a stalled writer can never apply its operations after the namespace moved on.
// Stage keys no pending batch refers to (a writer died before its commit point) are swept by the next load.

import { CommitRefusedError, FencingError, type NamespaceState } from "./types";
import type { RangeRequest, RangeResult, TxnOp, TxnRequest, TxnResult } from "./etcd-gateway";
import { prefixEnd } from "./etcd-gateway";
import { applyChunks, planStaged, type TxnLimits } from "./etcd-batches";
import { type Meta, metaValue, type NamespaceKeys, type Op, parseMeta, parseStage, stageKey, stagePrefix } from "./etcd-layout";

/** One round trip each, under the store's deadline, failures already turned into store errors. */
export interface EtcdIO {
  range(what: string, r: RangeRequest): Promise<RangeResult>;
  txn(what: string, t: TxnRequest): Promise<TxnResult>;
}

export const writeOp = (op: Op): TxnOp => (op.value === undefined ? { delete: op.key } : { put: op.key, value: op.value });

/** The namespace state a meta kv (or its absence) says. */
export function stateOf(kv: { key: string; value: string } | undefined): NamespaceState & { meta?: Meta } {
  if (!kv) return { exists: false, version: 0 };
  const meta = parseMeta(kv.value, kv.key);
  return { exists: meta.present, version: meta.version, meta };
}

function newBatchId(): string {
  return `${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 8)}`;
}

/** Commits `ops` (already validated and collapsed) as a staged batch; returns the new version. */
export async function commitStaged(
  io: EtcdIO,
  namespace: string,
  keys: NamespaceKeys,
  expectedVersion: number,
  ops: readonly Op[],
  limits: TxnLimits,
): Promise<number> {
  const plan = planStaged(keys, ops, limits);
  const id = newBatchId();
  const expectedMeta = metaValue({ present: true, version: expectedVersion });
  const compare: TxnRequest["compare"] = [{ key: keys.meta, value: expectedMeta }];
  const success: TxnOp[] = [
    { put: keys.meta, value: metaValue({ present: true, version: expectedVersion + 1, pending: { id, stages: plan.stages.length } }) },
  ];
  const refused = async (r: TxnResult): Promise<never> => {
    await discardStages(io, keys, id);
    const actual = stateOf(r.ranges[0]?.kvs[0]);
    if (actual.exists && actual.version === expectedVersion && !actual.meta?.pending) {
      // The namespace did not move: a load swept our stage keys as abandoned. Nothing was written.
      throw new CommitRefusedError(`namespace ${JSON.stringify(namespace)}: a staged batch was swept before its commit; run it again`);
    }
    throw new FencingError(namespace, expectedVersion, { exists: actual.exists, version: actual.version });
  };

  if (plan.stageInline) {
    success.push({ put: stageKey(keys, id, 0), value: plan.stages[0] });
  } else {
    for (let n = 0; n < plan.stages.length; n++) {
      const key = stageKey(keys, id, n);
      const r = await io.txn("stage a batch", {
        compare: [{ key: keys.meta, value: expectedMeta }],
        success: [{ put: key, value: plan.stages[n] }],
        failure: [{ range: keys.meta }],
      });
      if (!r.succeeded) return refused(r);
      compare.push({ key, modRevision: r.revision });
    }
  }
  for (const op of plan.inline) success.push(writeOp(op));
  const committed = await io.txn("commit a staged batch", { compare, success, failure: [{ range: keys.meta }] });
  if (!committed.succeeded) return refused(committed);
  await applyStaged(io, keys, committed.revision, id, plan.apply, { present: true, version: expectedVersion + 1 });
  return expectedVersion + 1;
}

/** Apply txns in flight at once: they touch distinct keys, and etcd commits concurrent proposals together. */
const APPLY_CONCURRENCY = 8;

/**
 * Applies a pending batch's staged operations, each chunk fenced on the meta key's mod revision `metaRevision`;
 * once every other chunk is in, the last one clears `pending` (meta becomes `done`) and deletes the stage
 * keys. Returns false if another writer finished the batch first (a chunk's compare failed).
 */
export async function applyStaged(
  io: EtcdIO,
  keys: NamespaceKeys,
  metaRevision: string,
  id: string,
  chunks: readonly Op[][],
  done: Meta,
): Promise<boolean> {
  const fence = [{ key: keys.meta, modRevision: metaRevision }];
  let next = 0;
  let overtaken = false;
  let failed: { error: unknown } | undefined;
  // On a failure every worker stops after its current txn, and only then does the error surface: nothing
  // of this call keeps running after it has answered.
  const worker = async () => {
    while (!overtaken && !failed && next < chunks.length - 1) {
      try {
        const r = await io.txn("apply a staged batch", { compare: fence, success: chunks[next++].map(writeOp) });
        if (!r.succeeded) overtaken = true;
      } catch (error) {
        failed ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(APPLY_CONCURRENCY, chunks.length - 1) }, worker));
  if (failed) throw failed.error;
  if (overtaken) return false;
  const stages = stagePrefix(keys, id);
  const success = chunks[chunks.length - 1].map(writeOp);
  success.push({ put: keys.meta, value: metaValue(done) }, { deleteRange: stages, rangeEnd: prefixEnd(stages) });
  return (await io.txn("apply a staged batch", { compare: fence, success })).succeeded;
}

/** Finishes the pending batch `meta` describes, from its stage values (what load does before reading). */
export async function rollForward(io: EtcdIO, keys: NamespaceKeys, meta: Meta, metaRevision: string, limits: TxnLimits): Promise<boolean> {
  const pending = meta.pending!;
  const ops: Op[] = [];
  for (let n = 0; n < pending.stages; n++) {
    const key = stageKey(keys, pending.id, n);
    const r = await io.range("read a staged batch", { key });
    const kv = r.kvs[0];
    if (!kv) return false; // finished (and cleaned up) by another writer meanwhile; the caller reads the meta again
    for (const op of parseStage(keys, key, kv.value)) ops.push(op);
  }
  return applyStaged(io, keys, metaRevision, pending.id, applyChunks(ops, limits), { present: meta.present, version: meta.version });
}

/** Deletes one batch's stage keys (after its commit was refused; best effort, an orphan is swept later). */
async function discardStages(io: EtcdIO, keys: NamespaceKeys, id: string): Promise<void> {
  const stages = stagePrefix(keys, id);
  try {
    await io.txn("discard a staged batch", { compare: [], success: [{ deleteRange: stages, rangeEnd: prefixEnd(stages) }] });
  } catch {
    // swept by the next load
  }
}

/**
 * Deletes the staged batches no pending batch refers to, found under `stageKeys` (keys of ipam/ns/<ns>/s/),
 * fenced on the meta key's mod revision so a batch that has just reached its commit point is kept. A live
 * writer whose stages are swept before its commit point gets CommitRefusedError and runs its batch again.
 */
export async function sweepStages(
  io: EtcdIO,
  keys: NamespaceKeys,
  stageKeys: readonly string[],
  metaRevision: string,
  limits: TxnLimits,
): Promise<number> {
  const ids = new Set<string>();
  for (const k of stageKeys) ids.add(k.slice(keys.stages.length, k.indexOf("/", keys.stages.length)));
  let swept = 0;
  const all = [...ids];
  for (let i = 0; i < all.length; i += limits.maxTxnOps) {
    const group = all.slice(i, i + limits.maxTxnOps);
    const r = await io.txn("sweep abandoned staged batches", {
      compare: [{ key: keys.meta, modRevision: metaRevision }],
      success: group.map((id) => ({ deleteRange: stagePrefix(keys, id), rangeEnd: prefixEnd(stagePrefix(keys, id)) })),
    });
    if (!r.succeeded) break;
    swept += group.length;
  }
  return swept;
}
