// go-ipam's PrefixesOverlapping(existing, new): the first pair (existing in order, then new) that overlaps,
// reported as `<new> overlaps <existing>` with both printed as parsed. A parse error is reported when go-ipam's
// nested loop would reach it: an existing entry when its turn comes, a new one only while checking the first
// existing entry (an empty existing list parses nothing).
//
// go-ipam compares every pair. Long lists (the PrefixesOverlapping RPC takes thousands) are answered the
// same way from an index of the new prefixes instead: the new prefixes overlapping one existing prefix are those
// that start inside it (a range of the list sorted by address) and those that contain it (one lookup per
// prefix length present), and of those the one earliest in the list wins.
import { NetParseError, type Prefix, formatPrefix, parsePrefix, prefixFirst, prefixLast, prefixesOverlap } from "../net";
import { IpamError, overlaps } from "./errors";

/** Below this many pairs, comparing every pair is cheaper than building the index. */
const PAIRS_WORTH_AN_INDEX = 1024;

export function prefixesOverlapping(existing: readonly string[], newPrefixes: readonly string[]): IpamError | null {
  const found = findOverlap(existing, newPrefixes);
  return found === null || found instanceof IpamError ? found : overlaps(found.newPrefix, found.existingPrefix);
}

/** The first overlapping pair, each printed as parsed; an IpamError for the parse error go-ipam would report. */
export function findOverlap(
  existing: readonly string[],
  newPrefixes: readonly string[],
): { existingPrefix: string; newPrefix: string } | IpamError | null {
  if (existing.length === 0) return null;
  const first = parseOrError(existing[0]);
  if (first instanceof IpamError) return first;
  const parsedNew: Prefix[] = [];
  for (const n of newPrefixes) {
    const np = parseOrError(n);
    if (np instanceof IpamError) return np;
    if (prefixesOverlap(first, np)) return pair(first, np);
    parsedNew.push(np);
  }
  const index = existing.length * newPrefixes.length > PAIRS_WORTH_AN_INDEX ? new OverlapIndex(parsedNew) : null;
  for (let i = 1; i < existing.length; i++) {
    const ep = parseOrError(existing[i]);
    if (ep instanceof IpamError) return ep;
    let hit = -1;
    if (index !== null) hit = index.earliestOverlapping(ep);
    else
      for (let j = 0; j < parsedNew.length && hit < 0; j++) if (prefixesOverlap(ep, parsedNew[j])) hit = j;
    if (hit >= 0) return pair(ep, parsedNew[hit]);
  }
  return null;
}

const pair = (e: Prefix, n: Prefix) => ({ existingPrefix: formatPrefix(e), newPrefix: formatPrefix(n) });

function parseOrError(s: string): Prefix | IpamError {
  try {
    return parsePrefix(s);
  } catch (e) {
    if (e instanceof NetParseError) return new IpamError("invalid_input", `parsing prefix ${s} failed:${e.message}`);
    throw e;
  }
}

/** The new prefixes of one family, for "which of them, earliest in the list, overlaps this prefix?". */
class FamilyIndex {
  /** First addresses, ascending, and for each its position in the caller's list. */
  private readonly starts: bigint[] = [];
  /** minPosition[k][i]: the smallest position among sorted entries i .. i + 2^k - 1 (a sparse table). */
  private readonly minPosition: Int32Array[] = [];
  /** By prefix length, masked first address -> the smallest position of a prefix with that length and address. */
  private readonly byLength = new Map<number, Map<bigint, number>>();

  constructor(entries: { first: bigint; bits: number; position: number }[]) {
    entries.sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : a.position - b.position));
    const level0 = new Int32Array(entries.length);
    entries.forEach((e, i) => {
      this.starts.push(e.first);
      level0[i] = e.position;
      let sameLength = this.byLength.get(e.bits);
      if (sameLength === undefined) this.byLength.set(e.bits, (sameLength = new Map()));
      const known = sameLength.get(e.first);
      if (known === undefined || e.position < known) sameLength.set(e.first, e.position);
    });
    this.minPosition.push(level0);
    for (let width = 2; width <= entries.length; width *= 2) {
      const below = this.minPosition[this.minPosition.length - 1];
      const level = new Int32Array(entries.length - width + 1);
      for (let i = 0; i < level.length; i++) level[i] = Math.min(below[i], below[i + width / 2]);
      this.minPosition.push(level);
    }
  }

  /** Smallest position of a prefix overlapping `p`, or -1. */
  earliest(p: Prefix): number {
    const first = prefixFirst(p);
    const last = prefixLast(p);
    let best = this.earliestStartingIn(first, last);
    for (const [bits, sameLength] of this.byLength) {
      if (bits > p.bits) continue;
      const position = sameLength.get(prefixFirst({ ...p, bits }));
      if (position !== undefined && (best < 0 || position < best)) best = position;
    }
    return best;
  }

  private earliestStartingIn(first: bigint, last: bigint): number {
    const from = this.lowerBound(first);
    const to = this.lowerBound(last + 1n); // exclusive
    if (from >= to) return -1;
    const k = 31 - Math.clz32(to - from);
    return Math.min(this.minPosition[k][from], this.minPosition[k][to - (1 << k)]);
  }

  private lowerBound(x: bigint): number {
    let lo = 0;
    let hi = this.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.starts[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

class OverlapIndex {
  private readonly families: Record<4 | 6, FamilyIndex>;

  constructor(prefixes: Prefix[]) {
    const entries = { 4: [] as { first: bigint; bits: number; position: number }[], 6: [] as { first: bigint; bits: number; position: number }[] };
    prefixes.forEach((p, position) => entries[p.family].push({ first: prefixFirst(p), bits: p.bits, position }));
    this.families = { 4: new FamilyIndex(entries[4]), 6: new FamilyIndex(entries[6]) };
  }

  earliestOverlapping(p: Prefix): number {
    return this.families[p.family].earliest(p);
  }
}
