// The load loop of the service benchmark: N workers, each repeating one operation (a call or a pair of
// calls) until a deadline, with every call's latency recorded.
import type { Call } from "./service-client";

/** One operation of worker `w`: the calls it makes, each timed by `timed`. */
export type Operation = (w: number, timed: Call) => Promise<void>;

export interface Measurement {
  seconds: number;
  ops: number;
  calls: number;
  errors: number;
  firstError?: string;
  /** Per-call latency, ms. */
  callP50: number;
  callP99: number;
  /** Per-operation (pair) latency, ms. */
  opP50: number;
  opP99: number;
}

export async function measure(call: Call, op: Operation, concurrency: number, seconds: number): Promise<Measurement> {
  const callMs: number[] = [];
  const opMs: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const timed: Call = async (rpc, message) => {
    const t0 = performance.now();
    const answer = await call(rpc, message);
    callMs.push(performance.now() - t0);
    if (answer.status !== 200) {
      errors++;
      firstError ??= `${rpc}: HTTP ${answer.status} ${answer.body}`;
    }
    return answer;
  };
  const start = performance.now();
  const deadline = start + seconds * 1000;
  const worker = async (w: number) => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        await op(w, timed);
      } catch (e) {
        errors++;
        firstError ??= e instanceof Error ? e.message : String(e);
      }
      opMs.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  const elapsed = (performance.now() - start) / 1000;
  return {
    seconds: elapsed,
    ops: opMs.length,
    calls: callMs.length,
    errors,
    firstError,
    callP50: percentile(callMs, 0.5),
    callP99: percentile(callMs, 0.99),
    opP50: percentile(opMs, 0.5),
    opP99: percentile(opMs, 0.99),
  };
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}
