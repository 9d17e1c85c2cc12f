import { IpamError, describe, invalidNamespace } from "./errors";

export const DEFAULT_NAMESPACE = "root";

const MAX_NAME_LENGTH = 63;

/**
 * Namespace names are 1 to 63 visible ASCII characters. That keeps them safe as Durable Object names, SQL
 * values, Redis and etcd key parts, and accepts every name go-ipam's own tests use (UUIDs, `%u6c^qi$u%t...`).
 */
export function checkNamespaceName(name: string): void {
  if (typeof name !== "string") throw new IpamError("invalid_input", `invalid namespace: must be a string, got ${describe(name)}`);
  if (name.length === 0) throw invalidNamespace(name, "must not be empty");
  if (name.length > MAX_NAME_LENGTH)
    throw invalidNamespace(name.slice(0, 80), `is ${name.length} characters long, at most ${MAX_NAME_LENGTH} are allowed`);
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x21 || c > 0x7e)
      throw invalidNamespace(name, `character ${JSON.stringify(name[i])} at position ${i} is not a visible ASCII character`);
  }
}
