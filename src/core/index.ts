export * from "./errors";
export * from "./types";
export { Namespace, type Applied, type NamespaceStats } from "./namespace";
export { DEFAULT_NAMESPACE, checkNamespaceName } from "./names";
export { Ipam, type Options } from "./ipam";
export { MemoryStore, recordKey } from "./memory-store";
export { usageString, MAX_UINT64 } from "./usage";
export { DUMP_FORMAT } from "./dump";
export { prefixesOverlapping } from "./overlapping";
