// The compact form of a prefix's unlabelled addresses in DO SQLite: sorted blocks, one row each
// (docs/storage.md §2a). A block is its first member, as 16 bytes big-endian (the row's sort key: SQLite
// compares BLOBs bytewise, so byte order is numeric order), and the gaps between consecutive members as
// unsigned LEB128 varints: ten million addresses scattered over an IPv4 /8 take ~1 byte each, over an IPv6 /64 ~6.

/** Most members in one block. */
export const MAX_BLOCK = 4096;
/**
 * Most bytes of gaps in one block. With its key columns a full block's row then fills the b-tree cell a
 * WITHOUT ROWID row keeps in its 4 KB page (~490 bytes once it spills) and one overflow page (4,092 bytes),
 * where a 2 KB row would leave three quarters of its overflow page empty.
 */
export const MAX_BLOCK_BYTES = 4300;

/** 2^53: offsets from a block's first member below it are exact numbers. */
const EXACT = 2 ** 53;

/** An address (IPv4 or IPv6, as a number) as 16 bytes, big-endian. */
export function addressBytes(value: bigint): Uint8Array {
  const out = new Uint8Array(16);
  let v = value;
  for (let i = 15; i >= 0 && v > 0n; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** The address 16 bytes (addressBytes) stand for. */
export function bytesAddress(bytes: ArrayBuffer | Uint8Array): bigint {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let v = 0n;
  for (let i = 0; i < b.length; i += 4) v = (v << 32n) | BigInt(((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0);
  return v;
}

/** Bytes being written (grown as needed, reused: one encode at a time). */
let scratch = new Uint8Array(MAX_BLOCK * 10);

/** members[from + 1 .. to) as varints of their gap from the member before: a block's data. */
export function encodeGaps(members: readonly bigint[], from: number, to: number): Uint8Array {
  let pos = 0;
  for (let i = from + 1; i < to; i++) {
    if (scratch.length - pos < 19) {
      const grown = new Uint8Array(scratch.length * 2);
      grown.set(scratch);
      scratch = grown;
    }
    const gap = members[i] - members[i - 1];
    if (gap < 0x100000000n) {
      let v = Number(gap);
      while (v >= 128) {
        scratch[pos++] = (v & 127) | 128;
        v >>>= 7;
      }
      scratch[pos++] = v;
    } else {
      let v = gap;
      while (v >= 128n) {
        scratch[pos++] = Number(v & 127n) | 128;
        v >>= 7n;
      }
      scratch[pos++] = Number(v);
    }
  }
  return scratch.slice(0, pos);
}

function malformed(what: string): Error {
  return new Error(`ip block data is malformed: ${what}`);
}

/** A block's members as addresses (bigints), ascending: what a commit edits. */
export function decodeMembers(first: bigint, count: number, data: ArrayBuffer | Uint8Array): bigint[] {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  const out: bigint[] = new Array(count);
  out[0] = first;
  let at = first;
  let pos = 0;
  for (let i = 1; i < count; i++) {
    let gap = 0n;
    let shift = 0n;
    let b: number;
    do {
      if (pos >= bytes.length) throw malformed(`${count} members, data ends after ${i}`);
      b = bytes[pos++];
      gap |= BigInt(b & 127) << shift;
      shift += 7n;
    } while (b & 128);
    at += gap;
    out[i] = at;
  }
  if (pos !== bytes.length) throw malformed(`${bytes.length - pos} bytes after the last of ${count} members`);
  return out;
}

/**
 * A block's members as offsets from its first one (a load): a Float64Array, computed in doubles, when they
 * all lie less than 2^53 from it (always in IPv4, nearly always in IPv6); bigints otherwise.
 */
export function decodeOffsets(count: number, data: ArrayBuffer | Uint8Array): Float64Array | bigint[] {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  const out = new Float64Array(count);
  let at = 0;
  let pos = 0;
  const end = bytes.length;
  for (let i = 1; i < count; i++) {
    let gap = 0;
    let scale = 1;
    let b: number;
    do {
      if (pos >= end) throw malformed(`${count} members, data ends after ${i}`);
      b = bytes[pos++];
      gap += (b & 127) * scale;
      scale *= 128;
    } while (b & 128);
    at += gap;
    if (at >= EXACT) return decodeMembers(0n, count, bytes);
    out[i] = at;
  }
  if (pos !== end) throw malformed(`${end - pos} bytes after the last of ${count} members`);
  return out;
}

/** Bytes of a gap as a varint. */
function varintLength(gap: bigint): number {
  if (gap < 0x100000000n) {
    const bits = 32 - Math.clz32(Number(gap));
    return bits <= 7 ? 1 : Math.ceil(bits / 7);
  }
  let n = 1;
  for (let v = gap >> 7n; v > 0n; v >>= 7n) n++;
  return n;
}

/**
 * Where sorted members are cut into blocks: the index of each block's first member. As few blocks as keep
 * within MAX_BLOCK members and MAX_BLOCK_BYTES of gaps, about equal in whichever of the two binds (each member
 * weighs its share of the tighter limit), so a block that outgrows a limit becomes two about half full.
 */
export function blockStarts(members: readonly bigint[]): number[] {
  const n = members.length;
  if (n === 0) return [];
  const weights = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const bytes = i === 0 ? 0 : varintLength(members[i] - members[i - 1]);
    weights[i] = Math.max(bytes / MAX_BLOCK_BYTES, 1 / MAX_BLOCK);
    total += weights[i];
  }
  for (let k = Math.max(1, Math.ceil(total - 1e-9)); ; k++) {
    const starts = [0];
    let sum = 0;
    for (let i = 0; i < n; i++) {
      if (sum + weights[i] > (total * starts.length) / k + 1e-9 && i > starts[starts.length - 1]) starts.push(i);
      sum += weights[i];
    }
    if (starts.every((from, b) => fits(members, from, b + 1 < starts.length ? starts[b + 1] : n))) return starts;
  }
}

function fits(members: readonly bigint[], from: number, to: number): boolean {
  if (to - from > MAX_BLOCK) return false;
  let bytes = 0;
  for (let i = from + 1; i < to; i++) bytes += varintLength(members[i] - members[i - 1]);
  return bytes <= MAX_BLOCK_BYTES;
}
