// Prometheus text exposition of the Worker's RPC counters.
//
// The counters live in the memory of one Worker isolate: they start at zero when the isolate starts, and
// a deployment runs many isolates, each counting only the calls it served. A scrape therefore sees one
// isolate's share; `ipam_isolate_start_time_seconds` tells a reset from a drop. Namespace figures (asked
// for with ?namespace=<name>) come from the namespace's Durable Object and are exact.

import type { NamespaceStats } from "../src/core/index";
import type { Fault } from "./fault";

interface Series {
  calls: number;
  seconds: number;
  fault?: Fault;
}

export class Metrics {
  private readonly series = new Map<string, Series>();
  // Set on first use: a Worker's clock reads 0 while its module is being loaded.
  private started = 0;

  get startedAt(): number {
    if (this.started === 0) this.started = Date.now();
    return this.started;
  }

  /** Count one finished call. `code` is a Connect code string ("ok" on success); `fault` says whose it is. */
  record(rpc: string, code: string, durationMs: number, fault?: Fault): void {
    void this.startedAt;
    const key = `${rpc}\u0000${code}\u0000${fault ?? ""}`;
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { calls: 0, seconds: 0, fault }));
    s.calls++;
    s.seconds += durationMs / 1000;
  }

  /** The exposition text, with one namespace's figures when given. */
  render(ns?: { name: string; stats: NamespaceStats }): string {
    const byLabels = (keyOf: (rpc: string, code: string, fault?: Fault) => string) => {
      const rows = new Map<string, { code: string; calls: number; seconds: number }>();
      for (const [k, s] of this.series) {
        const [rpc, code] = k.split("\u0000") as [string, string];
        const labels = keyOf(rpc, code, s.fault);
        const row = rows.get(labels) ?? { code, calls: 0, seconds: 0 };
        row.calls += s.calls;
        row.seconds += s.seconds;
        rows.set(labels, row);
      }
      return [...rows].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    };
    const rows = byLabels((rpc, code) => `rpc="${esc(rpc)}",code="${esc(code)}"`);
    const errorRows = byLabels((rpc, code, fault) => `rpc="${esc(rpc)}",code="${esc(code)}",fault="${fault ?? "client"}"`);
    const out: string[] = [];
    const family = (name: string, type: string, help: string) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    family(
      "ipam_rpc_calls_total",
      "counter",
      "RPC calls answered by this Worker isolate, by RPC and Connect code (per isolate, reset when the isolate starts).",
    );
    for (const [labels, r] of rows) out.push(`ipam_rpc_calls_total{${labels}} ${r.calls}`);
    family(
      "ipam_rpc_errors_total",
      "counter",
      'RPC calls answered with an error by this Worker isolate, by RPC, Connect code and fault: "server" when the service failed (a bug, the store down or slow, a namespace overloaded), "client" when the call was the problem (per isolate).',
    );
    for (const [labels, r] of errorRows) if (r.code !== "ok") out.push(`ipam_rpc_errors_total{${labels}} ${r.calls}`);
    family(
      "ipam_rpc_duration_seconds",
      "summary",
      "Wall time of RPC calls in this Worker isolate, by RPC and Connect code (per isolate).",
    );
    for (const [labels, r] of rows) {
      out.push(`ipam_rpc_duration_seconds_sum{${labels}} ${r.seconds}`);
      out.push(`ipam_rpc_duration_seconds_count{${labels}} ${r.calls}`);
    }
    family("ipam_isolate_start_time_seconds", "gauge", "When this Worker isolate started counting (Unix time).");
    out.push(`ipam_isolate_start_time_seconds ${Math.floor(this.startedAt / 1000)}`);
    if (ns) {
      const l = `namespace="${esc(ns.name)}"`;
      const { prefixes, acquiredIPs, availableIPs } = ns.stats;
      family("ipam_namespace_prefixes", "gauge", "Prefixes in the namespace, children included.");
      out.push(`ipam_namespace_prefixes{${l}} ${prefixes}`);
      family("ipam_namespace_acquired_ips", "gauge", "Acquired addresses in the namespace, reserved ones included.");
      out.push(`ipam_namespace_acquired_ips{${l}} ${acquiredIPs.toString()}`);
      family("ipam_namespace_available_ips", "gauge", "Addresses in the namespace's prefixes that hold addresses.");
      out.push(`ipam_namespace_available_ips{${l}} ${availableIPs.toString()}`);
      family("ipam_namespace_ip_utilisation_ratio", "gauge", "Acquired over available addresses (0 when none are available).");
      out.push(`ipam_namespace_ip_utilisation_ratio{${l}} ${ratio(acquiredIPs, availableIPs)}`);
    }
    return out.join("\n") + "\n";
  }
}

/** a/b as a float, exact enough for huge bigints. */
export function ratio(a: bigint, b: bigint): number {
  if (b === 0n) return 0;
  // Scale to keep 1e-12 precision without converting huge values to float first.
  const SCALE = 10n ** 12n;
  return Number((a * SCALE) / b) / Number(SCALE);
}

function esc(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** The isolate's counters. */
export const metrics = new Metrics();
