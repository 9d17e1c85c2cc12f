// Opens the external store a config names (every backend but the Durable Object's own SQLite, which needs
// the object's storage and is opened by the object itself).
import type { StoreConfig } from "./config";
import { EtcdStore } from "./etcd";
import { PostgresStore } from "./postgres";
import { UpstashRedisStore } from "./redis";
import type { Store } from "./types";

export type ExternalStoreConfig = Exclude<StoreConfig, { kind: "durable-object" }>;

export function openExternalStore(config: ExternalStoreConfig): Store {
  switch (config.kind) {
    case "redis":
      return new UpstashRedisStore(config);
    case "postgres":
      return new PostgresStore(config);
    case "etcd":
      return new EtcdStore(config);
    default:
      throw new Error(`the ${config.kind} store is not built yet`);
  }
}
