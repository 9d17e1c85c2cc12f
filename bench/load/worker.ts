// Inside workerd: one Durable Object per address family. `fill` writes random distinct addresses of one prefix
// through the DO SQLite store's commit (batches of ip put records, in address order); `load`, called after
// workerd was restarted on the same data, opens the store, loads the namespace and rebuilds it with the core,
// as a namespace object does at its first call.
import { DurableObject } from "cloudflare:workers";
import { Namespace } from "../../src/core/namespace";
import type { Change, LoadRecord } from "../../src/core/types";
import { formatAddr, formatIPv4, parseAddr } from "../../src/net";
import { DoSqliteStore } from "../../src/storage/do-sqlite";
import type { BenchFamily, FillFigures, FillRequest, LoadFigures } from "./types";

interface Env {
  LOAD: DurableObjectNamespace<LoadBench>;
}

const NAMESPACE = "load";
const PREFIXES: Record<BenchFamily, string> = { ipv4: "10.0.0.0/8", ipv6: "2001:db8::/64" };

/** xorshift32, seeded: the same addresses every run. */
function random(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/**
 * `count` distinct random addresses of 10.0.0.0/8, ascending, the network and broadcast addresses (which a
 * prefix reserves) among them: drawn into a bitmap of the /8 (2 MiB), read out in order.
 */
function* ipv4Addresses(count: number): IterableIterator<string> {
  const span = 2 ** 24;
  if (count > span) throw new Error(`a /8 has ${span} addresses, not ${count}`);
  const bits = new Uint8Array(span / 8);
  const rand = random(0x9e3779b9);
  let held = 0;
  const take = (o: number) => {
    if ((bits[o >>> 3] & (1 << (o & 7))) === 0) {
      bits[o >>> 3] |= 1 << (o & 7);
      held++;
    }
  };
  take(0);
  if (count > 1) take(span - 1);
  while (held < count) take(Math.floor(rand() * span));
  const first = 0x0a000000;
  for (let o = 0; o < span; o++) if (bits[o >>> 3] & (1 << (o & 7))) yield formatIPv4(first + o);
}

/**
 * `count` distinct random addresses of 2001:db8::/64, ascending, its first address among them: a Poisson
 * process over the /64 (exponential gaps), the same distribution as sorted uniform draws, without holding
 * them all. The mean gap leaves 1% of the prefix unused at the end, so the last one stays inside.
 */
function* ipv6Addresses(count: number): IterableIterator<string> {
  const first = parseAddr("2001:db8::").value;
  const last = first + 2n ** 64n - 1n;
  const mean = 2 ** 64 / (count * 1.01);
  const rand = random(0x85ebca6b);
  let at = first;
  for (let i = 0; i < count; i++) {
    if (at > last) throw new Error(`ran past the /64 after ${i} addresses`);
    yield formatAddr(6, at);
    at += 1n + BigInt(Math.floor(-Math.log(1 - rand()) * mean));
  }
}

interface Filling {
  prefix: string;
  addresses: IterableIterator<string>;
  version: number;
  commits: number;
  written: number;
}

export class LoadBench extends DurableObject<Env> {
  private filling: Filling | null = null;

  /**
   * Writes the next `req.calls` batches (a call answers within seconds, whatever the count: the caller calls
   * again until `done`).
   */
  async fill(req: FillRequest): Promise<FillFigures & { done: boolean }> {
    const store = new DoSqliteStore(this.ctx.storage);
    const prefix = PREFIXES[req.family];
    if (this.filling === null) {
      const created = await store.createNamespace(NAMESPACE);
      if (!created.created) throw new Error("the namespace exists already: start from an empty persist directory");
      const version = await store.commit(NAMESPACE, created.version, [{ op: "put", record: { kind: "prefix", cidr: prefix, parentCidr: "" } }]);
      const addresses = req.family === "ipv4" ? ipv4Addresses(req.count) : ipv6Addresses(req.count);
      this.filling = { prefix, addresses, version, commits: 0, written: 0 };
    }
    const f = this.filling;
    let done = false;
    for (let call = 0; call < req.calls && !done; call++) {
      const batch: Change[] = [];
      while (batch.length < req.batch) {
        const next = f.addresses.next();
        if (next.done) {
          done = true;
          break;
        }
        batch.push({ op: "put", record: { kind: "ip", prefix, ip: next.value } });
      }
      if (batch.length === 0) break;
      f.version = await store.commit(NAMESPACE, f.version, batch);
      f.commits++;
      f.written += batch.length;
    }
    if (done) this.filling = null;
    const sql = this.ctx.storage.sql;
    const stats = sql
      .exec<{ blocks: number; data: number | null; keys: number | null }>(
        "SELECT count(*) AS blocks, sum(length(data)) AS data, sum(length(first) + length(first_ip)) AS keys FROM ip_blocks WHERE namespace = ?",
        NAMESPACE,
      )
      .one();
    return {
      done,
      prefix,
      addresses: f.written,
      commits: f.commits,
      blocks: stats.blocks,
      ipsRows: sql.exec<{ n: number }>("SELECT count(*) AS n FROM ips").one().n,
      blockDataBytes: (stats.data ?? 0) + (stats.keys ?? 0),
      sample: sql.exec<{ first_ip: string; count: number }>("SELECT first_ip, count FROM ip_blocks ORDER BY prefix, first LIMIT 3").toArray(),
    };
  }

  async load(family: BenchFamily): Promise<LoadFigures> {
    const prefix = PREFIXES[family];
    const t0 = performance.now();
    const store = new DoSqliteStore(this.ctx.storage);
    const snap = await store.load(NAMESPACE);
    let records = 0;
    const counted = (function* () {
      for (const r of snap.records) {
        records++;
        yield r as LoadRecord;
      }
    })();
    const ns = Namespace.fromRecords(counted);
    const insideMs = performance.now() - t0;
    const node = ns.prefixes.get(prefix);
    let memory: LoadFigures["memory"] = null;
    try {
      const m = (globalThis as { process?: { memoryUsage?: () => { heapUsed: number; rss: number } } }).process?.memoryUsage?.();
      if (m && (m.heapUsed > 0 || m.rss > 0)) memory = { heapUsed: m.heapUsed, rss: m.rss };
    } catch {
      memory = null;
    }
    return { prefix, held: node?.heldCount ?? 0, records, insideMs, memory };
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/ping") return new Response("ok");
    const family = (url.searchParams.get("family") ?? "ipv4") as BenchFamily;
    const stub = env.LOAD.get(env.LOAD.idFromName(family));
    try {
      if (url.pathname === "/fill") return Response.json(await stub.fill((await request.json()) as FillRequest));
      if (url.pathname === "/load") return Response.json(await stub.load(family));
      return new Response("not found", { status: 404 });
    } catch (e) {
      return new Response(String((e as Error).stack ?? e), { status: 500 });
    }
  },
};
