// Address math of the IPAM: Go net/netip parsing and printing, containment, overlap, CIDR decomposition.
// Pure functions, no I/O.

export type { Addr, Family, Prefix } from "./types.js";
export { NetParseError } from "./errors.js";
export { bitLen, formatAddr, parseAddr } from "./addr.js";
export {
  containsAddr,
  containsPrefix,
  formatPrefix,
  maskPrefix,
  parsePrefix,
  prefixFirst,
  prefixLast,
  prefixSize,
  prefixesOverlap,
} from "./prefix.js";
export { rangeToPrefixes } from "./ranges.js";
