// Which store a deployment keeps its namespaces in, read from the Worker's vars and secrets. A missing or
// malformed setting gives a message that names the setting (never its value) and says how to fix it.
// docs/configuration.md lists every setting.

export const STORE_KINDS = ["durable-object", "redis", "postgres", "etcd", "mongodb"] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

/** What the store settings are read from (the Worker's env, or process.env in a benchmark). */
export type StoreEnv = Partial<Record<string, unknown>>;

interface Common {
  /** Longest a single store round trip may take before it counts as failed (its outcome unknown). */
  timeoutMs: number;
}

export type StoreConfig =
  | ({ kind: "durable-object" } & Common)
  | ({ kind: "redis"; url: string; token: string } & Common)
  | ({ kind: "postgres"; databaseUrl: string; wsProxy?: string; autoMigrate: boolean; idleMs: number } & Common)
  | ({ kind: "etcd"; endpoint: string; username?: string; password?: string } & Common)
  | ({ kind: "mongodb"; uri: string; database: string } & Common);

export type StoreConfigResult = { ok: true; config: StoreConfig } | { ok: false; message: string };

export const DEFAULT_STORE_TIMEOUT_MS = 10_000;

class ConfigProblem extends Error {}

const howToSet = (name: string, secret: boolean) =>
  secret
    ? `set it with \`npx wrangler secret put ${name}\` (locally: \`npm run dev -- --var ${name}:...\` or .dev.vars)`
    : `set it in wrangler.toml [vars] (locally: \`npm run dev -- --var ${name}:...\`)`;

function text(env: StoreEnv, name: string): string | undefined {
  const v = env[name];
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v !== "string") throw new ConfigProblem(`${name} must be a string; ${howToSet(name, false)}`);
  return v;
}

function required(env: StoreEnv, name: string, store: string, what: string, secret = true): string {
  const v = text(env, name);
  if (v === undefined) throw new ConfigProblem(`IPAM_STORE=${store} needs ${name} (${what}); ${howToSet(name, secret)}`);
  return v;
}

function url(value: string, name: string, schemes: readonly string[], what: string, secret = true): URL {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new ConfigProblem(`${name} is not a valid URL; expected ${what}; ${howToSet(name, secret)}`);
  }
  if (!schemes.includes(u.protocol) || u.hostname === "" || /\s/.test(value)) {
    throw new ConfigProblem(`${name} is not a valid URL; expected ${what}; ${howToSet(name, secret)}`);
  }
  return u;
}

function timeoutMs(env: StoreEnv): number {
  const raw = text(env, "IPAM_STORE_TIMEOUT_MS");
  if (raw === undefined) return DEFAULT_STORE_TIMEOUT_MS;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > 600_000) {
    throw new ConfigProblem(
      `IPAM_STORE_TIMEOUT_MS must be a whole number of milliseconds from 1 to 600000 (default ${DEFAULT_STORE_TIMEOUT_MS}); ${howToSet("IPAM_STORE_TIMEOUT_MS", false)}`,
    );
  }
  return n;
}

export const DEFAULT_PG_IDLE_MS = 5_000;

/** How long the Postgres store keeps an idle connection: an open one keeps its Durable Object active (and billed). */
function idleMs(env: StoreEnv): number {
  const raw = text(env, "IPAM_PG_IDLE_MS");
  if (raw === undefined) return DEFAULT_PG_IDLE_MS;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 100 || n > 600_000) {
    throw new ConfigProblem(
      `IPAM_PG_IDLE_MS must be a whole number of milliseconds from 100 to 600000 (default ${DEFAULT_PG_IDLE_MS}); ${howToSet("IPAM_PG_IDLE_MS", false)}`,
    );
  }
  return n;
}

function flag(env: StoreEnv, name: string, dflt: boolean): boolean {
  const raw = text(env, name);
  if (raw === undefined) return dflt;
  if (raw === "true") return true;
  if (raw === "false") return false;
  throw new ConfigProblem(`${name} must be "true" or "false"; ${howToSet(name, false)}`);
}

/** host:port/path with no scheme, as neonConfig.wsProxy returns it. */
function wsProxy(env: StoreEnv): string | undefined {
  const raw = text(env, "NEON_WS_PROXY");
  if (raw === undefined) return undefined;
  if (/^[a-z]+:\/\//i.test(raw) || /\s/.test(raw) || !/^[^/?#]+(\/[^?#]*)?$/.test(raw)) {
    throw new ConfigProblem(
      `NEON_WS_PROXY must be host:port/path with no scheme (what neonConfig.wsProxy returns), e.g. 127.0.0.1:5480/v1; ${howToSet("NEON_WS_PROXY", false)}`,
    );
  }
  return raw;
}

function read(env: StoreEnv): StoreConfig {
  const kind = text(env, "IPAM_STORE") ?? "durable-object";
  const common = { timeoutMs: timeoutMs(env) };
  switch (kind) {
    case "durable-object":
      return { kind, ...common };
    case "redis": {
      const raw = required(env, "UPSTASH_REDIS_REST_URL", kind, "the Upstash REST URL, https://<db>.upstash.io");
      const u = url(raw, "UPSTASH_REDIS_REST_URL", ["https:", "http:"], "an https:// (or, self-hosted, http://) REST URL");
      if (u.username || u.password) {
        throw new ConfigProblem("UPSTASH_REDIS_REST_URL must not hold credentials; put the token in UPSTASH_REDIS_REST_TOKEN");
      }
      const token = required(env, "UPSTASH_REDIS_REST_TOKEN", kind, "the Upstash REST token");
      if (/\s/.test(token)) throw new ConfigProblem(`UPSTASH_REDIS_REST_TOKEN contains whitespace; ${howToSet("UPSTASH_REDIS_REST_TOKEN", true)}`);
      return { kind, url: raw.replace(/\/+$/, ""), token, ...common };
    }
    case "postgres": {
      const raw = required(env, "DATABASE_URL", kind, "a postgres:// connection string");
      url(raw, "DATABASE_URL", ["postgres:", "postgresql:"], "postgres://user:password@host[:port]/database");
      const proxy = wsProxy(env);
      return {
        kind,
        databaseUrl: raw,
        ...(proxy ? { wsProxy: proxy } : {}),
        autoMigrate: flag(env, "IPAM_AUTO_MIGRATE", true),
        idleMs: idleMs(env),
        ...common,
      };
    }
    case "etcd": {
      const raw = required(env, "ETCD_ENDPOINT", kind, "the etcd gateway's URL, e.g. https://etcd.example.com:2379", false);
      const u = url(raw, "ETCD_ENDPOINT", ["https:", "http:"], "an http:// or https:// URL of etcd's JSON gateway", false);
      if (u.username || u.password) throw new ConfigProblem("ETCD_ENDPOINT must not hold credentials; use ETCD_USERNAME and ETCD_PASSWORD");
      const username = text(env, "ETCD_USERNAME");
      const password = text(env, "ETCD_PASSWORD");
      if ((username === undefined) !== (password === undefined)) {
        throw new ConfigProblem("ETCD_USERNAME and ETCD_PASSWORD go together: set both or neither");
      }
      return { kind, endpoint: raw.replace(/\/+$/, ""), ...(username ? { username, password } : {}), ...common };
    }
    case "mongodb": {
      const raw = required(env, "MONGODB_URI", kind, "a mongodb:// or mongodb+srv:// connection string");
      url(raw, "MONGODB_URI", ["mongodb:", "mongodb+srv:"], "mongodb://user:password@host[:port]/?replicaSet=...");
      const database = text(env, "MONGODB_DATABASE") ?? "ipam";
      if (!/^[A-Za-z0-9_-]{1,63}$/.test(database)) {
        throw new ConfigProblem(`MONGODB_DATABASE must be 1-63 letters, digits, "_" or "-"; ${howToSet("MONGODB_DATABASE", false)}`);
      }
      return { kind, uri: raw, database, ...common };
    }
    default:
      throw new ConfigProblem(`IPAM_STORE must be one of ${STORE_KINDS.join(", ")}; ${howToSet("IPAM_STORE", false)}`);
  }
}

/** The deployment's store settings, or what is wrong with them. */
export function storeConfig(env: StoreEnv): StoreConfigResult {
  try {
    return { ok: true, config: read(env) };
  } catch (e) {
    if (e instanceof ConfigProblem) return { ok: false, message: e.message };
    throw e;
  }
}

/** The secret values of a config, to be scrubbed from anything logged. */
export function secretsOf(config: StoreConfig): string[] {
  const found: string[] = [];
  const add = (v: string | undefined) => {
    if (v && v.length >= 4) found.push(v);
  };
  switch (config.kind) {
    case "redis":
      add(config.token);
      break;
    case "postgres":
      add(config.databaseUrl);
      add(passwordOf(config.databaseUrl));
      break;
    case "etcd":
      add(config.password);
      break;
    case "mongodb":
      add(config.uri);
      add(passwordOf(config.uri));
      break;
  }
  return found;
}

function passwordOf(connection: string): string | undefined {
  try {
    const p = new URL(connection).password;
    return p ? decodeURIComponent(p) : undefined;
  } catch {
    return undefined;
  }
}

/** Replaces every secret in `text` with "[redacted]". */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    out = out.split(s).join("[redacted]");
    const encoded = encodeURIComponent(s);
    if (encoded !== s) out = out.split(encoded).join("[redacted]");
  }
  return out;
}
