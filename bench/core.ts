// Benchmarks of the IPAM core (npm run bench; `-- --json` ends with one JSON line of workload -> ops/s).
// One op is what go-ipam's own benchmark of the same name counts (reference §5.3): a create+delete or an
// acquire+release pair. They run on the allocator (Namespace.apply), which produces the record changes a
// store would persist; "AcquireIP (Ipam+MemoryStore)" includes persisting them to the in-memory store.
import { Ipam, Namespace, prefixesOverlapping } from "../src/core";

const json = process.argv.includes("--json");
const results: Record<string, number> = {};
const rows: string[][] = [];

/** Runs `op` in growing batches for about `seconds`, returns ops/s. */
function measure(name: string, op: () => void, seconds = 1): number {
  for (let i = 0; i < 2000; i++) op(); // warm up
  let n = 0;
  let batch = 1000;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < seconds * 1000) {
    for (let i = 0; i < batch; i++) op();
    n += batch;
    batch = Math.min(batch * 2, 200_000);
    elapsed = performance.now() - start;
  }
  const rate = (n * 1000) / elapsed;
  results[name] = Math.round(rate);
  rows.push([name, Math.round(rate).toLocaleString("en-US"), `${((elapsed * 1e6) / n).toFixed(0)} ns`]);
  return rate;
}

function note(name: string, value: string): void {
  rows.push([name, value, ""]);
}

// NewPrefix: create + delete
{
  const ns = new Namespace();
  measure("NewPrefix", () => {
    ns.apply({ op: "createPrefix", cidr: "192.168.0.0/24" });
    ns.apply({ op: "deletePrefix", cidr: "192.168.0.0/24" });
  });
}

// AcquireIP: acquire + release in an empty /16
{
  const ns = new Namespace();
  ns.apply({ op: "createPrefix", cidr: "10.0.0.0/16" });
  measure("AcquireIP", () => {
    const { result } = ns.apply({ op: "acquireIP", prefixCidr: "10.0.0.0/16" });
    ns.apply({ op: "releaseIP", prefixCidr: "10.0.0.0/16", ip: result.ip });
  });
  const ipam = new Ipam();
  ipam.newPrefix("10.0.0.0/16");
  measure("AcquireIP (Ipam+MemoryStore)", () => ipam.releaseIP(ipam.acquireIP("10.0.0.0/16")));
}

// AcquireChildPrefix parent/child: acquire + release
for (const [parentBits, childBits] of [[8, 14], [8, 24], [16, 18], [16, 26]]) {
  const ns = new Namespace();
  const { result: parent } = ns.apply({ op: "createPrefix", cidr: `192.168.0.0/${parentBits}` });
  measure(`AcquireChildPrefix ${parentBits}/${childBits}`, () => {
    const { result } = ns.apply({ op: "acquireChildPrefix", cidr: parent.cidr, length: childBits });
    ns.apply({ op: "releaseChildPrefix", cidr: result.cidr });
  });
}

// PrefixOverlapping: the pure function, as go-ipam benchmarks it
measure("PrefixOverlapping", () => {
  prefixesOverlapping(["192.168.0.0/24", "10.0.0.0/8"], ["192.168.1.0/24", "11.0.0.0/8"]);
});

// AcquireIPFill: acquire + release in a /16 already holding `fill` IPs
for (const fill of [0, 1000, 10000, 60000]) {
  const ns = new Namespace();
  ns.apply({ op: "createPrefix", cidr: "10.1.0.0/16" });
  for (let i = 0; i < fill; i++) ns.apply({ op: "acquireIP", prefixCidr: "10.1.0.0/16" });
  measure(`AcquireIPFill/fill=${fill}`, () => {
    const { result } = ns.apply({ op: "acquireIP", prefixCidr: "10.1.0.0/16" });
    ns.apply({ op: "releaseIP", prefixCidr: "10.1.0.0/16", ip: result.ip });
  });
}

// AcquireChildPrefixFill: a /64 from a /48 already holding `fill` children
for (const fill of [0, 1000, 5000, 9900]) {
  const ns = new Namespace();
  ns.apply({ op: "createPrefix", cidr: "2001:db8::/48" });
  for (let i = 0; i < fill; i++) ns.apply({ op: "acquireChildPrefix", cidr: "2001:db8::/48", length: 64 });
  measure(`AcquireChildPrefixFill/fill=${fill}`, () => {
    const { result } = ns.apply({ op: "acquireChildPrefix", cidr: "2001:db8::/48", length: 64 });
    ns.apply({ op: "releaseChildPrefix", cidr: result.cidr });
  });
}

// Filling: a whole /16, and 10,000 /64s from a /48
{
  const ns = new Namespace();
  ns.apply({ op: "createPrefix", cidr: "10.2.0.0/16" });
  const start = performance.now();
  let n = 0;
  for (;;) {
    try {
      ns.apply({ op: "acquireIP", prefixCidr: "10.2.0.0/16" });
      n++;
    } catch {
      break;
    }
  }
  note(`Fill a /16 (${n} IPs)`, `${(performance.now() - start).toFixed(0)} ms`);
}
{
  const ns = new Namespace();
  ns.apply({ op: "createPrefix", cidr: "2001:db8:1::/48" });
  const start = performance.now();
  for (let i = 0; i < 10_000; i++) ns.apply({ op: "acquireChildPrefix", cidr: "2001:db8:1::/48", length: 64 });
  note("Take 10,000 /64s from a /48", `${(performance.now() - start).toFixed(0)} ms`);
}

// Heap per allocated IP: 1,000,000 IPs in a /8, taken in order and at random
const gc = (globalThis as { gc?: () => void }).gc;
if (gc) {
  for (const mode of ["in order", "at random"] as const) {
    gc();
    const before = process.memoryUsage().heapUsed;
    const ns = new Namespace();
    ns.apply({ op: "createPrefix", cidr: "10.0.0.0/8" });
    if (mode === "in order") for (let i = 0; i < 1_000_000; i++) ns.apply({ op: "acquireIP", prefixCidr: "10.0.0.0/8" });
    else {
      let x = 12345;
      let taken = 0;
      while (taken < 1_000_000) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        const ip = `10.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${x & 255}`;
        try {
          ns.apply({ op: "acquireIP", prefixCidr: "10.0.0.0/8", ip });
          taken++;
        } catch {}
      }
    }
    gc();
    const bytes = (process.memoryUsage().heapUsed - before) / 1_000_000;
    results[`HeapBytesPerIP/${mode.replace(" ", "-")}`] = Math.round(bytes * 10) / 10;
    note(`Heap per IP, 1,000,000 IPs in a /8 ${mode}`, `${bytes.toFixed(1)} bytes`);
    void ns;
  }
} else note("Heap per IP", "skipped (run node with --expose-gc)");

const width = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length)));
console.log(["workload".padEnd(width[0]), "ops/s".padStart(width[1]), "per op".padStart(width[2])].join("  "));
for (const r of rows) console.log([r[0].padEnd(width[0]), r[1].padStart(width[1]), r[2].padStart(width[2])].join("  "));
if (json) console.log(JSON.stringify(results));
