// Prefixes: Go net/netip's ParsePrefix and Prefix.String / Masked / Contains / Overlaps (Go 1.26).

import type { Addr, Family, Prefix } from "./types.js";
import { NetParseError, prefixErrorText } from "./errors.js";
import { goQuote } from "./quote.js";
import { decimalSmall, formatAddr, lastParsedFamily, lastParsedV6, lastParsedZone, scanAddr } from "./addr.js";

// Per prefix length b: NET[b] keeps the top b bits, HOST[b] the others, SIZE[b] = 2^(bitlen-b).
interface Tables {
  readonly net: readonly bigint[];
  readonly host: readonly bigint[];
  readonly size: readonly bigint[];
}

function tables(len: number): Tables {
  const all = (1n << BigInt(len)) - 1n;
  const net: bigint[] = [];
  const host: bigint[] = [];
  const size: bigint[] = [];
  for (let b = 0; b <= len; b++) {
    const h = (1n << BigInt(len - b)) - 1n;
    host.push(h);
    net.push(all ^ h);
    size.push(h + 1n);
  }
  return { net, host, size };
}
const T4 = tables(32);
const T6 = tables(128);

function tablesOf(family: Family): Tables {
  if (family === 4) return T4;
  if (family === 6) return T6;
  throw new RangeError("unknown address family: " + String(family));
}

/** Entry `bits` of a per-length table; RangeError for a length outside 0..bitlen. */
function lookup(table: readonly bigint[], bits: number): bigint {
  const v = table[bits];
  if (v === undefined) throw new RangeError("prefix length out of range: " + String(bits));
  return v;
}

function netMask(p: Prefix): bigint {
  return lookup(tablesOf(p.family).net, p.bits);
}

// ---------------------------------------------------------------------------------------------------------
// Parsing

const INT64_MAX = "9223372036854775807";

function fail(s: string, msg: string): never {
  throw new NetParseError(s, prefixErrorText(s, msg));
}

function badBits(s: string, from: number): never {
  return fail(s, "bad bits after slash: " + goQuote(s.slice(from)));
}

/** A prefix as scanPrefix leaves it: the address a number (IPv4) or a bigint (IPv6), host bits as written. */
export interface ScannedPrefix {
  family: Family;
  /** The IPv4 address (0 for IPv6). */
  v4: number;
  /** The IPv6 address (0n for IPv4). */
  v6: bigint;
  bits: number;
  /** Index of the '/' in the input. */
  slash: number;
}

/** A ScannedPrefix to fill. */
export function scannedPrefix(): ScannedPrefix {
  return { family: 4, v4: 0, v6: 0n, bits: 0, slash: 0 };
}

/**
 * Go's netip.ParsePrefix into `out`, without allocating: split at the last '/', the address as ParseAddr
 * (zones rejected), the length in decimal without sign or leading zero ("0" itself is fine), 0..32 or 0..128.
 * Host bits are kept as written. Throws NetParseError with Go's message.
 */
export function scanPrefix(s: string, out: ScannedPrefix): void {
  let slash = s.length - 1; // the last '/' (a loop: usually 2-4 steps back, cheaper than lastIndexOf)
  while (slash >= 0 && s.charCodeAt(slash) !== 47) slash--;
  if (slash < 0) fail(s, "no '/'");

  const v4 = scanAddr(s, slash, s);
  const family = lastParsedFamily();
  if (lastParsedZone() !== "") fail(s, "IPv6 zones cannot be present in a prefix");

  // strconv.Atoi would take a sign and leading zeros; Go refuses both before calling it.
  const from = slash + 1;
  const n = s.length - from;
  if (n === 0) badBits(s, from);
  let bits = 0;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57 || (c === 48 && i === from && n > 1)) badBits(s, from);
    bits = bits * 10 + (c - 48);
  }
  // Atoi fails past int64 (bad bits); any other length beyond the family's is out of range.
  if (n > 19 || (n === 19 && s.slice(from) > INT64_MAX)) badBits(s, from);
  if (bits > (family === 4 ? 32 : 128)) fail(s, "prefix length out of range");
  out.family = family;
  out.v4 = family === 4 ? v4 : 0;
  out.v6 = family === 4 ? 0n : lastParsedV6();
  out.bits = bits;
  out.slash = slash;
}

const scratch = scannedPrefix();

/**
 * Go's netip.ParsePrefix: split at the last '/', the address as ParseAddr (zones rejected), the length in
 * decimal without sign or leading zero ("0" itself is fine), 0..32 or 0..128. Host bits are kept as
 * written (see maskPrefix). Throws NetParseError with Go's message.
 */
export function parsePrefix(s: string): Prefix {
  scanPrefix(s, scratch);
  const family = scratch.family;
  return { family, addr: family === 4 ? BigInt(scratch.v4) : scratch.v6, bits: scratch.bits };
}

/** The network mask of an IPv4 prefix of this length, as a number. */
export function maskIPv4(bits: number): number {
  return bits === 0 ? 0 : (-1 << (32 - bits)) >>> 0;
}

// ---------------------------------------------------------------------------------------------------------
// Printing and arithmetic

/** Go's Prefix.String: `addr/bits`, the address printed as stored (host bits included). */
export function formatPrefix(p: Prefix): string {
  netMask(p); // validates family and length
  return formatAddr(p.family, p.addr) + "/" + decimalSmall(p.bits);
}

/** Go's Prefix.Masked: the host bits cleared. */
export function maskPrefix(p: Prefix): Prefix {
  return { family: p.family, addr: p.addr & netMask(p), bits: p.bits };
}

/** First address of the (masked) prefix. */
export function prefixFirst(p: Prefix): bigint {
  return p.addr & netMask(p);
}

/** Last address of the (masked) prefix. */
export function prefixLast(p: Prefix): bigint {
  return (p.addr & netMask(p)) | lookup(tablesOf(p.family).host, p.bits);
}

/** Number of addresses in a prefix of this length: 2^(bitlen - bits). */
export function prefixSize(bits: number, family: Family): bigint {
  return lookup(tablesOf(family).size, bits);
}

/**
 * Go's Prefix.Contains: same family, the address has no zone, and it lies in the masked range.
 * An IPv4-mapped IPv6 address is never in an IPv4 prefix (nor an IPv4 address in an IPv6 one).
 */
export function containsAddr(p: Prefix, a: Addr): boolean {
  const m = netMask(p);
  if (a.family !== p.family || a.zone !== "") return false;
  return ((a.value ^ p.addr) & m) === 0n;
}

/** Whether every address of `inner` is in `outer` (same family, outer no longer than inner). */
export function containsPrefix(outer: Prefix, inner: Prefix): boolean {
  const m = netMask(outer);
  netMask(inner);
  if (outer.family !== inner.family || outer.bits > inner.bits) return false;
  return ((inner.addr ^ outer.addr) & m) === 0n;
}

/**
 * Go's Prefix.Overlaps: same family and the shorter prefix contains the other's network. IPv4 never
 * overlaps IPv6 (IPv4-mapped included). Host bits are ignored.
 */
export function prefixesOverlap(a: Prefix, b: Prefix): boolean {
  const ma = netMask(a);
  const mb = netMask(b);
  if (a.family !== b.family) return false;
  return ((a.addr ^ b.addr) & (a.bits < b.bits ? ma : mb)) === 0n;
}
