// Minimal CIDR decomposition of an address range (go4.org/netipx IPRange.Prefixes / IPSet.Prefixes).

import type { Family, Prefix } from "./types.js";

const MAX4 = 0xffffffff;
const MAX6 = (1n << 128n) - 1n;

/** POW6[k] = 2^k for k in 0..128. */
const POW6: readonly bigint[] = Array.from({ length: 129 }, (_, k) => 1n << BigInt(k));

/** Index of the highest set bit of 0 < x <= 2^128 (from the double's exponent, then corrected exactly). */
function log2(x: bigint): number {
  let k = Math.floor(Math.log2(Number(x)));
  if (k > 128) k = 128;
  while (POW6[k] > x) k--;
  while (k < 128 && POW6[k + 1] <= x) k++;
  return k;
}

/**
 * The fewest aligned CIDR blocks that cover exactly [first, last], in ascending address order: from the
 * low end, each block is the largest one that starts at the current address, is aligned there and does
 * not pass `last`. Returns [] when first > last. Throws RangeError for values outside the family's range.
 */
export function rangeToPrefixes(family: Family, first: bigint, last: bigint): Prefix[] {
  const out: Prefix[] = [];
  if (family === 4) {
    let a = Number(first);
    const b = Number(last);
    if (!(a >= 0 && a <= MAX4 && b >= 0 && b <= MAX4)) throw new RangeError("IPv4 range out of bounds");
    while (a <= b) {
      // Alignment of a (trailing zero bits) and the largest power of two that fits in b - a + 1.
      const align = a === 0 ? 32 : 31 - Math.clz32(a & -a);
      const count = b - a + 1;
      const fit = count === 0x100000000 ? 32 : 31 - Math.clz32(count);
      const k = align < fit ? align : fit;
      out.push({ family: 4, addr: BigInt(a), bits: 32 - k });
      a += 2 ** k;
    }
    return out;
  }
  if (family !== 6) throw new RangeError("unknown address family: " + String(family));
  if (first < 0n || first > MAX6 || last < 0n || last > MAX6) throw new RangeError("IPv6 range out of bounds");
  let a = first;
  while (a <= last) {
    const align = a === 0n ? 128 : log2(a & -a);
    const fit = log2(last - a + 1n);
    const k = align < fit ? align : fit;
    out.push({ family: 6, addr: a, bits: 128 - k });
    a += POW6[k];
  }
  return out;
}
