// npm run bench:load [-- --count N] [-- --families ipv4,ipv6] [-- --batch 100000] [-- --keep] [-- --json]
//
// How fast a namespace of N addresses (default 10,000,000) comes back after a Durable Object restart, from DO
// SQLite. Per family (10.0.0.0/8, 2001:db8::/64), in a fresh persist directory: workerd (wrangler's
// unstable_startWorker) fills one Durable Object through the DO SQLite store's commit with N random distinct
// addresses, in address order, `--batch` ip put records per commit (bench/load/worker.ts); workerd is stopped
// and started again on the same directory, and the new process opens the store, loads the namespace and
// rebuilds it with the core (timed from here: one request, after a warm-up request that starts the isolate).
// Peak RSS is the new workerd process's VmHWM (/proc/<pid>/status), its RSS before the load request next to
// it; the size on disk is the object's SQLite file(s). `--keep` leaves the persist directories in place (their
// paths are printed) to look at the tables with the sqlite3 shell.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unstable_startWorker } from "wrangler";
import type { BenchFamily, FillFigures, LoadFigures } from "./load/types";

const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const json = argv.includes("--json");
const keep = argv.includes("--keep");
const count = Number(opt("count") ?? 10_000_000);
const batch = Number(opt("batch") ?? 100_000);
const families = (opt("families")?.split(",") ?? ["ipv4", "ipv6"]) as BenchFamily[];
/** What the issue asks of a restart: back within 5 s, within a Durable Object's 128 MB. */
const TARGET_MS = 5000;
const LIMIT_MB = 128;

const config = new URL("./load/wrangler.toml", import.meta.url).pathname;

async function start(persist: string) {
  const server = await unstable_startWorker({
    config,
    dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, watch: false, persist, logLevel: "none" },
  });
  await server.ready;
  return server;
}

/** workerd processes started (directly or not) by this one. */
function workerdPids(): number[] {
  const parent = new Map<number, number>();
  const name = new Map<number, string>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      name.set(Number(entry), stat.slice(stat.indexOf("(") + 1, close));
      parent.set(Number(entry), Number(stat.slice(close + 2).split(" ")[1]));
    } catch {
      // gone meanwhile
    }
  }
  const ours = (pid: number): boolean => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === process.pid) return true;
    return false;
  };
  return [...name].filter(([pid, n]) => n === "workerd" && ours(pid)).map(([pid]) => pid);
}

/** A field of /proc/<pid>/status in MB (VmRSS, VmHWM). */
function statusMB(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** Bytes of the benchmark objects' SQLite files under dir (database and WAL, as workerd left them). */
function sqliteBytes(dir: string): number {
  let n = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && /^[0-9a-f]{64}\.sqlite(-wal)?$/.test(entry.name) && entry.parentPath.includes("LoadBench")) n += statSync(join(entry.parentPath, entry.name)).size;
  }
  return n;
}

interface Row {
  family: BenchFamily;
  prefix: string;
  addresses: number;
  commits: number;
  blocks: number;
  fillSeconds: number;
  loadMs: number;
  insideMs: number;
  held: number;
  records: number;
  rssBeforeMB: number;
  peakRssMB: number;
  diskMB: number;
  blockBytesPerAddress: number;
  sample: FillFigures["sample"];
  memory: LoadFigures["memory"];
}

const rows: Row[] = [];
for (const family of families) {
  const dir = mkdtempSync(join(tmpdir(), `edge-ipam-load-${family}-`));
  try {
    // 1. fill
    let server = await start(dir);
    const t0 = performance.now();
    let fill: FillFigures & { done: boolean };
    do {
      const res = await server.fetch(`http://bench/fill?family=${family}`, { method: "POST", body: JSON.stringify({ family, count, batch, calls: 5 }) });
      if (!res.ok) throw new Error(`fill ${family}: ${await res.text()}`);
      fill = (await res.json()) as FillFigures & { done: boolean };
      if (!json) process.stderr.write(`\r${family}: ${fill.addresses.toLocaleString("en-US")} addresses written`);
    } while (!fill.done);
    const fillSeconds = (performance.now() - t0) / 1000;
    if (!json) process.stderr.write("\n");
    await server.dispose();

    // 2. a new workerd on the same data: warm the isolate, then load and rebuild
    const before = new Set(workerdPids());
    server = await start(dir);
    await (await server.fetch("http://bench/ping")).text();
    const pids = workerdPids().filter((p) => !before.has(p));
    const pid = pids.length > 0 ? pids[pids.length - 1] : workerdPids().at(-1)!;
    const rssBeforeMB = statusMB(pid, "VmRSS");
    const t1 = performance.now();
    const res = await server.fetch(`http://bench/load?family=${family}`);
    if (!res.ok) throw new Error(`load ${family}: ${await res.text()}`);
    const load = (await res.json()) as LoadFigures;
    const loadMs = performance.now() - t1;
    const peakRssMB = statusMB(pid, "VmHWM");
    await server.dispose();
    if (load.held !== fill.addresses) throw new Error(`${family}: filled ${fill.addresses} addresses, the rebuilt namespace holds ${load.held}`);
    rows.push({
      family,
      prefix: fill.prefix,
      addresses: fill.addresses,
      commits: fill.commits,
      blocks: fill.blocks,
      fillSeconds,
      loadMs,
      insideMs: load.insideMs,
      held: load.held,
      records: load.records,
      rssBeforeMB,
      peakRssMB,
      diskMB: sqliteBytes(dir) / 2 ** 20,
      blockBytesPerAddress: fill.blockDataBytes / fill.addresses,
      sample: fill.sample,
      memory: load.memory,
    });
  } finally {
    if (keep) console.error(`${family}: kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

if (json) console.log(JSON.stringify(rows));
else {
  const n = (x: number, d = 0) => x.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
  console.log(
    `${"family".padEnd(6)} ${"prefix".padEnd(14)} ${"addresses".padStart(11)} ${"fill".padStart(8)} ${"load+rebuild".padStart(13)} ${"peak RSS".padStart(9)} ${"RSS before".padStart(11)} ${"on disk".padStart(9)} ${"blocks".padStart(7)}`,
  );
  for (const r of rows) {
    const target = r.loadMs <= TARGET_MS ? "met" : "MISSED";
    console.log(
      `${r.family.padEnd(6)} ${r.prefix.padEnd(14)} ${n(r.addresses).padStart(11)} ${`${n(r.fillSeconds, 1)} s`.padStart(8)} ${`${n(r.loadMs)} ms`.padStart(13)} ${`${n(r.peakRssMB)} MB`.padStart(9)} ${`${n(r.rssBeforeMB)} MB`.padStart(11)} ${`${n(r.diskMB, 1)} MB`.padStart(9)} ${n(r.blocks).padStart(7)}  (target ${TARGET_MS / 1000} s: ${target}; ${n(r.blockBytesPerAddress, 2)} B/address in blocks; ${r.records} records loaded)`,
    );
  }
  console.log(
    `(peak RSS is the whole workerd process, isolate and runtime included; a Durable Object's limit is ${LIMIT_MB} MB of memory. ` +
      `Open + load + rebuild inside the object (performance.now()): ${rows.map((r) => `${r.family} ${n(r.insideMs)} ms`).join(", ")}. ` +
      `JS heap inside workerd: ${rows.some((r) => r.memory) ? rows.map((r) => JSON.stringify(r.memory)).join(", ") : "not available (process.memoryUsage answers nothing)"}.)`,
  );
}
