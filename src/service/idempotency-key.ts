// The Idempotency-Key request header (IETF httpapi draft "The Idempotency-Key HTTP Header Field"): read and
// checked, and the fingerprint of the request it guards, so the same key with another request is refused.
import { type DescMessage, type Message, toJson } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { RpcName } from "./errors";

export const IDEMPOTENCY_HEADER = "Idempotency-Key";

/**
 * The RPCs that change a namespace: an Idempotency-Key on them makes a retry safe (answered from the first
 * call's record). On the others a key is checked and has no effect.
 */
export const MUTATING_RPCS: ReadonlySet<RpcName> = new Set<RpcName>([
  "CreatePrefix",
  "DeletePrefix",
  "AcquireChildPrefix",
  "ReleaseChildPrefix",
  "AcquireIP",
  "ReleaseIP",
  "Load",
  "AcquireIPs",
  "ReleaseIPs",
  "AcquireChildPrefixes",
  "ReleaseChildPrefixes",
]);
const MAX_KEY_LENGTH = 255;

/**
 * The key a call carries, or undefined. The draft's form is a Structured Field string (`"..."`); a bare value is
 * accepted too. 1 to 255 visible ASCII characters, no quote or backslash inside.
 */
export function idempotencyKeyOf(header: string | null): string | undefined {
  if (header === null) return undefined;
  const raw = header.trim();
  const key = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
  if (key.length === 0 || key.length > MAX_KEY_LENGTH || !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(key)) {
    throw new ConnectError(
      `invalid ${IDEMPOTENCY_HEADER} header: expected 1 to ${MAX_KEY_LENGTH} visible ASCII characters without quotes or backslashes (e.g. a UUID), optionally in double quotes`,
      Code.InvalidArgument,
    );
  }
  return key;
}

/** JSON with every object's keys sorted: map fields (labels) compare equal whatever order their keys came in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * SHA-256 of the RPC's name and the request in a canonical form (its Connect JSON with sorted keys): equal for
 * equal requests in any wire format and any order of map entries.
 */
export async function requestFingerprint(rpc: string, schema: DescMessage, request: Message): Promise<string> {
  const data = new TextEncoder().encode(`${rpc}\n${canonical(toJson(schema, request))}`);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  let hex = "";
  for (const b of digest) hex += b.toString(16).padStart(2, "0");
  return hex;
}
