// go-ipam's PrefixesOverlapping(existing, new): the first pair (existing in order, then new) that overlaps,
// reported as `<new> overlaps <existing>` with both printed as parsed.
import { NetParseError, type Prefix, formatPrefix, parsePrefix, prefixesOverlap } from "../net";
import { IpamError, overlaps } from "./errors";

export function prefixesOverlapping(existing: readonly string[], newPrefixes: readonly string[]): IpamError | null {
  for (const e of existing) {
    const ep = parseOrError(e);
    if (ep instanceof IpamError) return ep;
    for (const n of newPrefixes) {
      const np = parseOrError(n);
      if (np instanceof IpamError) return np;
      if (prefixesOverlap(ep, np)) return overlaps(formatPrefix(np), formatPrefix(ep));
    }
  }
  return null;
}

function parseOrError(s: string): Prefix | IpamError {
  try {
    return parsePrefix(s);
  } catch (e) {
    if (e instanceof NetParseError) return new IpamError("invalid_input", `parsing prefix ${s} failed:${e.message}`);
    throw e;
  }
}
