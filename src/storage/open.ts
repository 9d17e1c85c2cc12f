// Opens the external store a config names (every backend but the Durable Object's own SQLite, which needs
// the object's storage and is opened by the object itself). Drivers too big to bundle for everyone (MongoDB's)
// are passed in by the entry that wants them, so builds without them stay lean.
import type { StoreConfig } from "./config";
import { EtcdStore } from "./etcd";
import { MongoStore, type MongoDriverLoader } from "./mongodb";
import { PostgresStore } from "./postgres";
import { UpstashRedisStore } from "./redis";
import type { Store } from "./types";

export type ExternalStoreConfig = Exclude<StoreConfig, { kind: "durable-object" }>;

export interface StoreDrivers {
  /** `() => import("mongodb")`; needed for IPAM_STORE=mongodb. */
  mongodb?: MongoDriverLoader;
}

export function openExternalStore(config: ExternalStoreConfig, drivers: StoreDrivers = {}): Store {
  switch (config.kind) {
    case "redis":
      return new UpstashRedisStore(config);
    case "mongodb":
      if (!drivers.mongodb) throw new Error("the mongodb store needs the MongoDB driver: pass drivers.mongodb, e.g. () => import(\"mongodb\")");
      return new MongoStore(config, drivers.mongodb);
    case "postgres":
      return new PostgresStore(config);
    case "etcd":
      return new EtcdStore(config);
  }
}
