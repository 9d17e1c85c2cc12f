// Starts what a store backend needs on this machine (the real database on a private loopback port with a
// throw-away data directory, and the stand-in for the provider's front door) and says how the Worker reaches
// it: the vars and secrets to bind. Used by the vitest projects (global-setup.ts), `npm run dev -- --store`
// and `npm run bench:stores`.
import pg from "pg";
import { createClient } from "redis";
import { startMongoBackend } from "./mongo-backend";
import { deletePrefix, type EtcdAuth, enableAuth, etcdPost, etcdVersion, rootToken, startEtcdServer } from "./etcd-server";
import { startNeonRelay } from "./neon-relay";
import { type PostgresServer, startPostgresServer } from "./postgres-server";
import { waitUntilStopped } from "./process";
import { startRedisServer } from "./redis-server";
import { startUpstashBridge } from "./upstash-bridge";

export const BACKENDS = ["durable-object", "redis", "postgres", "etcd", "mongodb"] as const;
export type BackendName = (typeof BACKENDS)[number];

export const isBackendName = (s: string): s is BackendName => (BACKENDS as readonly string[]).includes(s);

/** crash-mid-batch: the server dies (as kill -9) in the middle of the next big batch (the MongoDB stand-in only). */
export type Fault = "pause" | "resume" | "kill" | "restart" | "crash-mid-batch";

export interface RunningBackend {
  name: BackendName;
  /** The Worker vars and secrets that point it at this backend. */
  vars: Record<string, string>;
  /** What runs, for test output and logs ("redis-server 7.0 behind the Upstash REST bridge"). */
  description: string;
  /** Signals to the database process, for the fault tests. */
  fault(f: Fault): Promise<void>;
  /** Removes every record of every namespace (between test files). */
  wipe(): Promise<void>;
  /** What a stand-in was asked for and does not implement (the tests fail on any). */
  complaints?(): string[];
  stop(): Promise<void>;
}

export interface BackendOptions {
  /** Keep the database's data here instead of a throw-away directory. */
  dataDir?: string;
}

async function redisBackend(opts: BackendOptions): Promise<RunningBackend> {
  const server = await startRedisServer({ dataDir: opts.dataDir });
  const bridge = await startUpstashBridge({ redisPort: server.port });
  const admin = createClient({ socket: { host: "127.0.0.1", port: server.port, reconnectStrategy: () => 200 }, RESP: 2 });
  admin.on("error", () => {});
  await admin.connect();
  const version = String((await admin.sendCommand(["INFO", "server"])) ?? "").match(/redis_version:(\S+)/)?.[1] ?? "?";
  return {
    name: "redis",
    vars: { IPAM_STORE: "redis", UPSTASH_REDIS_REST_URL: bridge.url, UPSTASH_REDIS_REST_TOKEN: bridge.token },
    description: `redis-server ${version} (port ${server.port}, AOF appendfsync always) behind the Upstash REST bridge (${bridge.url})`,
    async fault(f) {
      if (f === "pause") server.pause();
      else if (f === "resume") server.resume();
      else if (f === "kill") await server.kill();
      else if (f === "restart") await server.restart();
      else throw new Error(`redis-server has no ${f} fault`);
    },
    async wipe() {
      await admin.sendCommand(["FLUSHALL"]);
    },
    async stop() {
      await admin.quit().catch(() => admin.disconnect());
      await bridge.close();
      await server.stop();
    },
  };
}

/** The store's tables (migrations/); wipe empties them and leaves the recorded schema version. */
const POSTGRES_TABLES = ["namespaces", "prefixes", "ips", "records"];

async function postgresBackend(opts: BackendOptions): Promise<RunningBackend> {
  const server = await startPostgresServer({ dataDir: opts.dataDir });
  try {
    return await postgresOn(server);
  } catch (e) {
    await server.stop();
    throw e;
  }
}

async function postgresOn(server: PostgresServer): Promise<RunningBackend> {
  const relay = await startNeonRelay({ postgresPort: server.port });
  // The Worker connects as an ordinary role owning its database (CREATEDB so tests can make empty ones).
  const password = `ipam-${crypto.randomUUID()}`;
  const admin = async <T>(database: string, f: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ host: "127.0.0.1", port: server.port, user: server.user, password: server.password, database });
    c.on("error", () => {});
    await c.connect();
    try {
      return await f(c);
    } finally {
      await c.end().catch(() => {});
    }
  };
  await admin("postgres", async (c) => {
    const exists = (await c.query("SELECT 1 FROM pg_roles WHERE rolname = 'ipam'")).rowCount! > 0;
    await c.query(`${exists ? "ALTER" : "CREATE"} ROLE ipam LOGIN CREATEDB PASSWORD '${password}'`);
    if ((await c.query("SELECT 1 FROM pg_database WHERE datname = 'ipam'")).rowCount === 0) await c.query("CREATE DATABASE ipam OWNER ipam");
  });
  const databaseUrl = `postgres://ipam:${password}@127.0.0.1:${server.port}/ipam`;
  return {
    name: "postgres",
    // A short idle time: an open connection keeps a Durable Object from being evicted, and the tests evict often.
    vars: { IPAM_STORE: "postgres", DATABASE_URL: databaseUrl, NEON_WS_PROXY: relay.proxy, IPAM_PG_IDLE_MS: "250" },
    description: `PostgreSQL ${server.version} (port ${server.port}, SCRAM auth) behind the Neon wsproxy relay (${relay.proxy})`,
    async fault(f) {
      if (f === "pause") server.pause();
      else if (f === "resume") server.resume();
      else if (f === "kill") await server.kill();
      else await server.restart();
    },
    async wipe() {
      await admin("ipam", async (c) => {
        const present = await c.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename = ANY ($1)", [POSTGRES_TABLES]);
        if (present.rowCount! > 0) await c.query(`TRUNCATE ${present.rows.map((r) => r.tablename).join(", ")}`);
      });
    },
    async stop() {
      await relay.close();
      await server.stop();
    },
  };
}

/** Fixed, so a kept data directory (BackendOptions.dataDir) works again; the server only listens on loopback. */
const ETCD_AUTH: EtcdAuth = { rootPassword: "etcd-root-Zq7vK2pX", user: "ipam", password: "etcd-ipam-W4nR8tLs" };

async function etcdBackend(opts: BackendOptions): Promise<RunningBackend> {
  const server = await startEtcdServer({ dataDir: opts.dataDir });
  const authOn = await etcdPost(server.url, "/v3/auth/authenticate", { name: "root", password: ETCD_AUTH.rootPassword }).then(
    () => true,
    () => false,
  );
  if (!authOn) await enableAuth(server.url, ETCD_AUTH);
  const version = await etcdVersion(server.url);
  return {
    name: "etcd",
    vars: { IPAM_STORE: "etcd", ETCD_ENDPOINT: server.url, ETCD_USERNAME: ETCD_AUTH.user, ETCD_PASSWORD: ETCD_AUTH.password },
    description: `etcd ${version} (${server.url}, default limits: --max-txn-ops 128, --max-request-bytes 1.5 MiB; auth on, user ${ETCD_AUTH.user} limited to ipam/)`,
    async fault(f) {
      if (f === "pause") {
        server.pause();
        await waitUntilStopped(server.pid);
      } else if (f === "resume") server.resume();
      else if (f === "kill") await server.kill();
      else if (f === "restart") await server.restart();
      else throw new Error(`etcd has no ${f} fault`);
    },
    async wipe() {
      await deletePrefix(server.url, "ipam/", await rootToken(server.url, ETCD_AUTH));
    },
    stop: () => server.stop(),
  };
}

export async function startBackend(name: BackendName, opts: BackendOptions = {}): Promise<RunningBackend> {
  switch (name) {
    case "durable-object":
      return {
        name,
        vars: {},
        description: "Durable Object SQLite",
        fault: async () => {
          throw new Error("the Durable Object backend has no server process to fault");
        },
        wipe: async () => {},
        stop: async () => {},
      };
    case "redis":
      return redisBackend(opts);
    case "postgres":
      return postgresBackend(opts);
    case "etcd":
      return etcdBackend(opts);
    case "mongodb":
      return startMongoBackend(opts);
  }
}
