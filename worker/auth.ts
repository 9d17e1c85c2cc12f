// Bearer-token auth against the secret IPAM_TOKENS: {"<token>": ["ns1", "ns2"] | "*"}.
//
// - Every RPC and /metrics needs a token; /health does not.
// - No or unknown token -> unauthenticated. A known token on a namespace it lacks -> permission_denied
//   (decided in the service, which knows the namespace once the request is parsed).
// - "*" (or a list containing "*") grants every namespace and the admin RPCs (Create/DeleteNamespace,
//   Dump, Load). A scoped token's ListNamespaces shows only its namespaces.
// - No tokens configured -> every call is refused with a message saying how to configure them, unless
//   IPAM_AUTH=disabled. A malformed IPAM_TOKENS -> every call fails with `internal` and a message saying
//   what is wrong with it; the message never quotes a token.
// - Tokens are compared as SHA-256 digests, in constant time, against every configured token.
// - Tokens never reach logs or error messages.

import { Code, ConnectError } from "@connectrpc/connect";
import { checkNamespaceName, isIpamError } from "../src/core/index";
import { type Access, FULL_ACCESS } from "../src/service/context";

export type AuthConfig =
  | { mode: "disabled" }
  | { mode: "unconfigured" }
  | { mode: "invalid"; reason: string }
  | { mode: "tokens"; entries: readonly TokenEntry[] };

interface TokenEntry {
  digest: Uint8Array;
  access: Access;
}

export interface AuthEnv {
  IPAM_AUTH?: string;
  IPAM_TOKENS?: string;
}

export const TOKENS_EXAMPLE = `{"<admin-token>":"*","<tenant-token>":["tenant-a","tenant-b"]}`;

export const UNCONFIGURED_MESSAGE =
  "no API tokens are configured, so every call is refused. Set the secret IPAM_TOKENS to a JSON object " +
  `mapping each token to the namespaces it may use, or "*" for all, e.g. ` +
  `echo '${TOKENS_EXAMPLE}' | npx wrangler secret put IPAM_TOKENS ` +
  "(locally: IPAM_TOKENS in .dev.vars). For local development only, IPAM_AUTH=disabled turns auth off.";

/** Parse IPAM_TOKENS into token -> access pairs, or say what is wrong (never quoting a token). */
export function parseTokens(raw: string): { ok: true; tokens: [string, Access][] } | { ok: false; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    // JSON.parse's own message quotes the input, which holds tokens: do not pass it on.
    return { ok: false, reason: `IPAM_TOKENS is not valid JSON; expected an object such as ${TOKENS_EXAMPLE}` };
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return { ok: false, reason: `IPAM_TOKENS must be a JSON object such as ${TOKENS_EXAMPLE}` };
  }
  const tokens: [string, Access][] = [];
  let i = 0;
  for (const [token, grant] of Object.entries(json as Record<string, unknown>)) {
    i++;
    const which = `entry ${i} of IPAM_TOKENS`;
    if (token.trim() === "" || token !== token.trim() || /\s/.test(token)) {
      return { ok: false, reason: `the token of ${which} is empty or contains whitespace` };
    }
    if (grant === "*") {
      tokens.push([token, FULL_ACCESS]);
      continue;
    }
    if (!Array.isArray(grant) || grant.some((n) => typeof n !== "string")) {
      return { ok: false, reason: `${which} must map its token to "*" or to a list of namespace names` };
    }
    const names = grant as string[];
    if (names.includes("*")) {
      tokens.push([token, FULL_ACCESS]);
      continue;
    }
    for (const n of names) {
      try {
        checkNamespaceName(n);
      } catch (e) {
        if (!isIpamError(e)) throw e;
        return { ok: false, reason: `${which} lists an invalid namespace: ${e.message}` };
      }
    }
    tokens.push([token, Object.freeze({ all: false, namespaces: new Set(names) })]);
  }
  return { ok: true, tokens };
}

async function sha256(s: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)));
}

let cached: { key: string; config: Promise<AuthConfig> } | undefined;

/** The auth configuration of `env`, parsed once per isolate (and again when the secret changes). */
export function authConfig(env: AuthEnv): Promise<AuthConfig> {
  if (env.IPAM_AUTH?.trim().toLowerCase() === "disabled") return Promise.resolve({ mode: "disabled" });
  const raw = env.IPAM_TOKENS ?? "";
  if (cached?.key === raw) return cached.config;
  const config = buildConfig(raw);
  cached = { key: raw, config };
  return config;
}

async function buildConfig(raw: string): Promise<AuthConfig> {
  if (raw.trim() === "") return { mode: "unconfigured" };
  const parsed = parseTokens(raw);
  if (!parsed.ok) return { mode: "invalid", reason: parsed.reason };
  if (parsed.tokens.length === 0) return { mode: "unconfigured" };
  const entries = await Promise.all(parsed.tokens.map(async ([t, access]) => ({ digest: await sha256(t), access })));
  return { mode: "tokens", entries };
}

/** The bearer token of an Authorization header, or undefined. */
export function bearerToken(header: string | null): string | undefined {
  if (!header) return undefined;
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : undefined;
}

/** Equal-length byte arrays compared without an early exit. */
function sameDigest(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length && i < b.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Who the caller is, from the Authorization header; throws the ConnectError to answer otherwise. */
export async function authenticate(config: AuthConfig, authorization: string | null): Promise<Access> {
  switch (config.mode) {
    case "disabled":
      return FULL_ACCESS;
    case "unconfigured":
      throw new ConnectError(UNCONFIGURED_MESSAGE, Code.Unauthenticated);
    case "invalid":
      throw new ConnectError(`server misconfigured: ${config.reason}`, Code.Internal);
    case "tokens": {
      const token = bearerToken(authorization);
      if (token === undefined) {
        throw new ConnectError("missing bearer token: send the header 'Authorization: Bearer <token>'", Code.Unauthenticated);
      }
      const digest = await sha256(token);
      let found: Access | undefined;
      // Look at every entry, so the time taken does not depend on which one matches.
      for (const e of config.entries) {
        if (sameDigest(digest, e.digest) && found === undefined) found = e.access;
      }
      if (found === undefined) throw new ConnectError("invalid bearer token", Code.Unauthenticated);
      return found;
    }
  }
}
