// Model-based property tests of Namespace: random command sequences against a naive model of go-ipam's
// semantics (reference §2, CONTRACT §2-§3). After every step:
//   (a) no address is held twice per prefix; next free == the lowest address not held
//   (b) children never overlap each other and lie inside their parent
//   (c) prefixUsage equals a brute-force recount
//   (d) rebuilding from records(), and from a MemoryStore fed every command's changes, gives the same state
//   (e) a failing command leaves the state unchanged
//   (f) dump -> load and exportGoIpam -> importGoIpam into a fresh namespace reproduce the same records
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ErrorKind, IpamError } from "../../src/core/errors.js";
import { MemoryStore, recordKey } from "../../src/core/memory-store.js";
import { Namespace } from "../../src/core/namespace.js";
import type { Command, IpamRecord, Usage } from "../../src/core/types.js";
import {
  type Family,
  NetParseError,
  type Prefix,
  bitLen,
  formatAddr,
  formatPrefix,
  maskPrefix,
  parseAddr,
  parsePrefix,
  prefixFirst,
  prefixLast,
  rangeToPrefixes,
} from "../../src/net/index.js";

const MAX_UINT64 = (1n << 64n) - 1n;
const maxOf = (f: Family) => (f === 4 ? (1n << 32n) - 1n : (1n << 128n) - 1n);
const cmpBig = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

// ---------------------------------------------------------------------------------------------------------
// The model

interface MPrefix {
  cidr: string;
  family: Family;
  bits: number;
  first: bigint;
  last: bigint;
  parent: string;
  held: Set<bigint>;
  children: Set<string>;
}
type Model = Map<string, MPrefix>;

const cloneModel = (m: Model): Model =>
  new Map([...m].map(([k, v]) => [k, { ...v, held: new Set(v.held), children: new Set(v.children) }]));

function tryPrefix(raw: string): Prefix | undefined {
  try {
    return maskPrefix(parsePrefix(raw));
  } catch (e) {
    if (e instanceof NetParseError) return undefined;
    throw e;
  }
}

function tryAddr(raw: string) {
  try {
    return parseAddr(raw);
  } catch (e) {
    if (e instanceof NetParseError) return undefined;
    throw e;
  }
}

function newMPrefix(p: Prefix, parent: string): MPrefix {
  const first = prefixFirst(p);
  const last = prefixLast(p);
  const held = new Set<bigint>([first]);
  if (p.family === 4) held.add(last); // reserved: first, and for IPv4 also last
  return { cidr: formatPrefix(p), family: p.family, bits: p.bits, first, last, parent, held, children: new Set() };
}

const reservedOf = (m: MPrefix) => (m.family === 4 ? [m.first, m.last] : [m.first]);
const hasIPs = (m: MPrefix) => [...m.held].some((v) => !reservedOf(m).includes(v));
const sizeOf = (m: MPrefix) => m.last - m.first + 1n;

function lowestFree(m: MPrefix): bigint | undefined {
  for (let v = m.first; v <= m.last; v++) if (!m.held.has(v)) return v;
  return undefined;
}

interface Block {
  start: bigint;
  size: bigint;
}

/** The free space of a prefix (its range minus its children), as the minimal sorted CIDR list. */
function freeBlocks(model: Model, m: MPrefix): Block[] {
  const kids = [...m.children].map((c) => model.get(c)!).sort((a, b) => cmpBig(a.first, b.first));
  const ranges: [bigint, bigint][] = [];
  let at = m.first;
  for (const k of kids) {
    if (k.first > at) ranges.push([at, k.first - 1n]);
    at = k.last + 1n;
  }
  if (at <= m.last) ranges.push([at, m.last]);
  const bl = bitLen(m.family);
  return ranges.flatMap(([a, b]) =>
    rangeToPrefixes(m.family, a, b).map((p) => ({ start: p.addr, size: 1n << BigInt(bl - p.bits) })),
  );
}

const blockCidr = (f: Family, b: Block) =>
  formatPrefix({ family: f, addr: b.start, bits: bitLen(f) - (b.size.toString(2).length - 1) });

function naiveUsage(model: Model, m: MPrefix): Usage {
  const kept = freeBlocks(model, m).filter((b) => b.size >= 4n);
  const units = kept.reduce((s, b) => s + b.size / 4n, 0n);
  const sat = (n: bigint) => (n > MAX_UINT64 ? MAX_UINT64 : n);
  return {
    availableIPs: sat(sizeOf(m)),
    acquiredIPs: BigInt(m.held.size),
    availableSmallestPrefixes: sat(units),
    availablePrefixes: kept.map((b) => blockCidr(m.family, b)),
    acquiredPrefixes: BigInt(m.children.size),
  };
}

function modelRecords(model: Model): string[] {
  const out: string[] = [];
  for (const m of model.values()) {
    out.push(recordKey({ kind: "prefix", cidr: m.cidr, parentCidr: m.parent }) + " " + m.parent);
    for (const v of m.held) out.push(recordKey({ kind: "ip", prefix: m.cidr, ip: formatAddr(m.family, v) }));
  }
  return out.sort();
}

const recordSet = (records: IpamRecord[]) =>
  records.map((r) => recordKey(r) + (r.kind === "prefix" ? " " + r.parentCidr : "")).sort();

// ---------------------------------------------------------------------------------------------------------
// Predictions: what go-ipam's rules say a command must do

type Outcome =
  | { ok: true; result: unknown; apply: () => void }
  | { ok: false; kind: ErrorKind; message?: (msg: string) => boolean };

const fail = (kind: ErrorKind, message?: (msg: string) => boolean): Outcome => ({ ok: false, kind, message });
const contains = (s: string) => (msg: string) => msg.includes(s);

function lookup(model: Model, raw: string): MPrefix | Outcome {
  const p = tryPrefix(raw);
  if (p === undefined) return fail("invalid_input", contains(raw));
  const m = model.get(formatPrefix(p));
  if (m === undefined) return fail("prefix_not_found");
  return m;
}

function removeFromModel(model: Model, m: MPrefix): void {
  model.delete(m.cidr);
  if (m.parent !== "") model.get(m.parent)!.children.delete(m.cidr);
}

const info = (m: MPrefix) => ({ cidr: m.cidr, parentCidr: m.parent });

function predict(ctx: Ctx, cmd: Command): Outcome {
  const model = ctx.model;
  switch (cmd.op) {
    case "createPrefix": {
      const p = tryPrefix(cmd.cidr);
      if (p === undefined) return fail("invalid_input", contains(cmd.cidr));
      const n = newMPrefix(p, "");
      const clashes = [...model.values()].filter(
        (m) => m.parent === "" && m.family === n.family && m.first <= n.last && n.first <= m.last,
      );
      if (clashes.length > 0)
        return fail("overlap", (msg) => clashes.some((c) => msg === `${n.cidr} overlaps ${c.cidr}`));
      return { ok: true, result: info(n), apply: () => model.set(n.cidr, n) };
    }
    case "deletePrefix": {
      const m = lookup(model, cmd.cidr);
      if ("ok" in m) return m;
      if (hasIPs(m)) return fail("conflict", contains("has ips"));
      if (m.children.size > 0) return fail("conflict", contains("has childprefixes"));
      return { ok: true, result: info(m), apply: () => removeFromModel(model, m) };
    }
    case "releaseChildPrefix": {
      const m = lookup(model, cmd.cidr);
      if ("ok" in m) return m;
      if (m.parent === "") return fail("conflict", contains("is no child prefix"));
      if (hasIPs(m)) return fail("conflict", contains("has ips"));
      if (m.children.size > 0) return fail("conflict", contains("has childprefixes"));
      return { ok: true, result: info(m), apply: () => removeFromModel(model, m) };
    }
    case "acquireChildPrefix": {
      // the command's shape is checked first: a length is an integer from 0 to 2^32-1
      if (!Number.isInteger(cmd.length) || cmd.length < 0 || cmd.length > 0xffffffff)
        return fail("invalid_input", contains(String(cmd.length)));
      const m = lookup(model, cmd.cidr);
      if ("ok" in m) return m;
      let length = cmd.length;
      let child: Prefix | undefined;
      if (cmd.childCidr !== undefined && cmd.childCidr !== "") {
        child = tryPrefix(cmd.childCidr);
        if (child === undefined) return fail("invalid_input", contains(cmd.childCidr));
        length = child.bits;
      }
      const bl = bitLen(m.family);
      if (!Number.isInteger(length) || length <= m.bits) return fail("invalid_input", contains(`length:${length}`));
      // a specific child of the other family is "not available" (go-ipam's order), whatever its length
      if (child === undefined && length > bl) return fail("invalid_input", contains(`length:${length}`));
      if (hasIPs(m)) return fail("conflict", contains("has ips"));
      if (child !== undefined && child.family !== m.family)
        return fail("no_child_available", (msg) => msg === `specific prefix ${cmd.childCidr} is not available in prefix ${cmd.cidr}`);
      const size = 1n << BigInt(bl - length);
      const free = freeBlocks(model, m);
      let start: bigint;
      if (child !== undefined) {
        const notAvailable = fail(
          "no_child_available",
          (msg) => msg === `specific prefix ${cmd.childCidr} is not available in prefix ${cmd.cidr}`,
        );
        if (child.family !== m.family) return notAvailable;
        const c0 = child.addr;
        const c1 = child.addr + size - 1n;
        if (c0 < m.first || c1 > m.last) return notAvailable;
        for (const k of m.children) {
          const km = model.get(k)!;
          if (c0 <= km.last && km.first <= c1) return notAvailable;
        }
        start = c0;
      } else {
        let best: Block | undefined;
        for (const b of free) if (b.size >= size && (best === undefined || b.size < best.size)) best = b;
        if (best === undefined) {
          const list = free.map((b) => blockCidr(m.family, b));
          const expected =
            list.length === 0
              ? `no prefix found in ${cmd.cidr} with length:${length}`
              : `no prefix found in ${cmd.cidr} with length:${length}, but ${list.join(",")} ${list.length === 1 ? "is" : "are"} available`;
          return fail("no_child_available", (msg) => msg === expected);
        }
        start = best.start;
      }
      const n = newMPrefix({ family: m.family, addr: start, bits: length }, m.cidr);
      return {
        ok: true,
        result: info(n),
        apply: () => {
          model.set(n.cidr, n);
          m.children.add(n.cidr);
        },
      };
    }
    case "acquireIP": {
      const m = lookup(model, cmd.prefixCidr);
      if ("ok" in m) return m;
      if (m.children.size > 0) return fail("conflict", contains("has childprefixes"));
      let v: bigint;
      if (cmd.ip !== undefined && cmd.ip !== "") {
        const a = tryAddr(cmd.ip);
        if (a === undefined) return fail("invalid_input", contains(cmd.ip));
        if (a.family !== m.family || a.zone !== "" || a.value < m.first || a.value > m.last)
          return fail("invalid_input", contains(cmd.ip));
        if (m.held.has(a.value))
          return fail(
            "ip_already_allocated",
            (msg) => msg === `AlreadyAllocatedError: given ip:${formatAddr(m.family, a.value)} is already allocated`,
          );
        v = a.value;
      } else {
        const low = lowestFree(m);
        if (low === undefined)
          return fail(
            "no_ip_available",
            (msg) => msg === `NoIPAvailableError: no more ips in prefix: ${m.cidr} left, length of prefix.ips: ${m.held.size}`,
          );
        v = low;
      }
      return { ok: true, result: { ip: formatAddr(m.family, v), parentPrefix: m.cidr }, apply: () => m.held.add(v) };
    }
    case "releaseIP": {
      const m = lookup(model, cmd.prefixCidr);
      if ("ok" in m) return m;
      const a = tryAddr(cmd.ip);
      if (a === undefined) return fail("invalid_input", contains(cmd.ip));
      if (a.family !== m.family || a.zone !== "" || !m.held.has(a.value)) return fail("ip_not_allocated");
      return {
        ok: true,
        result: { ip: formatAddr(m.family, a.value), parentPrefix: m.cidr },
        apply: () => m.held.delete(a.value),
      };
    }
    case "load":
    case "importGoIpam": {
      if (model.size > 0) return fail("conflict", contains("prefixes exist"));
      const snap = ctx.loading!;
      return {
        ok: true,
        result: null,
        apply: () => {
          for (const [k, v] of cloneModel(snap)) model.set(k, v);
        },
      };
    }
    default:
      throw new Error(`no prediction for ${cmd.op}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Running a command and checking the state

interface Ctx {
  ns: Namespace;
  model: Model;
  store: MemoryStore;
  /** Snapshots (model, our dump, go-ipam dump) to load later. */
  snapshots: { model: Model; dump: string; go: string }[];
  /** The model a load is expected to produce. */
  loading?: Model;
  trace: string[];
}

const show = (v: unknown) => JSON.stringify(v, (_, x) => (typeof x === "bigint" ? `${x}n` : x));
const traceOf = (ctx: Ctx) => `\ntrace:\n${ctx.trace.join("\n")}`;

/** Cheap equality through JSON; on a mismatch, vitest's diff with the message. */
function same(actual: unknown, expected: unknown, label: () => string): void {
  if (show(actual) !== show(expected)) expect(actual, label()).toEqual(expected);
}

function ensure(cond: boolean, label: () => string): void {
  if (!cond) expect.fail(label());
}

function run(ctx: Ctx, cmd: Command): void {
  const outcome = predict(ctx, cmd);
  // the state before a command predicted to fail, to check (e) that it stays the same
  const before = outcome.ok ? "" : show(recordSet(ctx.ns.records()));
  const dumpBefore = outcome.ok ? "" : ctx.ns.apply({ op: "dump" }).result;
  ctx.trace.push(show(cmd));
  let applied;
  try {
    applied = ctx.ns.apply(cmd);
  } catch (e) {
    if (!(e instanceof IpamError))
      throw new Error(`${show(cmd)} threw a non-IpamError: ${(e as Error)?.stack ?? String(e)}${traceOf(ctx)}`);
    if (outcome.ok)
      throw new Error(`${show(cmd)} should succeed with ${show(outcome.result)}, threw ${e.kind}: ${e.message}${traceOf(ctx)}`);
    if (e.kind !== outcome.kind || (outcome.message !== undefined && !outcome.message(e.message)))
      throw new Error(`${show(cmd)} should fail with ${outcome.kind}, threw ${e.kind}: ${e.message}${traceOf(ctx)}`);
    // (e) a failing command changes nothing
    same(show(recordSet(ctx.ns.records())), before, () => `records after failing ${show(cmd)}${traceOf(ctx)}`);
    same(ctx.ns.apply({ op: "dump" }).result, dumpBefore, () => `dump after failing ${show(cmd)}${traceOf(ctx)}`);
    return;
  }
  if (!outcome.ok)
    throw new Error(`${show(cmd)} should fail with ${outcome.kind}, answered ${show(applied.result)}${traceOf(ctx)}`);
  same(applied.result, outcome.result, () => `result of ${show(cmd)}${traceOf(ctx)}`);
  outcome.apply();
  ctx.store.commit("t", applied.changes);
}

interface State {
  records: string[];
  list: unknown;
  perPrefix: Record<string, unknown>;
  dump: string;
  go: string;
}

function stateOf(ns: Namespace): State {
  const list = ns.apply({ op: "listPrefixes" }).result;
  const perPrefix: Record<string, unknown> = {};
  for (const p of list)
    perPrefix[p.cidr] = {
      get: ns.apply({ op: "getPrefix", cidr: p.cidr }).result,
      usage: ns.apply({ op: "prefixUsage", cidr: p.cidr }).result,
      ips: ns.apply({ op: "listIPs", prefixCidr: p.cidr }).result,
    };
  return {
    records: recordSet(ns.records()),
    list,
    perPrefix,
    dump: ns.apply({ op: "dump" }).result,
    go: ns.apply({ op: "exportGoIpam" }).result,
  };
}

function checkAll(ctx: Ctx): void {
  const { ns, model } = ctx;
  const where = () => traceOf(ctx);
  // model vs namespace: prefixes, addresses (a), usage (c), records
  const expectedList = [...model.values()]
    .sort((a, b) => a.family - b.family || cmpBig(a.first, b.first) || a.bits - b.bits)
    .map(info);
  const list = ns.apply({ op: "listPrefixes" }).result;
  same(list, expectedList, () => `listPrefixes${where()}`);
  for (const m of model.values()) {
    const ips = ns.apply({ op: "listIPs", prefixCidr: m.cidr }).result;
    same(ips, [...m.held].sort(cmpBig).map((v) => formatAddr(m.family, v)), () => `listIPs ${m.cidr}${where()}`);
    ensure(new Set(ips).size === ips.length, () => `an address is held twice in ${m.cidr}${where()}`);
    same(ns.apply({ op: "getPrefix", cidr: m.cidr }).result, info(m), () => `getPrefix ${m.cidr}${where()}`);
    same(ns.apply({ op: "prefixUsage", cidr: m.cidr }).result, naiveUsage(model, m), () => `usage ${m.cidr}${where()}`);
  }
  same(recordSet(ns.records()), modelRecords(model), () => `records${where()}`);

  // (b) from the namespace's own answer: children inside their parent, siblings and top levels disjoint
  const parsed = list.map((p) => ({ ...p, pfx: maskPrefix(parsePrefix(p.cidr)) }));
  const byCidr = new Map(parsed.map((p) => [p.cidr, p]));
  const groups = new Map<string, typeof parsed>();
  for (const p of parsed) {
    if (p.parentCidr !== "") {
      const parent = byCidr.get(p.parentCidr);
      ensure(parent !== undefined, () => `parent of ${p.cidr} is not listed${where()}`);
      ensure(
        parent!.pfx.family === p.pfx.family &&
          parent!.pfx.bits < p.pfx.bits &&
          prefixFirst(parent!.pfx) <= prefixFirst(p.pfx) &&
          prefixLast(p.pfx) <= prefixLast(parent!.pfx),
        () => `${p.cidr} is not inside its parent ${p.parentCidr}${where()}`,
      );
    }
    const key = `${p.pfx.family} ${p.parentCidr}`;
    const g = groups.get(key);
    if (g === undefined) groups.set(key, [p]);
    else g.push(p);
  }
  for (const g of groups.values()) {
    const sorted = [...g].sort((a, b) => cmpBig(prefixFirst(a.pfx), prefixFirst(b.pfx)));
    for (let i = 1; i < sorted.length; i++)
      ensure(
        prefixLast(sorted[i - 1].pfx) < prefixFirst(sorted[i].pfx),
        () => `${sorted[i - 1].cidr} and ${sorted[i].cidr} overlap${where()}`,
      );
  }

  // (d) rebuilt from records (as given, and in any order: a store need not keep parents first), and from the
  // store that saw every change
  const state = stateOf(ns);
  same(stateOf(Namespace.fromRecords(ns.records())), state, () => `rebuilt from records()${where()}`);
  const shuffled = ns.records().reverse();
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = (i * 7919 + ctx.trace.length) % (i + 1);
    [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
  }
  same(stateOf(Namespace.fromRecords(shuffled)), state, () => `rebuilt from shuffled records()${where()}`);
  const stored = ctx.store.load("t")!;
  same(recordSet(stored), state.records, () => `store records${where()}`);
  same(stateOf(Namespace.fromRecords(stored)), state, () => `rebuilt from the store${where()}`);

  // (f) dump -> load and go-ipam export -> import into fresh namespaces
  for (const [op, text] of [
    ["load", state.dump],
    ["importGoIpam", state.go],
  ] as const) {
    const fresh = new Namespace();
    const { changes } = fresh.apply({ op, dump: text });
    same(stateOf(fresh), state, () => `${op} into a fresh namespace${where()}`);
    const s = new MemoryStore();
    s.createNamespace("x");
    s.commit("x", changes);
    same(recordSet(s.load("x")!), state.records, () => `changes of ${op}${where()}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Generated operations

/** Top-level prefixes to create: small ones, parents, both ends of both spaces, and bad or overlapping ones. */
const POOL = [
  "10.0.0.0/28",
  "10.0.1.0/29",
  "10.0.2.0/30",
  "10.0.3.0/31",
  "10.0.4.0/32",
  "2001:db8::/126",
  "2001:db8:1::/127",
  "2001:db8:2::/128",
  "2001:db8:3::/120",
  "10.1.0.0/24",
  "10.2.0.0/22",
  "2001:db8:4::/120",
  "2001:db8:5::/116",
  "255.255.255.0/24",
  "255.255.255.255/32",
  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/120",
  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffc/126",
  "::ffff:10.9.0.0/126",
  "10.9.0.0/30",
  "0.0.0.0/30",
  "::/126",
  // non-canonical, overlapping, whole spaces, invalid
  "10.0.1.3/29",
  "2001:0db8:0003::0/120",
  "192.169.0.1/24",
  "10.0.0.0/8",
  "10.1.0.128/25",
  "2001:db8::/32",
  "0.0.0.0/0",
  "::/0",
  "10.0.0.0/33",
  "bogus",
];

type Op =
  | { t: "create"; i: number }
  | { t: "acquireIP"; p: number; specific: boolean; o: number; form: number }
  | { t: "releaseIP"; p: number; o: number; form: number; fromHeld: boolean }
  | { t: "acquireChild"; p: number; l: number; specific: boolean; o: number; form: number }
  | { t: "releaseChild"; p: number }
  | { t: "delete"; p: number }
  | { t: "load"; s: number; wipe: boolean; go: boolean };

const nat = fc.nat(1 << 20);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant("create" as const), i: fc.nat(POOL.length - 1) }) },
  {
    weight: 7,
    arbitrary: fc.record({ t: fc.constant("acquireIP" as const), p: nat, specific: fc.boolean(), o: nat, form: fc.nat(9) }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ t: fc.constant("releaseIP" as const), p: nat, o: nat, form: fc.nat(9), fromHeld: fc.boolean() }),
  },
  {
    weight: 7,
    arbitrary: fc.record({ t: fc.constant("acquireChild" as const), p: nat, l: nat, specific: fc.boolean(), o: nat, form: fc.nat(9) }),
  },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("releaseChild" as const), p: nat }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("delete" as const), p: nat }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("load" as const), s: nat, wipe: fc.boolean(), go: fc.boolean() }) },
);

function expand6(v: bigint): string {
  const g: string[] = [];
  for (let i = 7; i >= 0; i--) g.push(((v >> BigInt(16 * i)) & 0xffffn).toString(16).padStart(4, "0"));
  return g.join(":");
}

/** Another spelling of a CIDR that names the same prefix: host bits set, or an expanded IPv6 address. */
function nonCanonical(m: MPrefix): string {
  if (m.family === 6) return `${expand6(m.last)}/${m.bits}`;
  return m.first === m.last ? `${formatAddr(4, m.first)}/${m.bits}` : `${formatAddr(4, m.last)}/${m.bits}`;
}

/** Prefix names an operation can target: live prefixes (weighted), other spellings, missing and invalid. */
function targets(model: Model): string[] {
  const live = [...model.keys()].sort();
  return [
    ...live,
    ...live,
    ...live,
    ...live,
    ...live,
    ...live,
    ...[...model.values()].map(nonCanonical),
    "10.1.0.0/24",
    "2001:db8:4::/120",
    "99.0.0.0/24",
    "10.1.0.0/33",
    "garbage",
  ];
}

function rangeOf(model: Model, raw: string): MPrefix {
  const p = tryPrefix(raw);
  const m = p === undefined ? undefined : model.get(formatPrefix(p));
  return m ?? newMPrefix(p ?? maskPrefix(parsePrefix("10.1.0.0/24")), "");
}

function ipString(family: Family, v: bigint, form: number): string {
  const canonical = formatAddr(family, v);
  switch (form) {
    case 6: // another family
      return family === 4 ? `::ffff:${canonical}` : formatAddr(4, v & 0xffffffffn);
    case 7: // non-canonical spelling: expanded IPv6 (valid), an IPv4 octet with a leading zero (invalid)
      return family === 6 ? expand6(v) : canonical.replace(/\.(\d+)$/, ".0$1");
    case 8: // a zone
      return family === 6 ? `${canonical}%eth0` : `${canonical}%eth0`;
    case 9:
      return form % 2 === 0 ? "not-an-ip" : "";
    default:
      return canonical;
  }
}

function ipValue(m: MPrefix, o: number): bigint {
  const size = sizeOf(m);
  let v: bigint;
  if (o % 5 === 0) v = m.last + 1n - BigInt((o >> 3) % 4); // near the end, one past it included
  else v = m.first - 1n + (BigInt(o >> 3) % (size < 300n ? size + 2n : 300n)); // from one below the start
  return v < 0n || v > maxOf(m.family) ? m.first : v;
}

/** A child length for parent m: mostly valid, sometimes too short, too long or fractional. */
function childLength(m: MPrefix, l: number): number {
  const bl = bitLen(m.family);
  const hb = bl - m.bits;
  switch (l % 16) {
    case 0:
      return m.bits;
    case 1:
      return bl + 1;
    case 2:
      return m.bits + 1.5;
    default:
      return hb <= 0 ? bl + 1 : m.bits + 1 + ((l >> 4) % Math.min(hb, 12));
  }
}

function childCidr(ctx: Ctx, m: MPrefix, length: number, o: number, form: number): string {
  const bl = bitLen(m.family);
  const L = Number.isInteger(length) && length > m.bits && length <= bl ? length : Math.min(bl, m.bits + 1);
  const size = 1n << BigInt(bl - L);
  let start = m.first + (BigInt(o) % (1n << BigInt(Math.min(L - m.bits, 40)))) * size;
  if (form <= 2) {
    // a free block big enough, so that specific requests succeed often
    const free = freeBlocks(ctx.model, m).filter((b) => b.size >= size);
    if (free.length > 0) start = free[o % free.length].start + size * BigInt((o >> 4) % Number(free[o % free.length].size / size > 4n ? 4n : free[o % free.length].size / size));
  }
  if (start > m.last) start = m.first;
  const canonical = formatPrefix({ family: m.family, addr: start, bits: L });
  switch (form) {
    case 5: // host bits set: masked before use
      return formatPrefix({ family: m.family, addr: start + (size > 1n ? size - 1n : 0n), bits: L });
    case 6: // expanded IPv6 spelling
      return m.family === 6 ? `${expand6(start)}/${L}` : canonical;
    case 7: // the other family
      return m.family === 4 ? `::ffff:${formatAddr(4, start)}/${96 + L}` : `10.0.0.0/${Math.min(L, 32)}`;
    case 8: // just outside the parent
      return m.last < maxOf(m.family) ? formatPrefix({ family: m.family, addr: m.last + 1n, bits: L }) : canonical;
    case 9:
      return `${formatAddr(m.family, start)}/${bl + 1}`;
    default:
      return canonical;
  }
}

/** Empties the namespace through ordinary commands: release addresses, then children, then prefixes. */
function wipe(ctx: Ctx): void {
  const order = [...ctx.model.values()].sort((a, b) => b.bits - a.bits);
  for (const m of order) {
    for (const v of [...m.held].sort(cmpBig))
      if (!reservedOf(m).includes(v)) run(ctx, { op: "releaseIP", prefixCidr: m.cidr, ip: formatAddr(m.family, v) });
    run(ctx, m.parent === "" ? { op: "deletePrefix", cidr: m.cidr } : { op: "releaseChildPrefix", cidr: m.cidr });
  }
}

function interpret(ctx: Ctx, op: Op): void {
  const t = targets(ctx.model);
  switch (op.t) {
    case "create":
      return run(ctx, { op: "createPrefix", cidr: POOL[op.i] });
    case "acquireIP": {
      const raw = t[op.p % t.length];
      if (!op.specific) return run(ctx, { op: "acquireIP", prefixCidr: raw });
      const m = rangeOf(ctx.model, raw);
      return run(ctx, { op: "acquireIP", prefixCidr: raw, ip: ipString(m.family, ipValue(m, op.o), op.form) });
    }
    case "releaseIP": {
      const raw = t[op.p % t.length];
      const m = rangeOf(ctx.model, raw);
      const held = [...m.held].sort(cmpBig);
      const v = op.fromHeld && held.length > 0 ? held[op.o % held.length] : ipValue(m, op.o);
      return run(ctx, { op: "releaseIP", prefixCidr: raw, ip: ipString(m.family, v, op.form) });
    }
    case "acquireChild": {
      const raw = t[op.p % t.length];
      const m = rangeOf(ctx.model, raw);
      const length = childLength(m, op.l);
      if (!op.specific) return run(ctx, { op: "acquireChildPrefix", cidr: raw, length });
      return run(ctx, { op: "acquireChildPrefix", cidr: raw, length: 0, childCidr: childCidr(ctx, m, length, op.o, op.form) });
    }
    case "releaseChild":
      return run(ctx, { op: "releaseChildPrefix", cidr: t[op.p % t.length] });
    case "delete":
      return run(ctx, { op: "deletePrefix", cidr: t[op.p % t.length] });
    case "load": {
      if (ctx.snapshots.length === 0) return;
      const snap = ctx.snapshots[op.s % ctx.snapshots.length];
      if (op.wipe) wipe(ctx);
      ctx.loading = snap.model;
      run(ctx, op.go ? { op: "importGoIpam", dump: snap.go } : { op: "load", dump: snap.dump });
      ctx.loading = undefined;
      return;
    }
  }
}

function newCtx(): Ctx {
  const store = new MemoryStore();
  store.createNamespace("t");
  return { ns: new Namespace(), model: new Map(), store, snapshots: [], trace: [] };
}

function runSequence(ops: Op[], prelude: Command[] = []): void {
  const ctx = newCtx();
  for (const cmd of prelude) run(ctx, cmd);
  checkAll(ctx);
  for (const op of ops) {
    interpret(ctx, op);
    checkAll(ctx);
    if (ctx.model.size > 0 && (op.t === "acquireChild" || op.t === "create")) {
      ctx.snapshots.push({
        model: cloneModel(ctx.model),
        dump: ctx.ns.apply({ op: "dump" }).result,
        go: ctx.ns.apply({ op: "exportGoIpam" }).result,
      });
      if (ctx.snapshots.length > 6) ctx.snapshots.shift();
    }
  }
  // finally everything can be released again, and the namespace is empty
  wipe(ctx);
  checkAll(ctx);
  expect(ctx.ns.isEmpty).toBe(true);
}

describe("Namespace against a model of go-ipam's semantics", () => {
  it("random command sequences from scratch", () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 40, size: "max" }), (ops) => runSequence(ops)),
      { numRuns: 120 },
    );
  }, 60_000);

  it("random command sequences on small prefixes and parents created up front", () => {
    // The small prefixes and the /24 and /120 parents of the pool (its first twelve, less the /22).
    const prelude: Command[] = POOL.slice(0, 12)
      .filter((cidr) => cidr !== "10.2.0.0/22")
      .map((cidr) => ({ op: "createPrefix", cidr }));
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 40, size: "max" }), (ops) => runSequence(ops, prelude)),
      { numRuns: 80 },
    );
  }, 60_000);

  it("churn: thousands of acquire/release and create/delete of the same keys keep the state exact", () => {
    const ctx = newCtx();
    run(ctx, { op: "createPrefix", cidr: "10.1.0.0/24" });
    run(ctx, { op: "createPrefix", cidr: "2001:db8:4::/120" });
    run(ctx, { op: "acquireChildPrefix", cidr: "2001:db8:4::/120", length: 124 });
    for (let i = 0; i < 1500; i++) {
      run(ctx, { op: "acquireChildPrefix", cidr: "10.1.0.0/24", length: 26 + (i % 3) });
      run(ctx, { op: "createPrefix", cidr: `10.${2 + (i % 5)}.0.0/16` });
      run(ctx, { op: "acquireIP", prefixCidr: "2001:db8:4::/124" });
      if (i % 7 === 3) checkAll(ctx);
      const kids = [...ctx.model.get("10.1.0.0/24")!.children].sort();
      run(ctx, { op: "releaseChildPrefix", cidr: kids[i % kids.length] });
      run(ctx, { op: "deletePrefix", cidr: `10.${2 + (i % 5)}.0.0/16` });
      run(ctx, { op: "releaseIP", prefixCidr: "2001:db8:4::/124", ip: "2001:db8:4::1" });
    }
    checkAll(ctx);
    // more than 1024 distinct keys deleted: the prefix maps compact their tombstones
    for (let i = 0; i < 1200; i++) run(ctx, { op: "createPrefix", cidr: `10.${8 + (i >> 8)}.${i & 255}.0/24` });
    run(ctx, { op: "createPrefix", cidr: "2001:db8:5::/116" });
    for (let i = 0; i < 1100; i++) run(ctx, { op: "acquireChildPrefix", cidr: "2001:db8:5::/116", length: 128 });
    for (let i = 0; i < 1200; i++) if (i % 97 !== 0) run(ctx, { op: "deletePrefix", cidr: `10.${8 + (i >> 8)}.${i & 255}.0/24` });
    for (const kid of [...ctx.model.get("2001:db8:5::/116")!.children].sort()) if (!kid.endsWith("7/128")) run(ctx, { op: "releaseChildPrefix", cidr: kid });
    for (let i = 0; i < 5; i++) run(ctx, { op: "acquireChildPrefix", cidr: "2001:db8:5::/116", length: 126 });
    checkAll(ctx);
    wipe(ctx);
    checkAll(ctx);
  }, 60_000);

  it("regression: records() lists a child before its parent once the child's CIDR was used before (documented: parents before children)", () => {
    const ns = new Namespace();
    ns.apply({ op: "createPrefix", cidr: "10.0.0.0/24" });
    ns.apply({ op: "deletePrefix", cidr: "10.0.0.0/24" });
    ns.apply({ op: "createPrefix", cidr: "10.0.0.0/16" });
    ns.apply({ op: "acquireChildPrefix", cidr: "10.0.0.0/16", length: 0, childCidr: "10.0.0.0/24" });
    const order = ns.records().flatMap((r) => (r.kind === "prefix" ? [r.cidr] : []));
    expect(order).toEqual(["10.0.0.0/16", "10.0.0.0/24"]);
  });

  it("a parent filled with children of mixed sizes, released in random order", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("10.2.0.0/22", "2001:db8:5::/116", "10.0.0.0/28", "2001:db8::/126"),
        fc.array(fc.nat(1 << 20), { minLength: 1, maxLength: 60 }),
        fc.array(fc.nat(1 << 20), { maxLength: 60 }),
        (parent, lengths, releases) => {
          const ctx = newCtx();
          run(ctx, { op: "createPrefix", cidr: parent });
          const m = ctx.model.get(parent)!;
          for (const l of lengths) {
            run(ctx, { op: "acquireChildPrefix", cidr: parent, length: m.bits + 1 + (l % (bitLen(m.family) - m.bits)) });
            if (releases.length > 0 && l % 3 === 0 && m.children.size > 0) {
              const kids = [...m.children].sort();
              run(ctx, { op: "releaseChildPrefix", cidr: kids[releases.pop()! % kids.length] });
            }
          }
          checkAll(ctx);
          wipe(ctx);
          checkAll(ctx);
        },
      ),
      { numRuns: 60 },
    );
  }, 60_000);
});
