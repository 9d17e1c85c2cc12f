// A deployment whose store settings are missing or malformed answers every namespace call with `internal`
// and a message naming the setting, never its value, and logs no secret.
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../../worker/env";
import { client, failure, PROTOCOLS, withEnv } from "./clients";


const SECRET = "do-not-print-me-4711";

describe("bad store settings", () => {
  afterEach(() => vi.restoreAllMocks());

  const cases: [Partial<Env>, string][] = [
    [{ IPAM_STORE: "cassandra" }, "IPAM_STORE must be one of"],
    [{ IPAM_STORE: "redis", UPSTASH_REDIS_REST_TOKEN: SECRET }, "IPAM_STORE=redis needs UPSTASH_REDIS_REST_URL"],
    [{ IPAM_STORE: "redis", UPSTASH_REDIS_REST_URL: `ftp://${SECRET}`, UPSTASH_REDIS_REST_TOKEN: SECRET }, "UPSTASH_REDIS_REST_URL is not a valid URL"],
    [{ IPAM_STORE: "postgres", DATABASE_URL: `postgres://u:${SECRET}@h/db`, NEON_WS_PROXY: "wss://proxy" }, "NEON_WS_PROXY must be"],
    // The default build leaves the MongoDB driver out (wrangler.mongodb.toml has it).
    [{ IPAM_STORE: "mongodb", MONGODB_URI: `mongodb://u:${SECRET}@h:27017/?replicaSet=rs0` }, "IPAM_STORE=mongodb needs the MongoDB driver"],
  ];
  for (const [overrides, message] of cases) {
    it(`${JSON.stringify(Object.keys(overrides))}: every call fails with internal, naming the setting`, async () => {
      const lines: string[] = [];
      for (const m of ["log", "warn", "error"] as const) vi.spyOn(console, m).mockImplementation((...a: unknown[]) => lines.push(a.join(" ")));
      const fetcher = withEnv(overrides);
      for (const protocol of PROTOCOLS) {
        const c = client(protocol, undefined, fetcher);
        for (const call of [() => c.listPrefixes({}), () => c.acquireIP({ prefixCidr: "10.0.0.0/24" }), () => c.listNamespaces({})]) {
          const f = await failure(call());
          expect(f.code).toBe("Internal");
          expect(f.message).toContain(`server misconfigured: ${message}`);
          expect(f.message).not.toContain(SECRET);
        }
      }
      // Version needs no store.
      expect((await client("connect-json", undefined, fetcher).version({})).version).not.toBe("");
      vi.restoreAllMocks();
      for (const l of lines) expect(l).not.toContain(SECRET);
    });
  }
});
