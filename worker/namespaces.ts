// What the Worker's RPC handlers call: one Durable Object per namespace for commands, plus the directory
// object for listing. Every function answers an Outcome and never throws.
//
// Create and delete follow a crash-safe protocol (docs/storage.md, "The namespace directory"):
//   1. directory.begin(name)           -> the name is marked pending (an intent id)
//   2. namespace object create/delete  -> the source of truth changes (idempotent, versioned)
//   3. directory.record(name, state)   -> the object's reported state and version; the intent is settled
// A crash after 1 or 2 leaves the name pending; listNamespaces asks the object about pending names, so its
// answer is right whatever step crashed, and repairs the directory.

import { checkNamespaceName, DEFAULT_NAMESPACE } from "../src/core/names";
import type { Command } from "../src/core/types";
import { ServerError } from "../src/server/errors";
import { consoleLogger, failure, type Outcome } from "../src/server/outcome";
import type { NamespaceState } from "../src/storage/types";
import { DIRECTORY_NAME } from "./directory-object";
import type { Env } from "./env";
import type { CallOptions, NamespaceObjectStats } from "./namespace-object";

export type { CallOptions };

const namespaceStub = (env: Env, name: string) => env.NAMESPACE.get(env.NAMESPACE.idFromName(name));
const directoryStub = (env: Env) => env.DIRECTORY.get(env.DIRECTORY.idFromName(DIRECTORY_NAME));

/** A thrown RPC failure (object reset, overloaded, network): logged, answered as unavailable. */
function rpcFailure(what: string, e: unknown): Outcome<never> {
  consoleLogger(`${what}: Durable Object call failed`, e);
  return failure(new ServerError("unavailable", `${what} failed: the namespace service is unavailable, retry`));
}

function checkName(name: string): Outcome<never> | undefined {
  try {
    checkNamespaceName(name);
    return undefined;
  } catch (e) {
    return failure(e);
  }
}

/** Runs one command in its namespace's object. */
export async function runCommand(env: Env, namespace: string, cmd: Command, opts?: CallOptions): Promise<Outcome<unknown>> {
  const bad = checkName(namespace);
  if (bad) return bad;
  try {
    return await namespaceStub(env, namespace).execute(namespace, cmd, opts);
  } catch (e) {
    return rpcFailure(`${cmd?.op ?? "command"} in namespace ${JSON.stringify(namespace)}`, e);
  }
}

/** The object's current existence, or undefined if it cannot be asked. */
async function existenceOf(env: Env, name: string): Promise<NamespaceState | undefined> {
  try {
    const out = await namespaceStub(env, name).existence(name);
    return out.ok ? out.result : undefined;
  } catch (e) {
    consoleLogger(`existence of namespace ${JSON.stringify(name)}`, e);
    return undefined;
  }
}

/** Step 3 of the protocol; a failure leaves the name pending for the next list to repair. */
async function record(env: Env, name: string, state: NamespaceState | undefined, intent: number): Promise<void> {
  if (!state) return;
  try {
    await directoryStub(env).record(name, state, intent);
  } catch (e) {
    consoleLogger(`directory: recording namespace ${JSON.stringify(name)} failed; the next list repairs it`, e);
  }
}

async function changeNamespace(
  env: Env,
  name: string,
  what: "create" | "delete",
  act: (stub: ReturnType<typeof namespaceStub>) => Promise<Outcome<NamespaceState>>,
): Promise<Outcome<null>> {
  const bad = checkName(name);
  if (bad) return bad;
  let intent: number;
  try {
    intent = await directoryStub(env).begin(name);
  } catch (e) {
    return rpcFailure(`${what} namespace ${JSON.stringify(name)}`, e);
  }
  let out: Outcome<NamespaceState>;
  try {
    out = await act(namespaceStub(env, name));
  } catch (e) {
    // Outcome unknown: the name stays pending until a list asks the object.
    return rpcFailure(`${what} namespace ${JSON.stringify(name)}`, e);
  }
  await record(env, name, out.ok ? out.result : await existenceOf(env, name), intent);
  return out.ok ? { ok: true, result: null } : out;
}

/** Creates a namespace; idempotent (creating an existing one succeeds), as go-ipam. */
export function createNamespace(env: Env, name: string, opts?: CallOptions): Promise<Outcome<null>> {
  return changeNamespace(env, name, "create", (stub) => stub.createNamespace(name, opts));
}

/** Deletes a namespace; refused (conflict) while it holds prefixes, namespace_not_found if missing. */
export function deleteNamespace(env: Env, name: string, opts?: CallOptions): Promise<Outcome<null>> {
  return changeNamespace(env, name, "delete", (stub) => stub.deleteNamespace(name, opts));
}

/** The namespaces that exist, sorted; root unless it was deleted. */
export async function listNamespaces(env: Env): Promise<Outcome<string[]>> {
  const dir = directoryStub(env);
  let listing;
  try {
    listing = await dir.list();
  } catch (e) {
    return rpcFailure("list namespaces", e);
  }
  const names = new Set(listing.present);
  await Promise.all(
    listing.pending.map(async (p) => {
      const state = await existenceOf(env, p.name);
      if (state ? state.exists : p.present) names.add(p.name);
      if (state) {
        try {
          await dir.record(p.name, state, p.intent, true);
        } catch (e) {
          consoleLogger(`directory: reconciling namespace ${JSON.stringify(p.name)} failed`, e);
        }
      }
    }),
  );
  return { ok: true, result: [...names].sort() };
}

/** Sizes and counters of one namespace (for /metrics). */
export async function namespaceStats(env: Env, name: string): Promise<Outcome<NamespaceObjectStats>> {
  const bad = checkName(name);
  if (bad) return bad;
  try {
    return await namespaceStub(env, name).stats(name);
  } catch (e) {
    return rpcFailure(`stats of namespace ${JSON.stringify(name)}`, e);
  }
}

export { DEFAULT_NAMESPACE };
