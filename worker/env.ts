// The Worker's bindings (wrangler.toml) and secrets.
export interface Env {
  NAMESPACE: DurableObjectNamespace<import("./namespace-object").NamespaceObject>;
  DIRECTORY: DurableObjectNamespace<import("./directory-object").DirectoryObject>;
  /** "disabled" turns auth off (local development only). */
  IPAM_AUTH?: string;
  /** JSON object mapping each bearer token to the namespaces it may use, or "*" for all. */
  IPAM_TOKENS?: string;
  /** Which calls get a log line: "all" (default), "errors" (code != ok) or "off". */
  IPAM_CALL_LOG?: string;
  /** Set at deploy time; shown by the Version RPC. */
  GIT_REVISION?: string;
  /** Most calls waiting per namespace before new ones are refused with resource_exhausted (default 1024). */
  IPAM_MAX_QUEUE?: string;
  /** How long an Idempotency-Key's answer is kept (seconds, default 86400) and how many per namespace (10000). */
  IPAM_IDEMPOTENCY_TTL_SECONDS?: string;
  IPAM_IDEMPOTENCY_MAX_KEYS?: string;
  /** Where namespaces persist: durable-object (default), redis, postgres, etcd, mongodb (src/storage/config.ts). */
  IPAM_STORE?: string;
  IPAM_STORE_TIMEOUT_MS?: string;
  UPSTASH_REDIS_REST_URL?: string;
  UPSTASH_REDIS_REST_TOKEN?: string;
  DATABASE_URL?: string;
  NEON_WS_PROXY?: string;
  IPAM_AUTO_MIGRATE?: string;
  IPAM_PG_IDLE_MS?: string;
  ETCD_ENDPOINT?: string;
  ETCD_USERNAME?: string;
  ETCD_PASSWORD?: string;
  MONGODB_URI?: string;
  MONGODB_DATABASE?: string;
}

// `env` from "cloudflare:test" (and cloudflare:workers) is typed as Cloudflare.Env: make it this Env.
declare global {
  namespace Cloudflare {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface Env extends WorkerEnv {}
  }
}
type WorkerEnv = Env;
