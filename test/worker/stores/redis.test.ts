// The Redis store (Upstash REST) against a real redis-server: the layout an operator reads with redis-cli,
// O(1) writes per acquire, and big batches (a 100,000-record Load, 512 calls, batches staged over several
// requests) all or nothing. Runs in the workers-redis project only.
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Change, IPInfo } from "../../../src/core/types";
import type { Outcome } from "../../../src/server/outcome";
import { storeConfig } from "../../../src/storage/config";
import { keysOf, UpstashRedisStore } from "../../../src/storage/redis";
import { FencingError } from "../../../src/storage/types";
import { backend } from "../backend";
import { client, uniqueNamespace } from "../clients";

const api = client("connect-proto");

/** One raw command through the REST endpoint, as `redis-cli` would send it. */
async function redisCli(...command: string[]): Promise<unknown> {
  const res = await fetch(env.UPSTASH_REDIS_REST_URL!, {
    method: "POST",
    headers: { authorization: `Bearer ${env.UPSTASH_REDIS_REST_TOKEN}` },
    body: JSON.stringify(command),
  });
  return ((await res.json()) as { result: unknown }).result;
}

function storeWith(maxRequestBytes?: number): UpstashRedisStore {
  const s = storeConfig(env as unknown as Record<string, unknown>);
  if (!s.ok || s.config.kind !== "redis") throw new Error("not a redis project");
  return new UpstashRedisStore(s.config, { maxRequestBytes });
}

const ipChanges = (prefix: string, n: number, octet = 16): Change[] => [
  { op: "put", record: { kind: "prefix", cidr: prefix, parentCidr: "" } },
  ...Array.from({ length: n }, (_, i): Change => ({
    op: "put",
    record: { kind: "ip", prefix, ip: `10.${octet}.${(i >> 8) & 255}.${i & 255}` },
  })),
];

describe.skipIf(backend !== "redis")("redis store", () => {
  afterEach(() => vi.restoreAllMocks());

  it("keeps one hash field per prefix and per address, readable with redis-cli", async () => {
    const ns = uniqueNamespace("layout");
    await api.createNamespace({ namespace: ns });
    await api.createPrefix({ cidr: "10.0.0.0/16", namespace: ns });
    await api.acquireChildPrefix({ cidr: "10.0.0.0/16", length: 24, namespace: ns });
    await api.acquireIP({ prefixCidr: "10.0.0.0/24", namespace: ns });
    const k = keysOf(ns);
    expect(await redisCli("SISMEMBER", "ipam:namespaces", ns)).toBe(1);
    const meta = (await redisCli("HGETALL", k.meta)) as string[];
    expect(meta[meta.indexOf("present") + 1]).toBe("1");
    expect(Number(meta[meta.indexOf("version") + 1])).toBeGreaterThan(1);
    expect(await redisCli("HGETALL", k.prefixes)).toEqual(
      expect.arrayContaining(["10.0.0.0/16", '{"parentCidr":""}', "10.0.0.0/24", '{"parentCidr":"10.0.0.0/16"}']),
    );
    expect(((await redisCli("HKEYS", k.ips)) as string[]).sort()).toEqual(
      ["10.0.0.0/16 10.0.0.0", "10.0.0.0/16 10.0.255.255", "10.0.0.0/24 10.0.0.0", "10.0.0.0/24 10.0.0.1", "10.0.0.0/24 10.0.0.255"].sort(),
    );
    expect(await redisCli("HGET", k.ips, "10.0.0.0/24 10.0.0.1")).toBe(""); // no extra fields yet
  });

  it("writes one field per acquire whatever the prefix's fill (5,000 held)", async () => {
    const ns = uniqueNamespace("o1");
    await api.createNamespace({ namespace: ns });
    await api.createPrefix({ cidr: "10.20.0.0/16", namespace: ns });
    const stub = env.NAMESPACE.get(env.NAMESPACE.idFromName(ns));
    await Promise.all(Array.from({ length: 5000 }, () => stub.execute(ns, { op: "acquireIP", prefixCidr: "10.20.0.0/16" })));
    const bodies: string[] = [];
    const realFetch = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      if (typeof init?.body === "string" && init.body.includes("ipam:meta:")) bodies.push(init.body);
      return realFetch(input, init);
    });
    const out = (await stub.execute(ns, { op: "acquireIP", prefixCidr: "10.20.0.0/16" })) as Outcome<IPInfo>;
    expect(out.ok).toBe(true);
    vi.restoreAllMocks();
    expect(bodies.length).toBe(1);
    const args = JSON.parse(bodies[0]) as string[];
    // evalsha, sha, 4, the 4 keys, the expected version, then the operations: exactly one, the new address.
    expect(args.slice(8)).toEqual([`I10.20.0.0/16 ${(out as { result: IPInfo }).result.ip}\n`]);
  });

  it("a Load of 100,000 records goes through the Worker and comes back exactly", async () => {
    const ns = uniqueNamespace("load100k");
    await api.createNamespace({ namespace: ns });
    const ips: Record<string, boolean> = {};
    for (let i = 1; i <= 99_999; i++) ips[`10.${64 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`] = true;
    ips["10.64.0.0"] = true;
    ips["10.67.255.255"] = true;
    const dump = JSON.stringify([
      { Cidr: "10.64.0.0/14", ParentCidr: "", Namespace: "", AvailableChildPrefixes: {}, ChildPrefixLength: 0, IsParent: false, IPs: ips, Version: 0 },
    ]);
    await api.load({ dump, namespace: ns });
    expect(Object.keys(ips).length).toBe(100_001);
    expect(await redisCli("HLEN", keysOf(ns).ips)).toBe(100_001);
    expect((await api.prefixUsage({ cidr: "10.64.0.0/14", namespace: ns })).acquiredIps).toBe(100_001n);
  });

  it("512 concurrent calls commit as one batch, all of them stored", async () => {
    const ns = uniqueNamespace("b512");
    await api.createNamespace({ namespace: ns });
    await api.createPrefix({ cidr: "10.30.0.0/20", namespace: ns });
    const stub = env.NAMESPACE.get(env.NAMESPACE.idFromName(ns));
    await stub.execute(ns, { op: "listPrefixes" }); // loaded
    const results = await Promise.all(Array.from({ length: 600 }, () => stub.execute(ns, { op: "acquireIP", prefixCidr: "10.30.0.0/20" })));
    const ips = results.map((r) => (r as unknown as { ok: true; result: IPInfo }).result.ip);
    expect(new Set(ips).size).toBe(600);
    const stats = await stub.stats(ns);
    expect(stats.ok && stats.result.runner.largestBatch).toBe(512);
    expect(await redisCli("HLEN", keysOf(ns).ips)).toBe(602);
  });

  it("a batch over the request limit is staged over several requests and applied by one script", async () => {
    const store = storeWith(64 * 1024);
    const ns = uniqueNamespace("staged");
    const { version } = await store.createNamespace(ns);
    const changes = ipChanges("10.16.0.0/16", 20_000);
    const requests: number[] = [];
    const realFetch = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      requests.push(String(init?.body ?? "").length);
      return realFetch(input, init);
    });
    const v = await store.commit(ns, version, changes);
    vi.restoreAllMocks();
    expect(v).toBe(version + 1);
    expect(requests.length).toBeGreaterThan(5);
    for (const size of requests) expect(size).toBeLessThan(96 * 1024);
    expect([...(await store.load(ns)).records].length).toBe(20_001);
    expect(await redisCli("KEYS", `ipam:stage:*:${ns}`)).toEqual([]);
  });

  it("a staged batch is all or nothing: fenced at the end, it writes nothing and leaves no staging behind", async () => {
    const store = storeWith(16 * 1024);
    const ns = uniqueNamespace("staged-fenced");
    const { version } = await store.createNamespace(ns);
    // Another writer commits while the first one is still staging.
    const realFetch = globalThis.fetch;
    let interfered = false;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      if (!interfered && String(init?.body ?? "").includes("rpush")) {
        interfered = true;
        await storeWith().commit(ns, version, [{ op: "put", record: { kind: "prefix", cidr: "192.168.0.0/24", parentCidr: "" } }]);
      }
      return realFetch(input, init);
    });
    const err = await store.commit(ns, version, ipChanges("10.17.0.0/16", 5_000, 17)).catch((e: unknown) => e);
    vi.restoreAllMocks();
    expect(err).toBeInstanceOf(FencingError);
    expect([...(await store.load(ns)).records]).toEqual([{ kind: "prefix", cidr: "192.168.0.0/24", parentCidr: "" }]);
    expect(await redisCli("KEYS", `ipam:stage:*:${ns}`)).toEqual([]);
  });

  it("staging left behind by a writer that died before its final script expires on its own", async () => {
    const store = storeWith(8 * 1024);
    const ns = uniqueNamespace("staged-dead");
    const { version } = await store.createNamespace(ns);
    const realFetch = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      if (String(init?.body ?? "").includes("evalsha")) throw new TypeError("network connection lost");
      return realFetch(input, init);
    });
    await expect(store.commit(ns, version, ipChanges("10.18.0.0/16", 2_000, 18))).rejects.toThrow(/network connection lost/);
    vi.restoreAllMocks();
    const [stage] = (await redisCli("KEYS", `ipam:stage:*:${ns}`)) as string[];
    expect(Number(await redisCli("TTL", stage))).toBeGreaterThan(0);
    expect((await store.load(ns)).version).toBe(version);
    expect([...(await store.load(ns)).records]).toEqual([]);
  });
});
