// Where DO SQLite keeps acquired addresses: the unlabelled ones in sorted blocks (table ip_blocks, encoded by
// do-ip-blocks.ts), the ones with extra fields (labels, ...) one row each in ips. An address lives in exactly
// one of the two: a put without extras goes to its block and deletes its ips row, a put with extras goes to
// ips and leaves its block, a delete removes it from both. A commit groups its address changes by prefix and
// sorts them, so every block it touches is read, decoded, edited and written once: a batch of n changes
// costs O(n log n) plus the blocks it touches. docs/storage.md §2a.

import type { SqlStorage } from "@cloudflare/workers-types/index";
import type { IPBlockRecord, IPRecord } from "../core/types";
import { type Family, formatAddr, parseAddr, parsePrefix } from "../net";
import {
  addressBytes,
  blockStarts,
  bytesAddress,
  decodeMembers,
  decodeOffsets,
  encodeGaps,
  encodeOffsetGaps,
  offsetsFitOneBlock,
} from "./do-ip-blocks";
import { recordExtras } from "./records";
import { InvalidChangeError } from "./types";

/** What a change does to its address. */
const TO_BLOCK = 0; // a put without extras
const TO_ROW = 1; // a put with extras
const REMOVE = 2; // a delete

/** One prefix's address changes of a batch, in batch order. */
interface PrefixChanges {
  records: IPRecord[];
  ops: number[];
}

/** A batch's address changes, by prefix. */
export class IpChanges {
  readonly byPrefix = new Map<string, PrefixChanges>();

  add(op: "put" | "delete", record: IPRecord): void {
    let g = this.byPrefix.get(record.prefix);
    if (g === undefined) this.byPrefix.set(record.prefix, (g = { records: [], ops: [] }));
    g.records.push(record);
    g.ops.push(op === "delete" ? REMOVE : recordExtras(record) === null ? TO_BLOCK : TO_ROW);
  }

  /**
   * Writes them all; returns the rows written. `withoutRows` holds "<namespace> <prefix>" of prefixes known to
   * have no ips rows (the store's, kept across commits: it is the only writer of its database).
   */
  write(sql: SqlStorage, namespace: string, withoutRows: Set<string>): number {
    let written = 0;
    for (const [prefix, g] of this.byPrefix) written += writePrefix(sql, namespace, prefix, g, withoutRows);
    return written;
  }
}

function prefixFamily(prefix: string): Family {
  try {
    return parsePrefix(prefix).family;
  } catch {
    throw new InvalidChangeError(`invalid ip record: prefix ${JSON.stringify(prefix)} is not a CIDR`);
  }
}

/** The address as a number of the prefix's family; null when it is not one (only a row in ips can hold it). */
function addressValue(ip: string, family: Family): bigint | null {
  try {
    const a = parseAddr(ip);
    return a.family === family && a.zone === "" ? a.value : null;
  } catch {
    return null;
  }
}

function writePrefix(sql: SqlStorage, namespace: string, prefix: string, g: PrefixChanges, withoutRows: Set<string>): number {
  const { records, ops } = g;
  const family = prefixFamily(prefix);
  let written = 0;
  // ips rows, in batch order; a put to a block deletes a row only where there may be one. (A prefix is put in
  // withoutRows only when it was seen without rows and no row is written, so a rolled-back batch cannot
  // leave it wrong.)
  const key = `${namespace} ${prefix}`;
  let mayHaveRows: boolean;
  if (ops.includes(TO_ROW)) {
    withoutRows.delete(key);
    mayHaveRows = true;
  } else if (withoutRows.has(key)) mayHaveRows = false;
  else {
    mayHaveRows = sql.exec("SELECT 1 FROM ips WHERE namespace = ? AND prefix = ? LIMIT 1", namespace, prefix).toArray().length > 0;
    if (!mayHaveRows) withoutRows.add(key);
  }
  if (mayHaveRows) {
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      written +=
        ops[i] === TO_ROW
          ? sql.exec(
              "INSERT INTO ips (namespace, prefix, ip, data) VALUES (?, ?, ?, ?) ON CONFLICT (namespace, prefix, ip) DO UPDATE SET data = excluded.data",
              namespace,
              prefix,
              r.ip,
              recordExtras(r),
            ).rowsWritten
          : sql.exec("DELETE FROM ips WHERE namespace = ? AND prefix = ? AND ip = ?", namespace, prefix, r.ip).rowsWritten;
    }
  }
  // blocks: the last change of each address, in address order
  const values: bigint[] = [];
  const order: number[] = [];
  let ascending = true;
  for (let i = 0; i < records.length; i++) {
    const v = addressValue(records[i].ip, family);
    if (v === null) {
      if (ops[i] === TO_BLOCK) throw new InvalidChangeError(`invalid ip record: ${JSON.stringify(records[i].ip)} is not an IPv${family} address (prefix ${prefix})`);
      continue;
    }
    if (values.length > 0 && !(v > values[values.length - 1])) ascending = false;
    values.push(v);
    order.push(i);
  }
  if (values.length === 0) return written;
  let edits: { values: bigint[]; keep: boolean[] };
  if (ascending) edits = { values, keep: order.map((i) => ops[i] === TO_BLOCK) };
  else {
    const idx = values.map((_, k) => k);
    idx.sort((a, b) => (values[a] < values[b] ? -1 : values[a] > values[b] ? 1 : a - b));
    edits = { values: [], keep: [] };
    for (let k = 0; k < idx.length; k++) {
      if (k + 1 < idx.length && values[idx[k + 1]] === values[idx[k]]) continue; // a later change of the same address wins
      edits.values.push(values[idx[k]]);
      edits.keep.push(ops[order[idx[k]]] === TO_BLOCK);
    }
  }
  return written + editBlocks(sql, namespace, prefix, family, edits.values, edits.keep);
}

interface BlockRow {
  first: bigint;
  count: number;
  data: ArrayBuffer | null;
}

const blob = (bytes: Uint8Array): ArrayBuffer => bytes.buffer as ArrayBuffer;

/** The block starting at or below `value` and the first address of the block after it, in one statement. */
function blockAndNext(sql: SqlStorage, namespace: string, prefix: string, value: bigint): { block: BlockRow | null; next: bigint | null } {
  const at = blob(addressBytes(value));
  let block: BlockRow | null = null;
  let next: bigint | null = null;
  for (const [first, count, data] of sql
    .exec(
      `SELECT first, count, data FROM (SELECT first, count, data FROM ip_blocks WHERE namespace = ? AND prefix = ? AND first <= ? ORDER BY first DESC LIMIT 1)
       UNION ALL SELECT first, NULL, NULL FROM (SELECT first FROM ip_blocks WHERE namespace = ? AND prefix = ? AND first > ? ORDER BY first LIMIT 1)`,
      namespace,
      prefix,
      at,
      namespace,
      prefix,
      at,
    )
    .raw()) {
    if (count === null) next = bytesAddress(first as ArrayBuffer);
    else block = { first: bytesAddress(first as ArrayBuffer), count: count as number, data: data as ArrayBuffer | null };
  }
  return { block, next };
}

/** Applies sorted, distinct edits (keep: the address is a member afterwards) to the prefix's blocks. */
function editBlocks(sql: SqlStorage, namespace: string, prefix: string, family: Family, values: bigint[], keep: boolean[]): number {
  let written = 0;
  const n = values.length;
  for (let i = 0; i < n; ) {
    // the block the address belongs to: the last one starting at or below it, else the first one
    let found = blockAndNext(sql, namespace, prefix, values[i]);
    if (found.block === null && found.next !== null) found = blockAndNext(sql, namespace, prefix, found.next);
    const row = found.block;
    const upper = found.next;
    let j = i;
    while (j < n && (upper === null || values[j] < upper)) j++;
    const inPlace = row === null ? null : editInPlace(sql, namespace, prefix, row, values, keep, i, j);
    if (inPlace !== null) {
      written += inPlace;
      i = j;
      continue;
    }
    const members = row === null ? [] : decodeMembers(row.first, row.count, row.data ?? new Uint8Array(0));
    const merged: bigint[] = [];
    let m = 0;
    for (let k = i; k < j; k++) {
      const v = values[k];
      while (m < members.length && members[m] < v) merged.push(members[m++]);
      if (m < members.length && members[m] === v) m++;
      if (keep[k]) merged.push(v);
    }
    while (m < members.length) merged.push(members[m++]);
    written += replaceBlock(sql, namespace, prefix, family, row, merged);
    i = j;
  }
  return written;
}

/** 2^53: offsets from a block's first member below it are exact doubles. */
const EXACT = 2n ** 53n;

/**
 * The common edit (an acquire or release in a block, which keeps its first member and its limits), in
 * doubles: offsets from the first member instead of bigints, one UPDATE. null when the edits do not fit
 * that (the caller takes the general path).
 */
function editInPlace(sql: SqlStorage, namespace: string, prefix: string, row: BlockRow, values: bigint[], keep: boolean[], i: number, j: number): number | null {
  const first = row.first;
  if (values[i] <= first || values[j - 1] - first >= EXACT) return null;
  const offsets = decodeOffsets(row.count, row.data ?? new Uint8Array(0));
  if (!(offsets instanceof Float64Array)) return null;
  const merged: number[] = [];
  let m = 0;
  for (let k = i; k < j; k++) {
    const v = Number(values[k] - first);
    while (m < offsets.length && offsets[m] < v) merged.push(offsets[m++]);
    if (m < offsets.length && offsets[m] === v) m++;
    if (keep[k]) merged.push(v);
  }
  while (m < offsets.length) merged.push(offsets[m++]);
  if (!offsetsFitOneBlock(merged)) return null;
  return updateBlock(sql, namespace, prefix, first, merged.length, encodeOffsetGaps(merged, 0, merged.length));
}

/** Rewrites the members of the block that starts at `first`. */
function updateBlock(sql: SqlStorage, namespace: string, prefix: string, first: bigint, count: number, gaps: Uint8Array): number {
  return sql.exec(
    "UPDATE ip_blocks SET count = ?, data = ? WHERE namespace = ? AND prefix = ? AND first = ?",
    count,
    blob(gaps),
    namespace,
    prefix,
    blob(addressBytes(first)),
  ).rowsWritten;
}

/** Writes `members` (sorted) in place of block `row`: updated, cut into several, or deleted when empty. */
function replaceBlock(sql: SqlStorage, namespace: string, prefix: string, family: Family, row: BlockRow | null, members: bigint[]): number {
  const starts = blockStarts(members);
  if (row !== null && starts.length === 1 && members[0] === row.first) {
    return updateBlock(sql, namespace, prefix, row.first, members.length, encodeGaps(members, 0, members.length));
  }
  let written = 0;
  if (row !== null)
    written += sql.exec("DELETE FROM ip_blocks WHERE namespace = ? AND prefix = ? AND first = ?", namespace, prefix, blob(addressBytes(row.first))).rowsWritten;
  for (let b = 0; b < starts.length; b++) {
    const from = starts[b];
    const to = b + 1 < starts.length ? starts[b + 1] : members.length;
    written += sql.exec(
      "INSERT INTO ip_blocks (namespace, prefix, first, first_ip, count, data) VALUES (?, ?, ?, ?, ?, ?)",
      namespace,
      prefix,
      blob(addressBytes(members[from])),
      formatAddr(family, members[from]),
      to - from,
      blob(encodeGaps(members, from, to)),
    ).rowsWritten;
  }
  return written;
}

/** The namespace's blocks as block records, by prefix, in address order (what a load hands the core). */
export function* loadBlocks(sql: SqlStorage, namespace: string): IterableIterator<IPBlockRecord> {
  let lastPrefix = "";
  let family: Family = 4;
  for (const [prefix, first, count, data] of sql
    .exec("SELECT prefix, first, count, data FROM ip_blocks WHERE namespace = ? ORDER BY prefix, first", namespace)
    .raw()) {
    if (prefix !== lastPrefix) {
      family = parsePrefix(prefix as string).family;
      lastPrefix = prefix as string;
    }
    yield {
      kind: "ips",
      prefix: prefix as string,
      family,
      first: bytesAddress(first as ArrayBuffer),
      offsets: decodeOffsets(count as number, (data as ArrayBuffer | null) ?? new Uint8Array(0)),
    };
  }
}

/** Rows moved per step of the migration (keeps its memory small whatever the table's size). */
const MIGRATION_STEP = 50_000;

/**
 * Moves the unlabelled rows of ips (objects written before blocks existed) into blocks; call inside a
 * transaction. Idempotent; cheap when there is nothing to move (a partial index holds exactly those rows).
 * Rows that are no address of their prefix's family stay where they are. Returns the rows moved.
 */
export function moveUnlabelledRows(sql: SqlStorage): number {
  let moved = 0;
  let after: [string, string, string] | null = null;
  for (;;) {
    const batch = (
      after === null
        ? sql.exec("SELECT namespace, prefix, ip FROM ips WHERE data IS NULL ORDER BY namespace, prefix, ip LIMIT ?", MIGRATION_STEP)
        : sql.exec(
            "SELECT namespace, prefix, ip FROM ips WHERE data IS NULL AND (namespace, prefix, ip) > (?, ?, ?) ORDER BY namespace, prefix, ip LIMIT ?",
            ...after,
            MIGRATION_STEP,
          )
    ).raw();
    const rows = [...batch] as [string, string, string][];
    if (rows.length === 0) return moved;
    const byNamespace = new Map<string, IpChanges>();
    for (const [namespace, prefix, ip] of rows) {
      let family: Family;
      try {
        family = parsePrefix(prefix).family;
      } catch {
        continue;
      }
      if (addressValue(ip, family) === null) continue;
      let changes = byNamespace.get(namespace);
      if (changes === undefined) byNamespace.set(namespace, (changes = new IpChanges()));
      changes.add("put", { kind: "ip", prefix, ip });
      moved++;
    }
    for (const [namespace, changes] of byNamespace) changes.write(sql, namespace, new Set());
    after = rows[rows.length - 1];
  }
}
