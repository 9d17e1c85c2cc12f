// Which store this deployment's namespaces live in (IPAM_STORE and the backend's settings), read once per
// env object. A bad setting turns every call into `internal` with a message naming the setting.
import { ServerError } from "../src/server/errors";
import { storeConfig, type StoreConfigResult } from "../src/storage/config";
import { DoSqliteStore } from "../src/storage/do-sqlite";
import { openExternalStore } from "../src/storage/open";
import type { Store } from "../src/storage/types";
import type { Env } from "./env";

const cache = new WeakMap<object, StoreConfigResult>();

export function storeSettings(env: Env): StoreConfigResult {
  let s = cache.get(env);
  if (!s) cache.set(env, (s = storeConfig(env as unknown as Record<string, unknown>)));
  return s;
}

export const misconfiguredMessage = (problem: string) => `server misconfigured: ${problem}`;

/** Whether the namespaces live in the Durable Objects' own SQLite (the default) or an external store. */
export function usesExternalStore(env: Env): boolean {
  const s = storeSettings(env);
  return s.ok && s.config.kind !== "durable-object";
}

/** The store a namespace object persists to: its own SQLite, or the configured external store. */
export function openStore(env: Env, storage: DurableObjectStorage): Store {
  const s = storeSettings(env);
  if (!s.ok) throw new ServerError("internal", misconfiguredMessage(s.message));
  return s.config.kind === "durable-object" ? new DoSqliteStore(storage) : openExternalStore(s.config);
}
