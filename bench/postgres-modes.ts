// npm run bench:postgres-modes [-- --ms 2000] [-- --passes 3]
//
// The Postgres store's two possible transports through the Neon serverless driver, side by side, inside
// workerd (the benchmark Worker of bench/stores): one WebSocket connection kept by the namespace object
// (what the store uses), and Neon's HTTP endpoint (one fetch per statement; a transaction's statements in one
// fetch). Same store, same statements, same runner, same PostgreSQL; in front of it the test harness's
// stand-ins for Neon's front door (the wsproxy relay and an HTTP shim, both Node processes on loopback).
// The passes alternate the modes, and each figure is the best pass (this machine's load comes in bursts).
import pg from "pg";
import { unstable_startWorker } from "wrangler";
import { MIGRATIONS } from "../src/storage/postgres-migrations";
import { startBackend } from "../test/harness/backends";
import { startNeonHttpShim } from "../test/harness/neon-http-shim";
import type { BenchFigures, Workload } from "./stores/types";

const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const ms = Number(opt("ms") ?? 2000);
const passes = Number(opt("passes") ?? 3);
const MODES = ["websocket", "http"] as const;
const RUNS: [Workload, number][] = [
  ["AcquireIP", 1],
  ["AcquireIP", 32],
  ["AcquireChildPrefix", 1],
  ["CreatePrefix", 1],
];

const backend = await startBackend("postgres");
const shim = await startNeonHttpShim({ postgresPort: Number(new URL(backend.vars.DATABASE_URL).port) });
const best = new Map<string, BenchFigures>();
try {
  // The HTTP transport cannot run a multi-statement migration: apply the schema first.
  const admin = new pg.Client({ connectionString: backend.vars.DATABASE_URL });
  await admin.connect();
  for (const m of MIGRATIONS) await admin.query(m.sql);
  await admin.end();
  console.log(`# ${backend.description}; HTTP shim ${shim.endpoint}`);
  for (let pass = 1; pass <= passes; pass++) {
    for (const mode of MODES) {
      const vars = { ...backend.vars, ...(mode === "http" ? { BENCH_POSTGRES_TRANSPORT: "http", BENCH_NEON_FETCH_ENDPOINT: shim.endpoint } : {}) };
      const worker = await unstable_startWorker({
        config: new URL("./stores/wrangler.toml", import.meta.url).pathname,
        bindings: Object.fromEntries(Object.entries(vars).map(([k, value]) => [k, { type: "plain_text" as const, value }])),
        dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, watch: false, persist: false, logLevel: "none" },
      });
      try {
        await worker.ready;
        for (const [workload, concurrency] of RUNS) {
          const res = await worker.fetch("http://bench/", { method: "POST", body: JSON.stringify({ workload, concurrency, ms }) });
          if (!res.ok) throw new Error(`${mode} ${workload} c${concurrency}: ${await res.text()}`);
          const f = (await res.json()) as BenchFigures;
          const key = `${mode} ${workload} c${concurrency}`;
          if (!best.has(key) || best.get(key)!.pairsPerSecond < f.pairsPerSecond) best.set(key, f);
          console.log(`pass ${pass}  ${key.padEnd(32)} ${Math.round(f.pairsPerSecond).toString().padStart(6)} pairs/s  p50 ${f.p50Ms.toFixed(1)} ms  ${f.callsPerCommit.toFixed(1)} calls/commit${f.errors ? `  ${f.errors} errors: ${f.firstError}` : ""}`);
        }
      } finally {
        await worker.dispose();
      }
    }
  }
} finally {
  await shim.close();
  await backend.stop();
}

console.log("\n# best of the passes (pairs/s; p50 per pair)");
for (const [workload, concurrency] of RUNS) {
  const cells = MODES.map((m) => {
    const f = best.get(`${m} ${workload} c${concurrency}`)!;
    return `${m} ${Math.round(f.pairsPerSecond).toString().padStart(6)}/s p50 ${f.p50Ms.toFixed(1)} ms`;
  });
  console.log(`${`${workload} c${concurrency}`.padEnd(22)} ${cells.join("   ")}`);
}
