// Whose fault a failed call is, for /metrics and the call log: "server" when the service is failing (a bug,
// the store down or too slow, a namespace overloaded), "client" when the call itself was the problem (bad
// input, no or a wrong token, a missing prefix, a client that hung up, a request that is no RPC call).
// docs/service.md ("Error accounting") has the table.

export type Fault = "client" | "server";

const SERVER_CODES = new Set(["internal", "unknown", "unavailable", "data_loss", "aborted"]);

export function faultOf(code: string, message = ""): Fault | undefined {
  if (code === "ok") return undefined;
  if (SERVER_CODES.has(code)) return "server";
  // A full namespace queue is the service's capacity; a body over the size limit is the client's.
  if (code === "resource_exhausted") return /is busy: \d+ calls are already waiting/.test(message) ? "server" : "client";
  // The store kept the call waiting (or did not answer its commit), or the caller's deadline was too short.
  if (code === "deadline_exceeded") return /waiting for the store|while its batch was being committed/.test(message) ? "server" : "client";
  return "client";
}
