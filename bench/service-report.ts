// Reporting for the service benchmark: the table, the acquire/Version ratio, and what else runs here.
import { readFileSync, readdirSync } from "node:fs";
import { groupMembers } from "../test/e2e/dev-server";
import type { Row } from "./service";

export const TARGET_RATIO = 0.7;

/** The row of the median round (by calls/s) of each scenario and concurrency. */
function medians(rows: Row[]): Row[] {
  const cells = new Map<string, Row[]>();
  for (const r of rows) {
    const key = `${r.concurrency}\u0000${r.scenario}`;
    cells.set(key, [...(cells.get(key) ?? []), r]);
  }
  return [...cells.values()].map((rs) => [...rs].sort((a, b) => a.callsPerSec - b.callsPerSec)[Math.floor((rs.length - 1) / 2)]);
}

export function printTable(rows: Row[], o: { json?: boolean; duration: number; warmup: number; rounds: number; clientKind: string }) {
  const med = medians(rows);
  const version = new Map(med.filter((r) => r.scenario === "Version").map((r) => [r.concurrency, r.callsPerSec]));
  const ratios: Record<string, number> = {};
  const keyed = new Map<number, number>();
  const lines = [
    `Service over Connect JSON, wrangler dev on 127.0.0.1 (${o.duration} s per run after ${o.warmup} s warm-up, ${o.rounds} round(s), median shown; client: node ${o.clientKind}, keep-alive)`,
    "",
    "scenario                    conc   pairs/s   calls/s  call p50 ms  call p99 ms  pair p50 ms  pair p99 ms  calls/s ÷ Version  errors",
  ];
  for (const r of med) {
    const v = version.get(r.concurrency);
    const ratio = v ? r.callsPerSec / v : Number.NaN;
    if (r.scenario === "AcquireIP+ReleaseIP") ratios[`c${r.concurrency}`] = +ratio.toFixed(3);
    if (r.scenario === "AcquireIP+ReleaseIP, keyed") keyed.set(r.concurrency, r.callsPerSec);
    const pair = r.pairsPerSec === null;
    lines.push(
      [
        r.scenario.padEnd(26),
        String(r.concurrency).padStart(5),
        (pair ? "-" : r.pairsPerSec!.toFixed(0)).padStart(9),
        r.callsPerSec.toFixed(0).padStart(9),
        r.m.callP50.toFixed(2).padStart(12),
        r.m.callP99.toFixed(2).padStart(12),
        (pair ? "-" : r.m.opP50.toFixed(2)).padStart(12),
        (pair ? "-" : r.m.opP99.toFixed(2)).padStart(12),
        ratio.toFixed(2).padStart(18),
        String(r.m.errors).padStart(7),
      ].join(" "),
    );
  }
  const met = Object.values(ratios).every((x) => x >= TARGET_RATIO);
  lines.push(
    "",
    `AcquireIP+ReleaseIP calls/s ÷ Version calls/s (target ≥ ${TARGET_RATIO}): ${Object.entries(ratios)
      .map(([k, x]) => `${k} ${x.toFixed(2)} ${x >= TARGET_RATIO ? "met" : "NOT met"}`)
      .join(", ")}`,
  );
  const keyCost: Record<string, number> = {};
  for (const r of med) {
    const k = keyed.get(r.concurrency);
    if (r.scenario === "AcquireIP+ReleaseIP" && k) keyCost[`c${r.concurrency}`] = +(k / r.callsPerSec).toFixed(3);
  }
  if (Object.keys(keyCost).length) {
    lines.push(`with an Idempotency-Key ÷ without: ${Object.entries(keyCost).map(([c, x]) => `${c} ${x.toFixed(2)}`).join(", ")} (target ≥ 0.80)`);
  }
  for (const r of rows) if (r.m.firstError) lines.push(`error in ${r.scenario} c=${r.concurrency}: ${r.m.firstError}`);
  // The table goes to stdout without --json; with --json to stderr, so stdout holds only the JSON object.
  (o.json ? process.stderr : process.stdout).write(lines.join("\n") + "\n");
  return { acquireToVersionRatio: ratios, target: TARGET_RATIO, targetMet: met, keyedToUnkeyedRatio: keyCost };
}

/** workerd processes on this machine that are not in process group `ours` (other wrangler devs, tests). */
export function otherWorkerdProcesses(ours: number): number {
  const mine = new Set(ours > 0 ? groupMembers(ours) : []);
  let n = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || mine.has(Number(entry))) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, "utf8").trim() === "workerd") n++;
    } catch {
      // gone
    }
  }
  return n;
}

/** Busy CPU ticks of the whole machine (all cores, from /proc/stat) and of the processes `ours`. */
export function cpuTicks(ours: Iterable<number>): { machine: number; ours: number } {
  const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal ...: busy = all but idle and iowait
  const machine = cpu.slice(0, 8).reduce((a, b) => a + b, 0) - cpu[3] - cpu[4];
  let mine = 0;
  for (const pid of ours) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      mine += Number(f[11]) + Number(f[12]);
    } catch {
      // gone
    }
  }
  return { machine, ours: mine };
}

/** Cores' worth of CPU used by everything but our processes between two cpuTicks() snapshots (100 ticks/s). */
export function otherCores(before: { machine: number; ours: number }, after: { machine: number; ours: number }, seconds: number): number {
  return Math.max(0, after.machine - before.machine - (after.ours - before.ours)) / 100 / seconds;
}
