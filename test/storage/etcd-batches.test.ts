// How the etcd store cuts batches to etcd's limits (src/storage/etcd-batches.ts), and the layout's encodings
// (src/storage/etcd-layout.ts): pure functions, checked in plain Node. The store itself runs against real
// etcd in test/worker/stores/etcd.test.ts.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyChunks, DEFAULT_LIMITS, fitsOneTxn, opBytes, planStaged, TXN_RESERVE_BYTES, type TxnLimits } from "../../src/storage/etcd-batches";
import { fromBase64, prefixEnd, toBase64 } from "../../src/storage/etcd-gateway";
import { metaValue, namespaceKeys, type Op, opsOf, parseMeta, parseStage } from "../../src/storage/etcd-layout";
import { collapseChanges } from "../../src/storage/records";

const keys = namespaceKeys("team/a b%");
const ipOps = (n: number, value = ""): Op[] =>
  Array.from({ length: n }, (_, i) => (i % 3 === 2 ? { key: `${keys.ips}10.0.0.0/8 10.${i >> 16}.${(i >> 8) & 255}.${i & 255}` } : { key: `${keys.ips}10.0.0.0/8 10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, value }));

function checkPlan(ops: Op[], limits: TxnLimits): void {
  const plan = planStaged(keys, ops, limits);
  const budget = limits.maxRequestBytes - TXN_RESERVE_BYTES;
  // The commit txn: the meta write, maybe the stage, the inline ops.
  expect(1 + (plan.stageInline ? 1 : 0) + plan.inline.length).toBeLessThanOrEqual(limits.maxTxnOps);
  expect(plan.stages.length + 1).toBeLessThanOrEqual(limits.maxTxnOps); // stage compares
  for (const v of plan.stages) expect(new TextEncoder().encode(v).length).toBeLessThanOrEqual(budget);
  // Every apply txn fits; the last has room for the meta write and the stage cleanup.
  plan.apply.forEach((chunk, i) => {
    const extra = i === plan.apply.length - 1 ? 2 : 0;
    expect(chunk.length + extra).toBeLessThanOrEqual(limits.maxTxnOps);
    expect(chunk.reduce((n, op) => n + opBytes(op), 0)).toBeLessThanOrEqual(budget);
  });
  // Every op exactly once: inline, then the staged ones, which are what the apply txns write.
  const staged = plan.stages.flatMap((v, n) => parseStage(keys, `stage ${n}`, v));
  expect([...plan.inline, ...staged]).toEqual(ops);
  expect(plan.apply.flat()).toEqual(staged);
}

describe("etcd batches", () => {
  it("a batch fits one txn with up to 127 operations next to the meta write", () => {
    expect(fitsOneTxn(ipOps(127), DEFAULT_LIMITS)).toBe(true);
    expect(fitsOneTxn(ipOps(128), DEFAULT_LIMITS)).toBe(false);
    expect(fitsOneTxn([{ key: `${keys.prefixes}10.0.0.0/8`, value: "x".repeat(DEFAULT_LIMITS.maxRequestBytes) }], DEFAULT_LIMITS)).toBe(false);
  });

  it("a staged plan keeps every txn within the limits and carries every operation once", () => {
    checkPlan(ipOps(128), DEFAULT_LIMITS);
    checkPlan(ipOps(512), DEFAULT_LIMITS);
    checkPlan(ipOps(100_000), DEFAULT_LIMITS);
    checkPlan(ipOps(3000, '{"label":"a \\"quoted\\" ünïcode label"}'), { maxTxnOps: 128, maxRequestBytes: 32 * 1024 });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 4, max: 200 }), fc.integer({ min: 8, max: 256 }), (n, ops, kib) => {
        try {
          checkPlan(ipOps(n, "v".repeat(n % 50)), { maxTxnOps: ops, maxRequestBytes: kib * 1024 });
        } catch (e) {
          if (!/too large for one etcd commit/.test(String(e))) throw e; // refused as a whole: fine
        }
      }),
      { numRuns: 60 },
    );
  });

  it("small batches stage inline in the commit txn; big ones pre-write their stages", () => {
    expect(planStaged(keys, ipOps(512), DEFAULT_LIMITS).stageInline).toBe(true);
    const big = planStaged(keys, ipOps(100_000), DEFAULT_LIMITS);
    expect(big.stageInline).toBe(false);
    expect(big.stages.length).toBeGreaterThan(1);
  });

  it("refuses, before anything is written, a batch needing more stage keys than a txn can compare", () => {
    expect(() => planStaged(keys, ipOps(20_000), { maxTxnOps: 8, maxRequestBytes: 16 * 1024 })).toThrow(/too large/);
  });

  it("the last apply chunk always has room for the meta write and the cleanup", () => {
    for (const n of [0, 1, 126, 127, 128, 129, 254, 256]) {
      const chunks = applyChunks(ipOps(n), DEFAULT_LIMITS);
      expect(chunks[chunks.length - 1].length).toBeLessThanOrEqual(126);
      expect(chunks.flat()).toHaveLength(n);
    }
  });
});

describe("etcd layout", () => {
  it("encodes the namespace so one prefix never covers another's", () => {
    expect(namespaceKeys("a").base).toBe("ipam/ns/a/");
    expect(namespaceKeys("a/b").base).toBe("ipam/ns/a%2Fb/");
    expect(namespaceKeys("a/b").base.startsWith(namespaceKeys("a").base)).toBe(false);
    expect(prefixEnd("ipam/ns/a/")).toBe("ipam/ns/a0");
  });

  it("meta values are exact and round-trip", () => {
    expect(metaValue({ present: true, version: 7 })).toBe('{"present":true,"version":7}');
    const pending = { present: true, version: 8, pending: { id: "x-1", stages: 3 } };
    expect(parseMeta(metaValue(pending), "k")).toEqual(pending);
    expect(() => parseMeta('{"present":1}', "k")).toThrow(/malformed/);
  });

  it("records become keys and values with their extras, and back", () => {
    const ops = opsOf(
      keys,
      collapseChanges([
        { op: "put", record: { kind: "prefix", cidr: "10.0.0.0/16", parentCidr: "" } },
        { op: "put", record: { kind: "ip", prefix: "10.0.0.0/16", ip: "10.0.0.1", label: "db" } as never },
        { op: "delete", record: { kind: "ip", prefix: "10.0.0.0/16", ip: "10.0.0.2" } },
      ]),
    );
    expect(ops).toEqual([
      { key: `${keys.prefixes}10.0.0.0/16`, value: '{"parentCidr":""}' },
      { key: `${keys.ips}10.0.0.0/16 10.0.0.1`, value: '{"label":"db"}' },
      { key: `${keys.ips}10.0.0.0/16 10.0.0.2` },
    ]);
  });

  it("stage values only name record keys of the namespace", () => {
    expect(() => parseStage(keys, "s", '[["meta","{}"]]')).toThrow(/malformed/);
    expect(parseStage(keys, "s", '[["r/idempotency k","{}"]]')).toEqual([{ key: `${keys.records}idempotency k`, value: "{}" }]);
    expect(() => parseStage(keys, "s", '[["p/10.0.0.0/8", 1]]')).toThrow(/malformed/);
    expect(parseStage(keys, "s", '[["p/10.0.0.0/8","{}"],["i/x y"]]')).toEqual([{ key: `${keys.prefixes}10.0.0.0/8`, value: "{}" }, { key: `${keys.ips}x y` }]);
  });

  it("base64 round-trips ASCII and UTF-8", () => {
    for (const s of ["", "ipam/ns/a/meta", "ünïcode ✓ 𝄞", "x".repeat(100_000)]) expect(fromBase64(toBase64(s))).toBe(s);
    expect(toBase64("ipam/")).toBe(Buffer.from("ipam/").toString("base64"));
    expect(toBase64("ünï")).toBe(Buffer.from("ünï").toString("base64"));
  });
});
