// One structured JSON log line per call. Never logs credentials: the entry is built from named fields
// only, and nothing from the request's headers goes into it.

export interface CallLog {
  rpc: string;
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
    duration_ms: entry.durationMs,
    protocol: entry.protocol,
    status: entry.status,
  };
  if (entry.error !== undefined) {
    line.error = entry.error.length > MAX_ERROR ? `${entry.error.slice(0, MAX_ERROR)}...` : entry.error;
  }
  return JSON.stringify(line);
}

export function logCall(entry: CallLog): void {
  const line = callLine(entry);
  if (entry.code === "ok") console.log(line);
  else if (entry.code === "internal" || entry.code === "unknown" || entry.code === "unavailable") console.error(line);
  else console.warn(line);
}

/** A one-off operational message (startup warnings and the like), as JSON. */
export function logNotice(msg: string, fields: Record<string, unknown> = {}): void {
  console.warn(JSON.stringify({ msg, ...fields }));
}
