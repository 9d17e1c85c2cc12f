// What bench/load.ts asks the benchmark Worker (bench/load/worker.ts) and what it answers.

export type BenchFamily = "ipv4" | "ipv6";

export interface FillRequest {
  family: BenchFamily;
  count: number;
  /** Addresses per store.commit. */
  batch: number;
  /** Commits per call. */
  calls: number;
}

export interface FillFigures {
  prefix: string;
  addresses: number;
  commits: number;
  /** Blocks and labelled rows the store holds afterwards. */
  blocks: number;
  ipsRows: number;
  /** Bytes of the blocks' data (the varints) and of their keys. */
  blockDataBytes: number;
  /** The first blocks as an operator sees them (first_ip, count). */
  sample: { first_ip: string; count: number }[];
}

export interface LoadFigures {
  prefix: string;
  /** Addresses the rebuilt namespace holds (must equal what was filled). */
  held: number;
  records: number;
  /** performance.now() inside the object around open + load + rebuild. */
  insideMs: number;
  /** process.memoryUsage() inside workerd, where it answers. */
  memory: { heapUsed?: number; rss?: number } | null;
}
