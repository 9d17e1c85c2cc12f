// Which store this deployment's namespaces live in (IPAM_STORE and the backend's settings) and how the
// namespace runner is bounded (IPAM_MAX_QUEUE), read once per env object. A bad setting turns every call into
// `internal` with a message naming the setting.
import { ServerError } from "../src/server/errors";
import { type RunnerSettings, runnerSettings } from "../src/server/settings";
import { storeConfig, type StoreConfigResult } from "../src/storage/config";
import { DoSqliteStore } from "../src/storage/do-sqlite";
import type { MongoDriverLoader } from "../src/storage/mongodb";
import { openExternalStore, type StoreDrivers } from "../src/storage/open";
import type { Store } from "../src/storage/types";
import type { Env } from "./env";

const cache = new WeakMap<object, StoreConfigResult>();
const drivers: StoreDrivers = {};

/**
 * Called by the Worker entry built for MongoDB (worker/mongodb/index.ts, `wrangler deploy --config wrangler.mongodb.toml`), the
 * only one that bundles the driver.
 */
export function provideMongoDriver(load: MongoDriverLoader): void {
  drivers.mongodb = load;
}

export const MONGODB_BUILD_MISSING =
  "IPAM_STORE=mongodb needs the MongoDB driver, which this build of the Worker leaves out to stay small: deploy the " +
  "MongoDB build with `npx wrangler deploy --config wrangler.mongodb.toml` (locally: `npm run dev -- --store mongodb`)";

/**
 * The Worker's settings: which store, with its settings, and the runner's bounds. One result, so one check
 * per call: a wrong runner setting makes it unusable just like a wrong store setting.
 */
export function workerSettings(env: Env): StoreConfigResult {
  let s = cache.get(env);
  if (!s) {
    const vars = env as unknown as Record<string, unknown>;
    const runner = runnerSettings(vars);
    s = runner.ok ? storeConfig(vars) : { ok: false, message: runner.message };
    if (s.ok && s.config.kind === "mongodb" && !drivers.mongodb) s = { ok: false, message: MONGODB_BUILD_MISSING };
    cache.set(env, s);
  }
  return s;
}

/** The runner's settings (valid whenever workerSettings(env) is). */
export function runnerSettingsOf(env: Env): RunnerSettings {
  const r = runnerSettings(env as unknown as Record<string, unknown>);
  if (!r.ok) throw new ServerError("internal", misconfiguredMessage(r.message));
  return r.settings;
}

export const misconfiguredMessage = (problem: string) => `server misconfigured: ${problem}`;

/** Whether the namespaces live in the Durable Objects' own SQLite (the default) or an external store. */
export function usesExternalStore(env: Env): boolean {
  const s = workerSettings(env);
  return s.ok && s.config.kind !== "durable-object";
}

/** The store a namespace object persists to: its own SQLite, or the configured external store. */
export function openStore(env: Env, storage: DurableObjectStorage): Store {
  const s = workerSettings(env);
  if (!s.ok) throw new ServerError("internal", misconfiguredMessage(s.message));
  return s.config.kind === "durable-object" ? new DoSqliteStore(storage) : openExternalStore(s.config, drivers);
}
