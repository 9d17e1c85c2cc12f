// go-ipam's Usage, exact for any prefix size: uint64 fields saturate at 2^64-1 instead of wrapping or capping
// at 2^31-1 as the original does (CONTRACT §3).
import type { PrefixNode } from "./prefix-node";
import type { Usage } from "./types";

export const MAX_UINT64 = (1n << 64n) - 1n;
/** The smallest prefix usage counts: a /30 (IPv4) or a /126 (IPv6), four addresses. */
const SMALLEST_PREFIX_SIZE = 4n;

export const saturate = (n: bigint): bigint => (n > MAX_UINT64 ? MAX_UINT64 : n);

export function usageOf(node: PrefixNode): Usage {
  const availablePrefixes: string[] = [];
  let units = 0n;
  for (const block of node.freeBlocks()) {
    if (block.size < SMALLEST_PREFIX_SIZE) continue;
    availablePrefixes.push(node.blockCidr(block.start, block.size));
    units += block.size / SMALLEST_PREFIX_SIZE;
  }
  return {
    availableIPs: saturate(node.size),
    acquiredIPs: BigInt(node.heldCount),
    availableSmallestPrefixes: saturate(units),
    availablePrefixes,
    acquiredPrefixes: BigInt(node.childCount),
  };
}

/** go-ipam's Usage.String(): `ip:<acquired>/<available>[ prefixes alloc:<n> avail:<smallest>]`. */
export function usageString(u: Pick<Usage, "acquiredIPs" | "availableIPs" | "acquiredPrefixes" | "availableSmallestPrefixes">): string {
  const ips = `ip:${u.acquiredIPs}/${u.availableIPs}`;
  return u.acquiredPrefixes === 0n ? ips : `${ips} prefixes alloc:${u.acquiredPrefixes} avail:${u.availableSmallestPrefixes}`;
}
