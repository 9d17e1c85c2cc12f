// npm run bench:service [-- --json] [--duration S (2)] [--warmup S (0.5)] [--rounds N (3)] [--client http|fetch]
//   [--concurrency 1,32] [--store durable-object|redis|postgres|etcd|mongodb]
//
// The service under wrangler dev (npm run dev, X_LOCAL_OBSERVABILITY=false, --log-level warn, throw-away
// storage: Durable Object SQLite, or with --store the database npm run dev -- --store starts; auth disabled as
// npm run dev does), measured over Connect JSON from Node on keep-alive connections to 127.0.0.1:
// AcquireIP+ReleaseIP pairs (also with an Idempotency-Key on each call) and CreatePrefix+DeletePrefix pairs,
// next to the same Worker's Version call (the runtime's ceiling here), at each concurrency. Not a test: it
// prints figures.
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { type DevServer, groupMembers, startDevServer } from "../test/e2e/dev-server";
import { type Call, type ClientKind, makeClient } from "./service-client";
import { type Measurement, type Operation, measure } from "./service-load";
import { cpuTicks, otherCores, otherWorkerdProcesses, printTable } from "./service-report";

const { values: opts } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    duration: { type: "string", default: "2" },
    warmup: { type: "string", default: "0.5" },
    rounds: { type: "string", default: "3" },
    client: { type: "string", default: "http" },
    concurrency: { type: "string", default: "1,32" },
    store: { type: "string", default: "durable-object" },
  },
});
const duration = Number(opts.duration);
const warmup = Number(opts.warmup);
const rounds = Math.max(1, Number(opts.rounds));
const clientKind = opts.client as ClientKind;
const concurrencies = opts.concurrency.split(",").map(Number);
if (!(duration > 0 && duration <= 30) || !(warmup >= 0 && warmup <= 10) || concurrencies.some((c) => !(c >= 1 && c <= 256))) {
  throw new Error("--duration must be in (0, 30] s, --warmup in [0, 10] s, concurrency in [1, 256]");
}
if (clientKind !== "http" && clientKind !== "fetch") throw new Error("--client is http or fetch");

const NS = "bench";
const POOL = "10.0.0.0/8";

const SCENARIOS: { name: string; callsPerOp: number; op: Operation }[] = [
  { name: "Version", callsPerOp: 1, op: async (_w, call) => void (await call("Version", {})) },
  {
    name: "AcquireIP+ReleaseIP",
    callsPerOp: 2,
    op: async (_w, call) => {
      const acquired = await call("AcquireIP", { prefixCidr: POOL, namespace: NS });
      if (acquired.status !== 200) return;
      const ip = (JSON.parse(acquired.body) as { ip: { ip: string } }).ip.ip;
      await call("ReleaseIP", { prefixCidr: POOL, ip, namespace: NS });
    },
  },
  {
    name: "AcquireIP+ReleaseIP, keyed",
    callsPerOp: 2,
    op: async (_w, call) => {
      const acquired = await call("AcquireIP", { prefixCidr: POOL, namespace: NS }, { "Idempotency-Key": crypto.randomUUID() });
      if (acquired.status !== 200) return;
      const ip = (JSON.parse(acquired.body) as { ip: { ip: string } }).ip.ip;
      await call("ReleaseIP", { prefixCidr: POOL, ip, namespace: NS }, { "Idempotency-Key": crypto.randomUUID() });
    },
  },
  {
    name: "CreatePrefix+DeletePrefix",
    callsPerOp: 2,
    op: async (w, call) => {
      const cidr = `172.${16 + (w >> 8)}.${w & 255}.0/24`; // one per worker: no overlaps between workers
      const created = await call("CreatePrefix", { cidr, namespace: NS });
      if (created.status !== 200) return;
      await call("DeletePrefix", { cidr, namespace: NS });
    },
  },
];

export interface Row {
  scenario: string;
  concurrency: number;
  round: number;
  pairsPerSec: number | null;
  callsPerSec: number;
  m: Measurement;
}

async function setUp(call: Call): Promise<void> {
  for (const [rpc, msg] of [
    ["CreateNamespace", { namespace: NS }],
    ["CreatePrefix", { cidr: POOL, namespace: NS }],
  ] as const) {
    const r = await call(rpc, msg);
    if (r.status !== 200) throw new Error(`set-up ${rpc} failed: HTTP ${r.status} ${r.body}`);
  }
}

async function run(dev: DevServer): Promise<Row[]> {
  const rows: Row[] = [];
  const setup = makeClient(clientKind, dev.url, 1);
  await setUp(setup.call);
  setup.close();
  for (let round = 1; round <= rounds; round++) {
    for (const concurrency of concurrencies) {
      for (const s of SCENARIOS) {
        const client = makeClient(clientKind, dev.url, concurrency);
        if (warmup > 0) await measure(client.call, s.op, concurrency, warmup);
        const m = await measure(client.call, s.op, concurrency, duration);
        client.close();
        const callsPerSec = m.calls / m.seconds;
        rows.push({ scenario: s.name, concurrency, round, pairsPerSec: s.callsPerOp === 2 ? m.ops / m.seconds : null, callsPerSec, m });
        if (!opts.json) process.stderr.write(`  round ${round} c=${concurrency} ${s.name}: ${callsPerSec.toFixed(0)} calls/s\n`);
      }
    }
  }
  return rows;
}

const machine = { cpus: cpus().length, loadavgBefore: loadavg().map((l) => +l.toFixed(2)), otherWorkerdBefore: otherWorkerdProcesses(-1) };
if (!opts.json) process.stderr.write(`starting wrangler dev (load average ${machine.loadavgBefore.join(" ")}) ...\n`);
const storeArgs = opts.store === "durable-object" ? [] : ["--store", opts.store];
const dev = await startDevServer({ args: ["--log-level", "warn", ...storeArgs], env: { X_LOCAL_OBSERVABILITY: "false" } });
let rows: Row[];
let otherWorkerd: number;
let othersCpu = 0; // cores used by other processes on the machine while we measured
try {
  otherWorkerd = otherWorkerdProcesses(dev.pgid);
  const ours = [process.pid, ...groupMembers(dev.pgid)]; // the benchmark and wrangler dev's processes
  const before = cpuTicks(ours);
  const t0 = performance.now();
  rows = await run(dev);
  othersCpu = +otherCores(before, cpuTicks(ours), (performance.now() - t0) / 1000).toFixed(2);
} finally {
  await dev.stop();
}
if (groupMembers(dev.pgid).length > 0) throw new Error("wrangler dev left processes behind");

const summary = printTable(rows, { json: opts.json, duration, warmup, rounds, clientKind });
const report = {
  config: { duration, warmup, rounds, client: clientKind, concurrencies, namespace: NS, pool: POOL, store: opts.store },
  machine: { ...machine, otherWorkerdDuring: otherWorkerd, otherProcessesCores: othersCpu, loadavgAfter: loadavg().map((l) => +l.toFixed(2)) },
  results: rows.map(({ m, ...r }) => ({ ...r, ...m })),
  ...summary,
};
if (opts.json) console.log(JSON.stringify(report));
else {
  console.log(
    `machine: ${machine.cpus} cores; load average before ${machine.loadavgBefore.join(" ")}, after ${report.machine.loadavgAfter.join(" ")}; ` +
      `other processes used ${othersCpu} cores on average while we measured; other workerd processes: ${otherWorkerd}`,
  );
}
if (rows.some((r) => r.m.errors > 0)) process.exitCode = 1;
