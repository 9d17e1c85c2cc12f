// Unsigned integers of any width from 0 to 53 bits, packed back to back in a Uint32Array, least significant
// bit first. Readers may look up to two words past the last field, so arrays carry FIELD_PADDING spare words.

export const FIELD_PADDING = 2;

/** Bits needed to write v (0 for 0), for 0 <= v < 2^53. */
export function bitsFor(v: number): number {
  return v < 0x100000000 ? 32 - Math.clz32(v) : 64 - Math.clz32(Math.floor(v / 0x100000000));
}

/** Reads `width` <= 32 bits at bit position `pos`. */
function read32(words: Uint32Array, pos: number, width: number): number {
  const i = pos >>> 5;
  const b = pos & 31;
  let v = words[i] >>> b;
  if (b !== 0) v |= words[i + 1] << (32 - b);
  return width === 32 ? v >>> 0 : v & ((1 << width) - 1);
}

/** Writes the low `width` <= 32 bits of v at bit position `pos`, keeping every other bit. */
function write32(words: Uint32Array, pos: number, width: number, v: number): void {
  const i = pos >>> 5;
  const b = pos & 31;
  const mask = width === 32 ? -1 : (1 << width) - 1;
  words[i] = (words[i] & ~(mask << b)) | ((v & mask) << b);
  if (b !== 0 && b + width > 32) {
    const spill = 32 - b;
    words[i + 1] = (words[i + 1] & ~(mask >>> spill)) | ((v & mask) >>> spill);
  }
}

export function readField(words: Uint32Array, pos: number, width: number): number {
  if (width <= 32) return width === 0 ? 0 : read32(words, pos, width);
  return read32(words, pos + 32, width - 32) * 0x100000000 + read32(words, pos, 32);
}

export function writeField(words: Uint32Array, pos: number, width: number, v: number): void {
  if (width <= 32) {
    if (width !== 0) write32(words, pos, width, v);
    return;
  }
  const lo = v >>> 0;
  write32(words, pos, 32, lo);
  write32(words, pos + 32, width - 32, (v - lo) / 0x100000000);
}

/** Moves `length` bits from bit `from` to bit `to` (the ranges may overlap); bits outside the target keep their values. */
export function moveBits(words: Uint32Array, from: number, to: number, length: number): void {
  if (length <= 0 || from === to) return;
  const end = to + length;
  const first = to >>> 5;
  const last = (end - 1) >>> 5;
  // The first and last target words also hold bits outside the target: put those back afterwards.
  const firstKeep = (1 << (to & 31)) - 1;
  const lastKeep = (end & 31) === 0 ? 0 : ~((1 << (end & 31)) - 1);
  const firstWord = words[first];
  const lastWord = words[last];
  // Target word k takes the 32 source bits starting at 32k - shift: word k + skip, from bit b on.
  const shift = to - from;
  const b = -shift & 31;
  const skip = Math.floor(-shift / 32);
  if (b === 0) words.copyWithin(first, first + skip, last + skip + 1);
  else if (shift > 0) {
    // upwards: from the top down, so no source word is overwritten before it is read
    for (let k = last; k > first; k--) words[k] = (words[k + skip] >>> b) | (words[k + skip + 1] << (32 - b));
    const w = first + skip;
    words[first] = (w >= 0 ? words[w] >>> b : 0) | (words[w + 1] << (32 - b));
  } else {
    const n = words.length;
    for (let k = first; k < last; k++) words[k] = (words[k + skip] >>> b) | (words[k + skip + 1] << (32 - b));
    const w = last + skip;
    words[last] = (words[w] >>> b) | (w + 1 < n ? words[w + 1] << (32 - b) : 0);
  }
  words[first] = (words[first] & ~firstKeep) | (firstWord & firstKeep);
  words[last] = (words[last] & ~lastKeep) | (lastWord & lastKeep);
}
