// What bench/stores.ts asks the benchmark Worker (bench/stores/worker.ts) and what it answers.

export type Workload = "AcquireIP" | "AcquireChildPrefix" | "CreatePrefix";

export interface BenchRequest {
  workload: Workload;
  concurrency: number;
  ms: number;
}

export interface BenchFigures {
  pairs: number;
  seconds: number;
  pairsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  callsPerCommit: number;
  commits: number;
  errors: number;
  firstError?: string;
}
