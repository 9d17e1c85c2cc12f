// Store settings: every backend's good settings, and for every missing or malformed one a message that
// names the setting, says how to fix it, and never quotes a secret.
import { describe, expect, it } from "vitest";
import { DEFAULT_STORE_TIMEOUT_MS, redact, secretsOf, storeConfig } from "../../src/storage/config";

const SECRET = "s3cr3t-Value-123";

const good = {
  redis: { IPAM_STORE: "redis", UPSTASH_REDIS_REST_URL: "https://eu1-x.upstash.io", UPSTASH_REDIS_REST_TOKEN: SECRET },
  postgres: { IPAM_STORE: "postgres", DATABASE_URL: `postgres://app:${SECRET}@db.example.com/ipam` },
  etcd: { IPAM_STORE: "etcd", ETCD_ENDPOINT: "https://etcd.example.com:2379", ETCD_USERNAME: "ipam", ETCD_PASSWORD: SECRET },
  mongodb: { IPAM_STORE: "mongodb", MONGODB_URI: `mongodb://app:${SECRET}@mongo.example.com/?replicaSet=rs0` },
};

describe("store settings", () => {
  it("defaults to the Durable Objects' own storage", () => {
    expect(storeConfig({})).toEqual({ ok: true, config: { kind: "durable-object", timeoutMs: DEFAULT_STORE_TIMEOUT_MS } });
    expect(storeConfig({ IPAM_STORE: "" })).toMatchObject({ ok: true, config: { kind: "durable-object" } });
  });

  it("reads each backend's settings", () => {
    expect(storeConfig(good.redis)).toEqual({
      ok: true,
      config: { kind: "redis", url: "https://eu1-x.upstash.io", token: SECRET, timeoutMs: DEFAULT_STORE_TIMEOUT_MS },
    });
    expect(storeConfig({ ...good.redis, UPSTASH_REDIS_REST_URL: "http://127.0.0.1:8079/" })).toMatchObject({
      ok: true,
      config: { url: "http://127.0.0.1:8079" },
    });
    expect(storeConfig({ ...good.postgres, NEON_WS_PROXY: "127.0.0.1:5480/v1", IPAM_AUTO_MIGRATE: "false" })).toMatchObject({
      ok: true,
      config: { kind: "postgres", wsProxy: "127.0.0.1:5480/v1", autoMigrate: false },
    });
    expect(storeConfig(good.postgres)).toMatchObject({ ok: true, config: { autoMigrate: true, idleMs: 5000 } });
    expect(storeConfig({ ...good.postgres, IPAM_PG_IDLE_MS: "250" })).toMatchObject({ ok: true, config: { idleMs: 250 } });
    expect(storeConfig(good.etcd)).toMatchObject({ ok: true, config: { kind: "etcd", username: "ipam", password: SECRET } });
    expect(storeConfig({ IPAM_STORE: "etcd", ETCD_ENDPOINT: "http://127.0.0.1:2379" })).toMatchObject({ ok: true });
    expect(storeConfig(good.mongodb)).toMatchObject({ ok: true, config: { kind: "mongodb", database: "ipam" } });
    expect(storeConfig({ ...good.redis, IPAM_STORE_TIMEOUT_MS: "2500" })).toMatchObject({ ok: true, config: { timeoutMs: 2500 } });
  });

  const bad: [string, Record<string, unknown>, string][] = [
    ["an unknown store", { IPAM_STORE: "sqlite" }, "IPAM_STORE must be one of durable-object, redis, postgres, etcd, mongodb"],
    ["a store name that is not a string", { IPAM_STORE: 5 }, "IPAM_STORE must be a string"],
    ["redis without its URL", { IPAM_STORE: "redis", UPSTASH_REDIS_REST_TOKEN: SECRET }, "IPAM_STORE=redis needs UPSTASH_REDIS_REST_URL"],
    ["redis without its token", { IPAM_STORE: "redis", UPSTASH_REDIS_REST_URL: "https://x.upstash.io" }, "needs UPSTASH_REDIS_REST_TOKEN"],
    ["a redis URL that is not a URL", { ...good.redis, UPSTASH_REDIS_REST_URL: `not a url ${SECRET}` }, "UPSTASH_REDIS_REST_URL is not a valid URL"],
    ["a redis URL of another scheme", { ...good.redis, UPSTASH_REDIS_REST_URL: "redis://x.upstash.io:6379" }, "UPSTASH_REDIS_REST_URL is not a valid URL"],
    ["a redis URL holding credentials", { ...good.redis, UPSTASH_REDIS_REST_URL: `https://u:${SECRET}@x.upstash.io` }, "must not hold credentials"],
    ["a redis token with whitespace", { ...good.redis, UPSTASH_REDIS_REST_TOKEN: `${SECRET} x` }, "UPSTASH_REDIS_REST_TOKEN contains whitespace"],
    ["postgres without its URL", { IPAM_STORE: "postgres" }, "IPAM_STORE=postgres needs DATABASE_URL"],
    ["a postgres URL of another scheme", { IPAM_STORE: "postgres", DATABASE_URL: `mysql://a:${SECRET}@h/db` }, "DATABASE_URL is not a valid URL"],
    ["a ws proxy with a scheme", { ...good.postgres, NEON_WS_PROXY: "ws://127.0.0.1:5480/v1" }, "NEON_WS_PROXY must be host:port/path with no scheme"],
    ["a ws proxy with spaces", { ...good.postgres, NEON_WS_PROXY: "127.0.0.1 :5480" }, "NEON_WS_PROXY must be host:port/path"],
    ["a migrate flag that is not a boolean", { ...good.postgres, IPAM_AUTO_MIGRATE: "yes" }, 'IPAM_AUTO_MIGRATE must be "true" or "false"'],
    ["an idle time out of range", { ...good.postgres, IPAM_PG_IDLE_MS: "5" }, "IPAM_PG_IDLE_MS must be a whole number of milliseconds from 100"],
    ["etcd without its endpoint", { IPAM_STORE: "etcd" }, "IPAM_STORE=etcd needs ETCD_ENDPOINT"],
    ["an etcd password without a user", { IPAM_STORE: "etcd", ETCD_ENDPOINT: "http://h:2379", ETCD_PASSWORD: SECRET }, "ETCD_USERNAME and ETCD_PASSWORD go together"],
    ["an etcd endpoint of another scheme", { IPAM_STORE: "etcd", ETCD_ENDPOINT: "grpc://h:2379" }, "ETCD_ENDPOINT is not a valid URL"],
    ["mongodb without its URI", { IPAM_STORE: "mongodb" }, "IPAM_STORE=mongodb needs MONGODB_URI"],
    ["a mongodb URI of another scheme", { IPAM_STORE: "mongodb", MONGODB_URI: `http://a:${SECRET}@h` }, "MONGODB_URI is not a valid URL"],
    ["a bad database name", { ...good.mongodb, MONGODB_DATABASE: "a b" }, "MONGODB_DATABASE must be 1-63 letters"],
    ["a timeout that is not a number", { ...good.redis, IPAM_STORE_TIMEOUT_MS: "soon" }, "IPAM_STORE_TIMEOUT_MS must be a whole number"],
    ["a timeout of zero", { ...good.redis, IPAM_STORE_TIMEOUT_MS: "0" }, "IPAM_STORE_TIMEOUT_MS must be a whole number"],
  ];
  for (const [what, env, message] of bad) {
    it(`refuses ${what}, naming the setting and never its value`, () => {
      const r = storeConfig(env);
      expect(r.ok).toBe(false);
      const m = (r as { message: string }).message;
      expect(m).toContain(message);
      expect(m).toMatch(/wrangler|set both|put the token|use ETCD_USERNAME/);
      expect(m).not.toContain(SECRET);
    });
  }

  it("knows each backend's secrets, and scrubs them (also URL-encoded) from text", () => {
    for (const env of Object.values(good)) {
      const r = storeConfig(env);
      if (!r.ok) throw new Error(r.message);
      expect(secretsOf(r.config)).toContain(SECRET);
    }
    const odd = storeConfig({ IPAM_STORE: "postgres", DATABASE_URL: "postgres://app:p%40ss%2Fw0rd@h/db" });
    if (!odd.ok) throw new Error(odd.message);
    const secrets = secretsOf(odd.config);
    expect(redact("auth failed for p@ss/w0rd and p%40ss%2Fw0rd", secrets)).toBe("auth failed for [redacted] and [redacted]");
  });
});
