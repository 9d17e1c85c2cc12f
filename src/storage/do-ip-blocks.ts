// The compact form of a prefix's unlabelled addresses in DO SQLite: sorted blocks, one row each
// (docs/storage.md §2a). A block is its first member, as 16 bytes big-endian (the row's sort key: SQLite
// compares BLOBs bytewise, so byte order is numeric order), and the gaps between consecutive members as
// unsigned LEB128 varints: ten million addresses scattered over an IPv4 /8 take ~1 byte each, over an IPv6 /64 ~6.

/**
 * Most bytes of gaps in one block (so at most 801 members: a gap takes at least a byte). With its key columns
 * (a namespace name of up to 63 characters, the CIDR, the first address twice) a block's row then stays
 * within the ~1,000 bytes a WITHOUT ROWID row keeps in its 4 KB b-tree page: rewriting a block rewrites one
 * page, as inserting one row per address did, and rows share pages instead of spilling into overflow pages.
 */
export const MAX_BLOCK_BYTES = 800;

/** 2^53: offsets from a block's first member below it are exact numbers. */
const EXACT = 2 ** 53;

/** An address (IPv4 or IPv6, as a number) as 16 bytes, big-endian. */
export function addressBytes(value: bigint): Uint8Array {
  const out = new Uint8Array(16);
  const view = new DataView(out.buffer);
  if (value < 0x100000000n) view.setUint32(12, Number(value));
  else {
    view.setBigUint64(0, value >> 64n);
    view.setBigUint64(8, BigInt.asUintN(64, value));
  }
  return out;
}

/** The address 16 bytes (addressBytes) stand for. */
export function bytesAddress(bytes: ArrayBuffer | Uint8Array): bigint {
  const view = bytes instanceof Uint8Array ? new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength) : new DataView(bytes);
  if (view.getUint32(0) === 0 && view.getUint32(4) === 0 && view.getUint32(8) === 0) return BigInt(view.getUint32(12));
  return (view.getBigUint64(0) << 64n) | view.getBigUint64(8);
}

/** Bytes being written (grown as needed, reused: one encode at a time). */
let scratch = new Uint8Array(MAX_BLOCK_BYTES * 4);

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

/**
 * offsets[from + 1 .. to) (numbers from the block's first member, below 2^53) as varints of their gap from the
 * one before: encodeGaps in doubles, for the common edit of a block in place.
 */
export function encodeOffsetGaps(offsets: ArrayLike<number>, from: number, to: number): Uint8Array {
  let pos = 0;
  for (let i = from + 1; i < to; i++) {
    if (scratch.length - pos < 8) {
      const grown = new Uint8Array(scratch.length * 2);
      grown.set(scratch);
      scratch = grown;
    }
    let v = offsets[i] - offsets[i - 1];
    while (v >= 128) {
      scratch[pos++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    scratch[pos++] = v;
  }
  return scratch.slice(0, pos);
}

/** Whether offsets (ascending numbers) fit one block: MAX_BLOCK_BYTES of gaps. */
export function offsetsFitOneBlock(offsets: ArrayLike<number>): boolean {
  const n = offsets.length;
  let bytes = 0;
  for (let i = 1; i < n; i++) {
    let gap = offsets[i] - offsets[i - 1];
    bytes++;
    while (gap >= 128) {
      bytes++;
      gap = Math.floor(gap / 128);
    }
  }
  return bytes <= MAX_BLOCK_BYTES;
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
 * within MAX_BLOCK_BYTES of gaps, about equal in bytes, so a block that outgrows it becomes two about half full.
 */
export function blockStarts(members: readonly bigint[]): number[] {
  const n = members.length;
  if (n === 0) return [];
  const bytes = new Uint8Array(n); // bytes[i]: the gap before member i
  let total = 0;
  for (let i = 1; i < n; i++) total += bytes[i] = varintLength(members[i] - members[i - 1]);
  for (let k = Math.max(1, Math.ceil(total / MAX_BLOCK_BYTES)); ; k++) {
    const starts = [0];
    let sum = 0;
    let inBlock = 0;
    let fits = true;
    for (let i = 1; i < n; i++) {
      sum += bytes[i];
      if (sum > (total * starts.length) / k) {
        starts.push(i); // the gap before a block's first member is not in any block
        inBlock = 0;
      } else if ((inBlock += bytes[i]) > MAX_BLOCK_BYTES) fits = false;
    }
    if (fits) return starts;
  }
}
