// Property tests of bulk acquire/release, labels and reservation choice against a simple model: per prefix, the
// held addresses and their labels. After every step: listings and usage equal the model; the namespace rebuilt
// from its records (in any order), from a store fed every change, and from both dump formats is the same; a
// failing command changes nothing. Separately: a bulk acquire equals n single acquires, for addresses and for
// child prefixes.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { IpamError } from "../../src/core/errors";
import type { Labels } from "../../src/core/labels";
import { MemoryStore } from "../../src/core/memory-store";
import { Namespace } from "../../src/core/namespace";
import type { Command, IPInfo, IpamRecord } from "../../src/core/types";
import { type Family, formatAddr, parsePrefix, prefixFirst, prefixLast } from "../../src/net";

const PREFIXES: { cidr: string; reservation?: "none"; labels?: Labels }[] = [
  { cidr: "10.0.0.0/28" },
  { cidr: "10.0.1.0/29", reservation: "none", labels: { pool: "loopback" } },
  { cidr: "10.0.2.0/31", reservation: "none" },
  { cidr: "2001:db8::/124", labels: { pool: "v6" } },
  { cidr: "2001:db8:1::/126", reservation: "none" },
];
const LABELS: (Labels | undefined)[] = [undefined, undefined, { owner: "a" }, { owner: "b" }, { owner: "a", team: "x" }, { team: "x" }];
const SELECTORS: Labels[] = [{ owner: "a" }, { team: "x" }, { owner: "b" }, { owner: "a", team: "x" }, { nobody: "1" }];

interface MPrefix {
  cidr: string;
  family: Family;
  first: bigint;
  last: bigint;
  held: Map<bigint, Labels | undefined>;
}
type Model = MPrefix[];

function newModel(): Model {
  return PREFIXES.map(({ cidr, reservation }) => {
    const p = parsePrefix(cidr);
    const m: MPrefix = { cidr, family: p.family, first: prefixFirst(p), last: prefixLast(p), held: new Map() };
    if (reservation !== "none") {
      m.held.set(m.first, undefined);
      if (p.family === 4 && m.last !== m.first) m.held.set(m.last, undefined);
    }
    return m;
  });
}

const sorted = (m: MPrefix) => [...m.held.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
const fmt = (m: MPrefix, v: bigint) => formatAddr(m.family, v);
const info = (m: MPrefix, v: bigint, labels: Labels | undefined): IPInfo =>
  labels === undefined ? { ip: fmt(m, v), parentPrefix: m.cidr } : { ip: fmt(m, v), parentPrefix: m.cidr, labels };
const matches = (labels: Labels | undefined, sel: Labels) => labels !== undefined && Object.entries(sel).every(([k, v]) => labels[k] === v);

function lowestFree(m: MPrefix): bigint | undefined {
  for (let v = m.first; v <= m.last; v++) if (!m.held.has(v)) return v;
  return undefined;
}

type Op =
  | { t: "acquire"; p: number; l: number; specific: boolean; o: number }
  | { t: "acquireMany"; p: number; l: number; count: number }
  | { t: "release"; p: number; o: number }
  | { t: "releaseMany"; p: number; os: number[]; stray: boolean }
  | { t: "releaseByLabel"; p: number; s: number; everywhere: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant("acquire" as const), p: fc.nat(), l: fc.nat(), specific: fc.boolean(), o: fc.nat(20) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant("acquireMany" as const), p: fc.nat(), l: fc.nat(), count: fc.integer({ min: 0, max: 18 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("release" as const), p: fc.nat(), o: fc.nat(20) }) },
  {
    weight: 3,
    arbitrary: fc.record({ t: fc.constant("releaseMany" as const), p: fc.nat(), os: fc.array(fc.nat(20), { maxLength: 6 }), stray: fc.boolean() }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("releaseByLabel" as const), p: fc.nat(), s: fc.nat(), everywhere: fc.boolean() }) },
);

type Prediction = { ok: true; result: unknown; apply: () => void } | { ok: false; kind: string };
const fail = (kind: string): Prediction => ({ ok: false, kind });

/** The command of an op and what the model says it must do. */
function plan(model: Model, op: Op): { cmd: Command; expect: Prediction } {
  const m = model[op.p % model.length];
  const held = sorted(m);
  switch (op.t) {
    case "acquire": {
      const labels = LABELS[op.l % LABELS.length];
      const attach = labels === undefined ? {} : { labels };
      if (op.specific) {
        const v = m.first + (BigInt(op.o) % (m.last - m.first + 1n));
        const cmd: Command = { op: "acquireIP", prefixCidr: m.cidr, ip: fmt(m, v), ...attach };
        if (m.held.has(v)) return { cmd, expect: fail("ip_already_allocated") };
        return { cmd, expect: { ok: true, result: info(m, v, labels), apply: () => m.held.set(v, labels) } };
      }
      const cmd: Command = { op: "acquireIP", prefixCidr: m.cidr, ...attach };
      const v = lowestFree(m);
      if (v === undefined) return { cmd, expect: fail("no_ip_available") };
      return { cmd, expect: { ok: true, result: info(m, v, labels), apply: () => m.held.set(v, labels) } };
    }
    case "acquireMany": {
      const labels = LABELS[op.l % LABELS.length];
      const cmd: Command = { op: "acquireIPs", prefixCidr: m.cidr, count: op.count, ...(labels === undefined ? {} : { labels }) };
      if (op.count < 1) return { cmd, expect: fail("invalid_input") };
      const free: bigint[] = [];
      for (let v = m.first; v <= m.last && free.length < op.count; v++) if (!m.held.has(v)) free.push(v);
      if (free.length < op.count) return { cmd, expect: fail("no_ip_available") };
      return {
        cmd,
        expect: { ok: true, result: free.map((v) => info(m, v, labels)), apply: () => free.forEach((v) => m.held.set(v, labels)) },
      };
    }
    case "release": {
      const v = held.length > 0 && op.o % 3 !== 0 ? held[op.o % held.length] : m.first + BigInt(op.o % 4);
      const cmd: Command = { op: "releaseIP", prefixCidr: m.cidr, ip: fmt(m, v) };
      if (!m.held.has(v)) return { cmd, expect: fail("ip_not_allocated") };
      const labels = m.held.get(v);
      return { cmd, expect: { ok: true, result: info(m, v, labels), apply: () => m.held.delete(v) } };
    }
    case "releaseMany": {
      const picks = held.length === 0 ? [] : op.os.map((o) => held[o % held.length]);
      if (op.stray) picks.push(m.last + 1n > m.last ? m.first + BigInt(op.os.length % 4) : m.first);
      const cmd: Command = { op: "releaseIPs", prefixCidr: m.cidr, ips: picks.map((v) => fmt(m, v)) };
      if (picks.length === 0) return { cmd, expect: fail("invalid_input") };
      // every address must be held; then none may be listed twice
      if (picks.some((v) => !m.held.has(v))) return { cmd, expect: fail("ip_not_allocated") };
      if (new Set(picks).size < picks.length) return { cmd, expect: fail("invalid_input") };
      const result = picks.map((v) => info(m, v, m.held.get(v)));
      return { cmd, expect: { ok: true, result, apply: () => picks.forEach((v) => m.held.delete(v)) } };
    }
    case "releaseByLabel": {
      const selector = SELECTORS[op.s % SELECTORS.length];
      const scope = op.everywhere ? [...model].sort((a, b) => a.family - b.family || (a.first < b.first ? -1 : 1)) : [m];
      const hits = scope.flatMap((x) => sorted(x).filter((v) => matches(x.held.get(v), selector)).map((v) => ({ x, v })));
      const cmd: Command = op.everywhere ? { op: "releaseIPsByLabel", selector } : { op: "releaseIPsByLabel", prefixCidr: m.cidr, selector };
      return {
        cmd,
        expect: { ok: true, result: hits.map(({ x, v }) => info(x, v, x.held.get(v))), apply: () => hits.forEach(({ x, v }) => x.held.delete(v)) },
      };
    }
  }
}

const recordText = (records: IpamRecord[]) => records.map((r) => JSON.stringify(r)).sort();

function listings(ns: Namespace) {
  return PREFIXES.map(({ cidr }) => ({
    entries: ns.apply({ op: "listIPEntries", prefixCidr: cidr }).result,
    acquired: ns.apply({ op: "prefixUsage", cidr }).result.acquiredIPs,
    prefix: ns.apply({ op: "getPrefix", cidr }).result,
  }));
}

function check(ns: Namespace, model: Model, store: MemoryStore): void {
  model.forEach((m, i) => {
    const entries = ns.apply({ op: "listIPEntries", prefixCidr: m.cidr }).result;
    const held = sorted(m);
    expect(entries.ips).toEqual(held.map((v) => fmt(m, v)));
    expect(entries.labelled).toEqual(held.filter((v) => m.held.get(v) !== undefined).map((v) => info(m, v, m.held.get(v))));
    expect(ns.apply({ op: "prefixUsage", cidr: m.cidr }).result.acquiredIPs).toBe(BigInt(m.held.size));
    for (const selector of SELECTORS)
      expect(ns.apply({ op: "listIPs", prefixCidr: m.cidr, selector }).result).toEqual(held.filter((v) => matches(m.held.get(v), selector)).map((v) => fmt(m, v)));
    expect(ns.apply({ op: "getPrefix", cidr: m.cidr }).result).toEqual({ parentCidr: "", ...PREFIXES[i] });
  });
  const records = ns.records();
  const state = listings(ns);
  const shuffled = [...records].reverse();
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = (i * 7919) % (i + 1);
    [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
  }
  for (const rebuilt of [Namespace.fromRecords(shuffled), Namespace.fromRecords(JSON.parse(JSON.stringify(store.load("t")!)))]) {
    expect(recordText(rebuilt.records())).toEqual(recordText(records));
    expect(listings(rebuilt)).toEqual(state);
  }
  for (const [op, text] of [["load", ns.apply({ op: "dump" }).result], ["importGoIpam", ns.apply({ op: "exportGoIpam" }).result]] as const) {
    const fresh = new Namespace();
    fresh.apply({ op, dump: text });
    expect(recordText(fresh.records())).toEqual(recordText(records));
  }
}

function runOps(ops: Op[]): void {
  const ns = new Namespace();
  const model = newModel();
  const store = new MemoryStore();
  store.createNamespace("t");
  for (const p of PREFIXES) store.commit("t", ns.apply({ op: "createPrefix", ...p }).changes);
  check(ns, model, store);
  for (const op of ops) {
    const { cmd, expect: want } = plan(model, op);
    const before = want.ok ? null : [recordText(ns.records()), ns.apply({ op: "dump" }).result];
    let applied;
    try {
      applied = ns.apply(cmd);
    } catch (e) {
      if (!(e instanceof IpamError)) throw e;
      expect(want.ok, `${JSON.stringify(cmd)} threw ${e.kind}: ${e.message}`).toBe(false);
      expect(e.kind, JSON.stringify(cmd)).toBe((want as { kind: string }).kind);
      expect([recordText(ns.records()), ns.apply({ op: "dump" }).result], `state after failing ${JSON.stringify(cmd)}`).toEqual(before);
      continue;
    }
    expect(want.ok, `${JSON.stringify(cmd)} should fail`).toBe(true);
    if (!want.ok) return;
    expect(applied.result, JSON.stringify(cmd)).toEqual(want.result);
    want.apply();
    store.commit("t", applied.changes);
    check(ns, model, store);
  }
}

describe("bulk calls, labels and reservation against a model", () => {
  it("random sequences of acquire, AcquireIPs, release, ReleaseIPs and release by label", () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 40 }), runOps), { numRuns: 250 });
  });

  it("AcquireIPs never returns a held address and equals n single AcquireIP", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(63), { maxLength: 40 }), fc.integer({ min: 1, max: 70 }), fc.boolean(), (taken, count, none) => {
        const base = new Namespace();
        base.apply({ op: "createPrefix", cidr: "10.0.0.0/26", ...(none ? { reservation: "none" as const } : {}) });
        for (const o of taken) {
          try {
            base.apply({ op: "acquireIP", prefixCidr: "10.0.0.0/26", ip: `10.0.0.${o}` });
          } catch {} // taken already
        }
        const heldBefore = new Set(base.apply({ op: "listIPs", prefixCidr: "10.0.0.0/26" }).result);
        const bulk = Namespace.fromRecords(base.records());
        const single = Namespace.fromRecords(base.records());
        let bulkResult: IPInfo[] | IpamError;
        try {
          bulkResult = bulk.apply({ op: "acquireIPs", prefixCidr: "10.0.0.0/26", count }).result;
        } catch (e) {
          bulkResult = e as IpamError;
        }
        const singles: IPInfo[] = [];
        let singleError: IpamError | undefined;
        for (let i = 0; i < count && singleError === undefined; i++) {
          try {
            singles.push(single.apply({ op: "acquireIP", prefixCidr: "10.0.0.0/26" }).result);
          } catch (e) {
            singleError = e as IpamError;
          }
        }
        if (bulkResult instanceof IpamError) {
          expect(bulkResult.kind).toBe("no_ip_available");
          expect(singleError?.kind).toBe("no_ip_available");
          expect(recordText(bulk.records())).toEqual(recordText(base.records()));
        } else {
          expect(singleError).toBeUndefined();
          expect(bulkResult).toEqual(singles);
          for (const { ip } of bulkResult) expect(heldBefore.has(ip)).toBe(false);
          expect(new Set(bulkResult.map((r) => r.ip)).size).toBe(count);
          expect(recordText(bulk.records())).toEqual(recordText(single.records()));
        }
      }),
      { numRuns: 300 },
    );
  });

  it("AcquireChildPrefixes equals n single AcquireChildPrefix, or fails changing nothing", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 21, max: 28 }), fc.nat(255)), { maxLength: 20 }),
        fc.integer({ min: 21, max: 28 }),
        fc.integer({ min: 1, max: 40 }),
        (specific, length, count) => {
          const base = new Namespace();
          base.apply({ op: "createPrefix", cidr: "10.0.0.0/20" });
          for (const [bits, o] of specific) {
            try {
              base.apply({ op: "acquireChildPrefix", cidr: "10.0.0.0/20", length: 0, childCidr: `10.0.${o % 16}.${(o * 16) % 256}/${bits}` });
            } catch {} // not free
          }
          const bulk = Namespace.fromRecords(base.records());
          const single = Namespace.fromRecords(base.records());
          let bulkError: IpamError | undefined;
          let bulkResult: unknown;
          try {
            bulkResult = bulk.apply({ op: "acquireChildPrefixes", cidr: "10.0.0.0/20", length, count }).result;
          } catch (e) {
            bulkError = e as IpamError;
          }
          const singles: unknown[] = [];
          let singleError: IpamError | undefined;
          for (let i = 0; i < count && singleError === undefined; i++) {
            try {
              singles.push(single.apply({ op: "acquireChildPrefix", cidr: "10.0.0.0/20", length }).result);
            } catch (e) {
              singleError = e as IpamError;
            }
          }
          if (bulkError !== undefined) {
            expect(bulkError.kind).toBe("no_child_available");
            expect(singleError?.kind).toBe("no_child_available");
            if (singles.length > 0) expect(bulkError.message).toContain(`only ${singles.length} are available`);
            expect(bulk.apply({ op: "dump" }).result).toBe(base.apply({ op: "dump" }).result);
            expect(bulk.apply({ op: "prefixUsage", cidr: "10.0.0.0/20" }).result).toEqual(base.apply({ op: "prefixUsage", cidr: "10.0.0.0/20" }).result);
          } else {
            expect(singleError).toBeUndefined();
            expect(bulkResult).toEqual(singles);
            expect(bulk.apply({ op: "dump" }).result).toBe(single.apply({ op: "dump" }).result);
            expect(bulk.apply({ op: "prefixUsage", cidr: "10.0.0.0/20" }).result).toEqual(single.apply({ op: "prefixUsage", cidr: "10.0.0.0/20" }).result);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
