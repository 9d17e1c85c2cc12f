// Addresses: Go net/netip's ParseAddr and Addr.String (Go 1.26), on char codes, with one BigInt
// conversion per address.

import type { Addr, Family } from "./types.js";
import { NetParseError, addrErrorText, prefixErrorText } from "./errors.js";

const MAX4 = 0xffffffff;
const MAX6 = (1n << 128n) - 1n;

export function bitLen(f: Family): 32 | 128 {
  return f === 4 ? 32 : 128;
}

// ---------------------------------------------------------------------------------------------------------
// Parsing

/**
 * When parsing the address part of a prefix, the whole prefix string: errors are then reported in Go's
 * ParsePrefix form, `netip.ParsePrefix("<prefix>"): ParseAddr("<addr>"): ...` (no try/catch on the hot path).
 */
let prefixInput: string | null = null;

function fail(s: string, end: number, msg: string, at = ""): never {
  const input = s.slice(0, end);
  const text = addrErrorText(input, msg, at);
  if (prefixInput !== null) throw new NetParseError(prefixInput, prefixErrorText(prefixInput, text));
  throw new NetParseError(input, text);
}

/**
 * Dotted quad in s[off, end) -> uint32. Errors name s[0, inEnd) as the ParseAddr input (for an embedded
 * IPv4 that is the whole IPv6 string, zone included) and point "at" into s[off, end), as Go does.
 * The scan may resume at `from` > off with the first octet already read (`val`, `digits`).
 */
function parseV4(s: string, off: number, end: number, inEnd: number, from = off, val = 0, digits = 0): number {
  let acc = 0; // completed octets
  let dots = 0;
  for (let i = from; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits === 1 && val === 0) fail(s, inEnd, "IPv4 field has octet with leading zero");
      val = val * 10 + (c - 48);
      digits++;
      if (val > 255) fail(s, inEnd, "IPv4 field has value >255");
    } else if (c === 46) {
      // ".1.2.3", "1.2.3.", "1..2.3"
      if (i === off || i === end - 1 || s.charCodeAt(i - 1) === 46) {
        fail(s, inEnd, "IPv4 field must have at least one digit", s.slice(i, end));
      }
      if (dots === 3) fail(s, inEnd, "IPv4 address too long");
      acc = acc * 256 + val;
      dots++;
      val = 0;
      digits = 0;
    } else {
      fail(s, inEnd, "unexpected character", s.slice(i, end));
    }
  }
  if (dots < 3) fail(s, inEnd, "IPv4 address too short");
  return acc * 256 + val;
}

// Scratch space for IPv6 parsing and formatting (single-threaded, never held across calls).
const groups = new Uint16Array(8);
const scratch = new DataView(new ArrayBuffer(16));

/** Hex digit values by char code (-1: not a hex digit). */
const HEXVAL = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEXVAL[48 + i] = i;
for (let i = 0; i < 6; i++) HEXVAL[97 + i] = HEXVAL[65 + i] = 10 + i;

function hexVal(c: number): number {
  return c < 128 ? HEXVAL[c] : -1;
}

function groupsToBigInt(): bigint {
  const g = groups;
  const d = scratch;
  const w0 = g[0] * 0x10000 + g[1];
  const w1 = g[2] * 0x10000 + g[3];
  const w2 = g[4] * 0x10000 + g[5];
  const w3 = g[6] * 0x10000 + g[7];
  if (w0 === 0 && w1 === 0 && w2 === 0) return BigInt(w3); // ::, ::1, ...
  d.setUint32(0, w0);
  d.setUint32(4, w1);
  d.setUint32(8, w2);
  d.setUint32(12, w3);
  const lo = d.getBigUint64(8);
  if (w0 === 0 && w1 === 0) return lo; // ::ffff:a.b.c.d and other low addresses
  return (d.getBigUint64(0) << 64n) | lo;
}

/** Set by parseIn next to its return value (no allocation for the result's family and zone). */
let parsedFamily: Family = 4;
let parsedZone = "";

/** IPv6 (RFC 4291 text form, optional %zone) in s[0, end). */
function parseV6(s: string, end: number): bigint {
  let aEnd = end; // end of the address part (before the zone)
  let zone = "";
  const pct = s.indexOf("%");
  if (pct !== -1 && pct < end) {
    aEnd = pct;
    zone = s.slice(pct + 1, end);
    if (zone === "") fail(s, end, "zone must be a non-empty string");
  }
  parsedFamily = 6;
  parsedZone = zone;

  const g = groups; // every slot is written below (groups, or zeros for "::"), so no clearing
  let p = 0;
  let ellipsis = -1; // group index where "::" stands
  if (aEnd >= 2 && s.charCodeAt(0) === 58 && s.charCodeAt(1) === 58) {
    ellipsis = 0;
    p = 2;
    if (p === aEnd) return 0n;
  }

  let n = 0; // groups filled
  while (n < 8) {
    let off = 0;
    let acc = 0;
    for (; p + off < aEnd; off++) {
      const v = hexVal(s.charCodeAt(p + off));
      if (v < 0) break;
      acc = acc * 16 + v;
      if (off > 3) fail(s, end, "each group must have 4 or less digits", s.slice(p, aEnd));
    }
    if (off === 0) fail(s, end, "each colon-separated field must have at least one digit", s.slice(p, aEnd));

    if (p + off < aEnd && s.charCodeAt(p + off) === 46) {
      // Trailing dotted quad.
      if (ellipsis < 0 && n !== 6) {
        fail(s, end, "embedded IPv4 address must replace the final 2 fields of the address", s.slice(p, aEnd));
      }
      if (n + 2 > 8) {
        fail(s, end, "too many hex fields to fit an embedded IPv4 at the end of the address", s.slice(p, aEnd));
      }
      const v4 = parseV4(s, p, aEnd, end);
      g[n] = v4 >>> 16;
      g[n + 1] = v4 & 0xffff;
      n += 2;
      p = aEnd;
      break;
    }

    g[n++] = acc;
    p += off;
    if (p === aEnd) break;
    if (s.charCodeAt(p) !== 58) fail(s, end, "unexpected character, want colon", s.slice(p, aEnd));
    if (p + 1 === aEnd) fail(s, end, "colon must be followed by more characters", s.slice(p, aEnd));
    p++;
    if (s.charCodeAt(p) === 58) {
      if (ellipsis >= 0) fail(s, end, "multiple :: in address", s.slice(p, aEnd));
      ellipsis = n;
      p++;
      if (p === aEnd) break;
    }
  }

  if (p !== aEnd) fail(s, end, "trailing garbage after address", s.slice(p, aEnd));

  if (n < 8) {
    if (ellipsis < 0) fail(s, end, "address string too short");
    const shift = 8 - n;
    for (let j = n - 1; j >= ellipsis; j--) g[j + shift] = g[j];
    for (let j = ellipsis + shift - 1; j >= ellipsis; j--) g[j] = 0;
  } else if (ellipsis >= 0) {
    fail(s, end, "the :: must expand to at least one field of zeros");
  }
  return groupsToBigInt();
}

/** Set by scanAddr next to its return value: the IPv6 value (an IPv4 value is the return value itself). */
let parsedV6 = 0n;

/**
 * Go's ParseAddr on s[0, end), without allocating: returns the IPv4 value as a number, or -1 for IPv6 with
 * the value in lastParsedV6(); family and zone are left in lastParsedFamily() / lastParsedZone().
 * Throws NetParseError: in ParseAddr form naming s[0, end), or, when `prefix` is given, in ParsePrefix form
 * naming `prefix`.
 */
export function scanAddr(s: string, end: number, prefix: string | null): number {
  prefixInput = prefix;
  // Look for the first '.', ':' or '%' (Go's dispatch), reading a leading decimal octet on the way so that
  // IPv4 parsing can resume after it instead of starting over.
  let val = 0;
  let digits = 0;
  let octet = true; // s[0, i) is so far a valid first octet
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (octet) {
        if (digits === 1 && val === 0) octet = false;
        else {
          val = val * 10 + (c - 48);
          digits++;
          if (val > 255) octet = false;
        }
      }
      continue;
    }
    if (c === 46) {
      // '.': IPv4. Resume at i when the first octet was clean, else rescan from 0 for Go's exact error.
      const v = octet ? parseV4(s, 0, end, end, i, val, digits) : parseV4(s, 0, end, end);
      parsedFamily = 4;
      parsedZone = "";
      return v;
    }
    if (c === 58) {
      parsedV6 = parseV6(s, end); // ':'
      return -1;
    }
    if (c === 37) fail(s, end, "missing IPv6 address"); // '%'
    octet = false;
  }
  return fail(s, end, "unable to parse IP");
}

/** Go's ParseAddr on s[0, end) as scanAddr, with the value as a bigint. */
export function parseAddrValue(s: string, end: number, prefix: string | null): bigint {
  const v4 = scanAddr(s, end, prefix);
  return v4 >= 0 ? BigInt(v4) : parsedV6;
}

export function lastParsedV6(): bigint {
  return parsedV6;
}

export function lastParsedFamily(): Family {
  return parsedFamily;
}

export function lastParsedZone(): string {
  return parsedZone;
}

/**
 * Go's netip.ParseAddr: IPv4 as exactly four decimal octets (no leading zeros), IPv6 per RFC 4291 with
 * optional embedded IPv4 in the last 32 bits and an optional non-empty %zone. `::ffff:a.b.c.d` is IPv6.
 * Throws NetParseError with Go's message.
 */
export function parseAddr(s: string): Addr {
  const value = parseAddrValue(s, s.length, null);
  return { family: parsedFamily, value, zone: parsedZone };
}

// ---------------------------------------------------------------------------------------------------------
// Formatting

const DEC: readonly string[] = Array.from({ length: 256 }, (_, i) => String(i));
const DEC_DOT: readonly string[] = DEC.map((d) => d + ".");
const HEX1: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16)); // no leading zero
const HEX2: readonly string[] = HEX1.map((h) => h.padStart(2, "0"));

export function decimalSmall(n: number): string {
  return DEC[n] ?? String(n);
}

/** The first two octets of the last IPv4 address printed, and their text. */
let lastHigh = 0;
let lastHighText = "0.0.";

/** An IPv4 address (a number from 0 to 2^32-1) in dotted decimal. */
export function formatIPv4(n: number): string {
  // Addresses printed one after another mostly share their first two octets: keep "a.b." of the last one.
  const high = n >>> 16;
  if (high !== lastHigh) {
    lastHigh = high;
    lastHighText = DEC_DOT[high >>> 8] + DEC_DOT[high & 255];
  }
  return lastHighText + (DEC_DOT[(n >>> 8) & 255] + DEC[n & 255]);
}

/** A 16-bit group in lowercase hex without leading zeros. */
function hex16(x: number): string {
  return x < 256 ? HEX1[x] : HEX1[x >>> 8] + HEX2[x & 255];
}

function format6(value: bigint, zone: string): string {
  const d = scratch;
  d.setBigUint64(0, value >> 64n);
  d.setBigUint64(8, BigInt.asUintN(64, value));
  const g0 = d.getUint16(0);
  const g1 = d.getUint16(2);
  const g2 = d.getUint16(4);
  const g3 = d.getUint16(6);
  const g4 = d.getUint16(8);
  const g5 = d.getUint16(10);
  const tail = zone === "" ? "" : "%" + zone;
  if ((g0 | g1 | g2 | g3 | g4) === 0 && g5 === 0xffff) {
    return "::ffff:" + formatIPv4(d.getUint32(12)) + tail; // IPv4-mapped
  }
  const g = groups;
  g[0] = g0;
  g[1] = g1;
  g[2] = g2;
  g[3] = g3;
  g[4] = g4;
  g[5] = g5;
  g[6] = d.getUint16(12);
  g[7] = d.getUint16(14);

  // Longest run of >= 2 zero groups, leftmost on ties (RFC 5952 4.2).
  let zs = -1;
  let ze = -1;
  for (let i = 0; i < 8; i++) {
    if (g[i] !== 0) continue;
    let j = i + 1;
    while (j < 8 && g[j] === 0) j++;
    if (j - i >= 2 && j - i > ze - zs) {
      zs = i;
      ze = j;
    }
    i = j;
  }

  let out = "";
  for (let i = 0; i < 8; i++) {
    if (i === zs) {
      out += "::";
      i = ze;
      if (i >= 8) break;
    } else if (i > 0) {
      out += ":";
    }
    out += hex16(g[i]);
  }
  return out + tail;
}

/**
 * Go's Addr.String: IPv4 dotted decimal; IPv6 lowercase without leading zeros, the longest run of two or
 * more zero groups (leftmost on ties) as "::", IPv4-mapped as "::ffff:a.b.c.d", and "%zone" when the zone
 * is not empty (IPv4 has no zone). Throws RangeError for a value outside the family's range.
 */
export function formatAddr(family: Family, value: bigint, zone = ""): string {
  if (family === 4) {
    const n = Number(value);
    if (!(n >= 0 && n <= MAX4)) throw new RangeError("IPv4 address value out of range: " + value);
    return formatIPv4(n);
  }
  if (family === 6) {
    if (value < 0n || value > MAX6) throw new RangeError("IPv6 address value out of range: " + value);
    return format6(value, zone);
  }
  throw new RangeError("unknown address family: " + family);
}
