// The MongoDB tests run in Node and drive the real Worker inside workerd through wrangler's test harness
// (createTestHarness): the vitest pool cannot load the MongoDB driver (docs/storage.md "MongoDB"). Here: start
// a Worker build against the project's MongoDB (stand-in or real, test/harness/mongo-backend.ts), Connect
// clients pointed at it, its Durable Objects over RPC, the control server, and the tests' own look at the
// database (what an operator sees with mongosh).
import "../harness/provided";
import { fileURLToPath } from "node:url";
import { type Client, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import type { MongoClient } from "mongodb";
import { inject } from "vitest";
import { createTestHarness } from "wrangler";
import { IpamService } from "../../src/gen/api/v1/ipam_pb";
import { inspectorClient } from "../harness/mongo-backend";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Which server these tests run against, for test names and output. */
export const REAL_SERVER = Boolean(process.env.MONGODB_URI);
export const SERVER_KIND = REAL_SERVER
  ? "a REAL MongoDB server (MONGODB_URI)"
  : "the MongoDB wire-protocol STAND-IN (not a real mongod)";

export const ADMIN = "test-admin";
const TOKENS = JSON.stringify({ [ADMIN]: "*", "test-tenant": ["tenant-a"] });

export type Protocol = "connect-json" | "connect-proto" | "grpc-web";
export type IpamClient = Client<typeof IpamService>;

export const storeVars = (): Record<string, string> => inject("storeVars");

export interface RunningWorker {
  url: string;
  /** The Worker's bindings (its Durable Object namespaces are callable from here). */
  env: Record<string, unknown>;
  client(protocol?: Protocol, token?: string | null): IpamClient;
  /** Every line the Worker logged so far. */
  logs(): string[];
  close(): Promise<void>;
}

const bearer =
  (token: string | null): Interceptor =>
  (next) =>
  (req) => {
    if (token !== null) req.header.set("Authorization", `Bearer ${token}`);
    return next(req);
  };

/**
 * Starts a Worker build in workerd: the MongoDB build of the service (wrangler.mongodb.toml) unless another
 * config is named, with the project's store settings and test tokens, `vars` on top.
 */
export async function startWorker(opts: { config?: string; vars?: Record<string, string> } = {}): Promise<RunningWorker> {
  const server = createTestHarness({
    workers: [
      {
        configPath: `${ROOT}/${opts.config ?? "wrangler.mongodb.toml"}`,
        vars: { IPAM_AUTH: "enabled", IPAM_TOKENS: TOKENS, ...storeVars(), ...opts.vars },
      },
    ],
  });
  const { url } = await server.listen();
  const base = url.toString().replace(/\/$/, "");
  const env = (await server.getWorker().getEnv()) as Record<string, unknown>;
  const doFetch: typeof fetch = (input, init) => fetch(input, { ...init, redirect: "manual" });
  return {
    url: base,
    env,
    client(protocol = "connect-json", token = ADMIN) {
      const o = { baseUrl: base, fetch: doFetch, interceptors: [bearer(token)] };
      return createClient(
        IpamService,
        protocol === "grpc-web" ? createGrpcWebTransport({ ...o, useBinaryFormat: true }) : createConnectTransport({ ...o, useBinaryFormat: protocol === "connect-proto" }),
      );
    },
    logs: () => server.getLogs().map((l) => l.message),
    close: () => server.close(),
  };
}

async function control(path: string): Promise<string> {
  const res = await fetch(`${inject("controlUrl")}${path}`, { method: "POST" });
  const text = await res.text();
  if (!res.ok) throw new Error(`control ${path}: ${res.status} ${text}`);
  return text;
}

export const wipeStore = () => control("/wipe");
export const storeFault = (f: "pause" | "resume" | "kill" | "restart" | "crash-mid-batch") => control(`/fault/${f}`);
/** What the stand-in refused since it started (none is allowed). */
export const standinComplaints = async () => (await control("/complaints")).split("\n").filter(Boolean);

/** The tests' own client on the project's database, as an operator's mongosh would look at it. */
export async function withInspector<T>(body: (db: ReturnType<MongoClient["db"]>) => Promise<T>): Promise<T> {
  const vars = storeVars();
  const client = inspectorClient(vars.MONGODB_URI);
  try {
    await client.connect();
    return await body(client.db(vars.MONGODB_DATABASE ?? "ipam"));
  } finally {
    await client.close().catch(() => {});
  }
}

let n = 0;
export function uniqueNamespace(prefix = "t"): string {
  return `${prefix}-${Date.now().toString(36)}-${(n++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** A DO RPC result as plain data (results come back as proxies through the harness). */
export function plain<T>(v: unknown): T {
  return JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x))) as T;
}
