// npm run bench:stores [-- --json] [-- --backends redis,postgres] [-- --ms 2000]
//
// Per store backend: the namespace runner driving the real adapter against the real server on this machine
// (inside workerd, bench/stores/worker.ts), AcquireIP+ReleaseIP, AcquireChildPrefix+ReleaseChildPrefix and
// CreatePrefix+DeletePrefix pairs per second at concurrency 1 and 32, with p50/p99 latency per pair and calls
// per commit, next to go-ipam's own store benchmarks measured on this kind of machine. `--json` ends with one
// JSON line. The servers are the test harness's (test/harness/backends.ts): real redis-server (AOF, fsync
// always), PostgreSQL, etcd, behind the same stand-ins for the providers' front doors.
import { unstable_startWorker } from "wrangler";
import { BACKENDS, type BackendName, startBackend } from "../test/harness/backends";
import type { BenchFigures, Workload } from "./stores/types";

const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const json = argv.includes("--json");
const ms = Number(opt("ms") ?? 2000);
const backends = (opt("backends")?.split(",") ?? [...BACKENDS]) as BackendName[];

const WORKLOADS: Workload[] = ["AcquireIP", "AcquireChildPrefix", "CreatePrefix"];
const CONCURRENCY = [1, 32];

/** go-ipam's store benchmarks (pairs/s, one caller) on this kind of machine, against the same Debian servers. */
const GO_IPAM: Partial<Record<BackendName, Record<Workload, number>>> = {
  redis: { AcquireIP: 1980, AcquireChildPrefix: 1446, CreatePrefix: 4943 },
  postgres: { AcquireIP: 1078, AcquireChildPrefix: 832, CreatePrefix: 1318 },
  etcd: { AcquireIP: 368, AcquireChildPrefix: 258, CreatePrefix: 533 },
  mongodb: { AcquireIP: 682, AcquireChildPrefix: 415, CreatePrefix: 772 },
} as Partial<Record<BackendName, Record<Workload, number>>>;

interface Row extends BenchFigures {
  backend: BackendName;
  workload: Workload;
  concurrency: number;
  goIpam?: number;
  target?: number;
  /** What served the backend (test/harness/backends.ts): e.g. the MongoDB wire-protocol stand-in, not a mongod. */
  server: string;
}

const rows: Row[] = [];
for (const backend of backends) {
  const running = await startBackend(backend);
  // unstable_startWorker rather than createTestHarness: the test harness sends every outbound request
  // through Node's fetch, which cannot upgrade to a WebSocket (the Postgres store's Neon transport).
  const server = await unstable_startWorker({
    config: new URL("./stores/wrangler.toml", import.meta.url).pathname,
    bindings: Object.fromEntries(Object.entries(running.vars).map(([k, value]) => [k, { type: "plain_text" as const, value }])),
    dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, watch: false, persist: false, logLevel: "none" },
  });
  try {
    await server.ready;
    if (!json) console.log(`# ${backend}: ${running.description}`);
    for (const workload of WORKLOADS) {
      for (const concurrency of CONCURRENCY) {
        const res = await server.fetch("http://bench/", { method: "POST", body: JSON.stringify({ workload, concurrency, ms }) });
        if (!res.ok) throw new Error(`${backend} ${workload} c${concurrency}: ${await res.text()}`);
        const f = (await res.json()) as BenchFigures;
        const goIpam = GO_IPAM[backend]?.[workload];
        const row: Row = { backend, workload, concurrency, ...f, goIpam, target: goIpam && (concurrency === 1 ? goIpam : goIpam * 10), server: running.description };
        rows.push(row);
        if (!json) console.log(line(row));
      }
    }
  } finally {
    await server.dispose();
    await running.stop();
  }
}

function line(r: Row): string {
  const rate = `${Math.round(r.pairsPerSecond).toLocaleString("en-US")}/s`.padStart(10);
  const vs = r.goIpam ? ` | go-ipam ${r.goIpam.toLocaleString("en-US")}/s, ${(r.pairsPerSecond / r.goIpam).toFixed(1)}x (target ${r.concurrency === 1 ? "1x" : "10x"}: ${r.pairsPerSecond >= r.target! ? "met" : "MISSED"})` : "";
  const err = r.errors ? ` | ${r.errors} errors, first: ${r.firstError}` : "";
  // A stand-in's row says so on the row itself: its figures are not the real server's.
  const name = /STAND-IN/.test(r.server) ? `${r.backend} (stand-in)` : r.backend;
  return `${name.padEnd(20)} ${r.workload.padEnd(19)} c${String(r.concurrency).padEnd(3)} ${rate}  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms  ${r.callsPerCommit.toFixed(1)} calls/commit${vs}${err}`;
}

if (json) console.log(JSON.stringify(rows));
