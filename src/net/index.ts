// Address math of the IPAM: Go net/netip parsing and printing, containment, overlap, CIDR decomposition.
// Pure functions, no I/O.

export type { Addr, Family, Prefix } from "./types.js";
export { NetParseError } from "./errors.js";
export { bitLen, decimalSmall, formatAddr, formatIPv4, lastParsedFamily, lastParsedV6, lastParsedZone, parseAddr, scanAddr } from "./addr.js";
export {
  containsAddr,
  containsPrefix,
  formatPrefix,
  maskIPv4,
  maskPrefix,
  parsePrefix,
  scanPrefix,
  scannedPrefix,
  type ScannedPrefix,
  prefixFirst,
  prefixLast,
  prefixSize,
  prefixesOverlap,
} from "./prefix.js";
export { rangeToPrefixes } from "./ranges.js";
