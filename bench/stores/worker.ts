// Inside workerd: the namespace runner (group commit, fencing) over the real store adapter, driven by
// `concurrency` callers doing one workload's pairs for `ms` milliseconds. No RPC layer, no Worker glue:
// what is measured is the runner, the core and the store round trips.
import { DurableObject } from "cloudflare:workers";
import type { Command } from "../../src/core/types";
import { createIpamRunner, execute } from "../../src/server/ipam-runner";
import { storeConfig } from "../../src/storage/config";
import { DoSqliteStore } from "../../src/storage/do-sqlite";
import { openExternalStore } from "../../src/storage/open";
import { PostgresStore } from "../../src/storage/postgres";
import { neonConfig } from "@neondatabase/serverless";
import { NeonHttpSession } from "../postgres-http-session";
import type { Store } from "../../src/storage/types";
import type { BenchFigures, BenchRequest, Workload } from "./types";

interface Env {
  BENCH: DurableObjectNamespace<StoreBench>;
  [setting: string]: unknown;
}

const quiet = () => {};

function pairFor(workload: Workload, caller: number): [(r: unknown) => Command, Command] {
  switch (workload) {
    case "AcquireIP":
      return [(r) => ({ op: "releaseIP", prefixCidr: "10.0.0.0/16", ip: (r as { ip: string }).ip }), { op: "acquireIP", prefixCidr: "10.0.0.0/16" }];
    case "AcquireChildPrefix":
      return [(r) => ({ op: "releaseChildPrefix", cidr: (r as { cidr: string }).cidr }), { op: "acquireChildPrefix", cidr: "10.0.0.0/8", length: 24 }];
    case "CreatePrefix": {
      const cidr = `172.${16 + (caller >> 8)}.${caller & 255}.0/24`;
      return [() => ({ op: "deletePrefix", cidr }), { op: "createPrefix", cidr }];
    }
  }
}

export class StoreBench extends DurableObject<Env> {
  private store: Store | undefined;

  private openStore(): Store {
    const s = storeConfig(this.env);
    if (!s.ok) throw new Error(s.message);
    if (s.config.kind === "durable-object") return new DoSqliteStore(this.ctx.storage);
    // bench/postgres-modes.ts: the same Postgres store over Neon's HTTP transport instead of its WebSocket.
    if (s.config.kind === "postgres" && this.env.BENCH_POSTGRES_TRANSPORT === "http") {
      neonConfig.fetchEndpoint = String(this.env.BENCH_NEON_FETCH_ENDPOINT);
      return new PostgresStore(s.config, { session: new NeonHttpSession(s.config.databaseUrl, s.config.timeoutMs) });
    }
    return openExternalStore(s.config, { mongodb: () => import("mongodb") });
  }

  async run(req: BenchRequest): Promise<BenchFigures> {
    this.store ??= this.openStore();
    const namespace = `bench-${req.workload}-${req.concurrency}-${crypto.randomUUID().slice(0, 8)}`;
    await this.store.createNamespace(namespace);
    const runner = createIpamRunner(namespace, this.store, quiet);
    if (req.workload === "AcquireIP") await execute(runner, { op: "createPrefix", cidr: "10.0.0.0/16" });
    if (req.workload === "AcquireChildPrefix") await execute(runner, { op: "createPrefix", cidr: "10.0.0.0/8" });
    const latencies: number[] = [];
    let errors = 0;
    let firstError: string | undefined;
    const caller = async (id: number, until: number, record: boolean) => {
      const [second, first] = pairFor(req.workload, id);
      while (Date.now() < until) {
        const t0 = performance.now();
        try {
          const r = await execute(runner, first);
          await execute(runner, second(r));
          if (record) latencies.push(performance.now() - t0);
        } catch (e) {
          errors++;
          firstError ??= String((e as Error).message ?? e);
        }
      }
    };
    const callers = (ms: number, record: boolean) => {
      const until = Date.now() + ms;
      return Promise.all(Array.from({ length: req.concurrency }, (_, i) => caller(i, until, record)));
    };
    await callers(Math.min(300, req.ms / 4), false); // warm up: loaded, JIT-compiled, connections open
    const c0 = { ...runner.counters };
    const t0 = Date.now();
    await callers(req.ms, true);
    const seconds = (Date.now() - t0) / 1000;
    const commits = runner.counters.commits - c0.commits;
    const applied = runner.counters.applied - c0.applied;
    latencies.sort((a, b) => a - b);
    const at = (q: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] : 0);
    return {
      pairs: latencies.length,
      seconds,
      pairsPerSecond: latencies.length / seconds,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      callsPerCommit: commits ? applied / commits : 0,
      commits,
      errors,
      firstError,
    };
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const req = (await request.json()) as BenchRequest;
    const stub = env.BENCH.get(env.BENCH.idFromName(`${req.workload}-${req.concurrency}`));
    try {
      return Response.json(await stub.run(req));
    } catch (e) {
      return new Response(String((e as Error).stack ?? e), { status: 500 });
    }
  },
};
