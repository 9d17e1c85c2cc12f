// Page tokens of ListIPs and Dump: where the next page starts, as a key (a prefix and its last address listed),
// so paging stays where it was while the namespace changes. Opaque to callers: base64url of a small JSON object.
// A token that does not decode is an invalid_argument naming page_token; what it names is checked by the core.
import { Code, ConnectError } from "@connectrpc/connect";
import type { DumpCursor } from "../core/types";

const invalidToken = (why: string) => new ConnectError(`invalid page_token: ${why}`, Code.InvalidArgument);

export function encodePageToken(cursor: DumpCursor): string {
  const bytes = new TextEncoder().encode(JSON.stringify(cursor.ip === undefined ? { p: cursor.prefix } : { p: cursor.prefix, a: cursor.ip }));
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function decodePageToken(token: string): DumpCursor {
  if (token.length > 512 || !/^[A-Za-z0-9_-]+$/.test(token)) throw invalidToken("not a token this service gave out");
  let value: unknown;
  try {
    const binary = atob(token.replace(/-/g, "+").replace(/_/g, "/"));
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
  } catch {
    throw invalidToken("not a token this service gave out");
  }
  const v = value as { p?: unknown; a?: unknown } | null;
  if (v === null || typeof v !== "object" || typeof v.p !== "string" || (v.a !== undefined && typeof v.a !== "string"))
    throw invalidToken("not a token this service gave out");
  return v.a === undefined ? { prefix: v.p } : { prefix: v.p, ip: v.a };
}

/** A ListIPs token: it must come from a listing of the same prefix. */
export function listIPsAfter(token: string, prefixCidr: string): string | undefined {
  if (token === "") return undefined;
  const cursor = decodePageToken(token);
  if (cursor.prefix !== prefixCidr || cursor.ip === undefined)
    throw invalidToken(`it continues a listing of ${JSON.stringify(cursor.prefix)}, not of prefix_cidr ${JSON.stringify(prefixCidr)}`);
  return cursor.ip;
}
