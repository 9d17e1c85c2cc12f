// One structured JSON log line per call. Never logs credentials: the entry is built from named fields
// only, and nothing from the request's headers goes into it.

import type { Fault } from "./fault";

export interface CallLog {
  rpc: string;
  /** Whose fault a failure is (worker/fault.ts); absent on success. */
  fault?: Fault;
  namespace?: string;
  /** Connect code string, "ok" on success. */
  code: string;
  durationMs: number;
  /** "connect-json", "connect-proto", "grpc-web", "grpc" or "unknown". */
  protocol: string;
  /** HTTP status of the response. */
  status: number;
  /** The error message (truncated), on failure. */
  error?: string;
}

const MAX_ERROR = 300;

export function callLine(entry: CallLog): string {
  const line: Record<string, unknown> = {
    msg: "call",
    rpc: entry.rpc,
    namespace: entry.namespace,
    code: entry.code,
    ...(entry.fault ? { fault: entry.fault } : {}),
    duration_ms: entry.durationMs,
    protocol: entry.protocol,
    status: entry.status,
  };
  if (entry.error !== undefined) {
    line.error = entry.error.length > MAX_ERROR ? `${entry.error.slice(0, MAX_ERROR)}...` : entry.error;
  }
  return JSON.stringify(line);
}

/** Successes and clients' mistakes at info level, the service's own failures at error level. */
export function logCall(entry: CallLog): void {
  const line = callLine(entry);
  if (entry.fault === "server") console.error(line);
  else console.log(line);
}

/** A one-off operational message (startup warnings and the like), as JSON. */
export function logNotice(msg: string, fields: Record<string, unknown> = {}): void {
  console.warn(JSON.stringify({ msg, ...fields }));
}
