// Paging: the run structures' "from" walks against a model, ListIPs pages (keyset, stable under changes, with
// labels and selectors), paged dumps that reload with `append`, and the one-message limits.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AddressSet } from "../../src/core/address-set";
import { Ipam, IpamError, ONE_MESSAGE_MAX_ADDRESSES } from "../../src/core";
import { RunSet } from "../../src/core/run-set";
import type { DumpCursor, DumpPage, IPList } from "../../src/core/types";
import { expectError } from "./helpers";

const sortBig = (xs: Iterable<bigint>) => [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

describe("walking runs from an offset", () => {
  for (const [name, span, maxRuns] of [
    ["number offsets", 2 ** 20, 4],
    ["bigint offsets", 1n << 60n, 4],
    ["sparse bigint offsets", 1n << 80n, 4],
    ["number offsets, big chunks", 2 ** 32, 512],
  ] as const) {
    it(`${name}: the runs ending at or after the offset, in order, stopping when asked`, () => {
      const big = typeof span === "bigint";
      const n = BigInt(span);
      // points near the edges and the middle, so runs form, join and split
      const points = [0n, 1n, 2n, 3n, n / 2n - 1n, n / 2n, n / 2n + 1n, n / 2n + 3n, n - 3n, n - 2n, n - 1n];
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(points.length - 1)), { maxLength: 40 }), fc.nat(points.length - 1), fc.nat(5), (ops, at, stopAfter) => {
          const set = new AddressSet<number | bigint>(big ? span : Number(span), maxRuns) as AddressSet<number | bigint>;
          const model = new Set<bigint>();
          for (const [add, i] of ops) {
            const x = big ? points[i] : Number(points[i]);
            if (add) {
              set.add(x);
              model.add(points[i]);
            } else {
              set.delete(x);
              model.delete(points[i]);
            }
          }
          const all: [bigint, bigint][] = [];
          set.forEachRun((s, e) => all.push([BigInt(s), BigInt(e)]));
          const from = points[at];
          const want = all.filter(([, e]) => e >= from).slice(0, stopAfter + 1);
          const got: [bigint, bigint][] = [];
          set.forEachRunFrom(big ? from : Number(from), (s, e) => {
            got.push([BigInt(s), BigInt(e)]);
            return got.length <= stopAfter;
          });
          expect(got).toEqual(want);
        }),
        { numRuns: 300 },
      );
    });
  }

  it("RunSet: every held address from a given one, in order", () => {
    const first = 0x20010db8n << 96n;
    for (const last of [first + 1000n, first + (1n << 64n) - 1n]) {
      const set = new RunSet(first, last);
      const held = [first, first + 1n, first + 2n, first + 500n, first + 501n, last - 1n, last];
      for (const x of held) set.add(x);
      const seen: bigint[] = [];
      set.forEachFrom(first + 2n, (x) => (seen.push(x), seen.length < 4));
      expect(seen).toEqual([first + 2n, first + 500n, first + 501n, last - 1n]);
      const tail: bigint[] = [];
      set.forEachFrom(first - 5n, (x) => (tail.push(x), true));
      expect(tail).toEqual(held);
    }
  });
});

/** Every page of a listing, following its cursors. */
function allPages(list: (after: string | undefined) => IPList): IPList[] {
  const pages: IPList[] = [];
  let after: string | undefined;
  do {
    const page = list(after);
    pages.push(page);
    after = page.next;
  } while (after !== undefined);
  return pages;
}

describe("ListIPs pages", () => {
  const listPage = (ipam: Ipam, prefixCidr: string, pageSize: number, after?: string, selector?: Record<string, string>) =>
    ipam.run({ op: "listIPEntries", prefixCidr, pageSize, ...(after === undefined ? {} : { after }), ...(selector === undefined ? {} : { selector }) });

  for (const cidr of ["10.0.0.0/22", "2001:db8::/64", "2001:db8::/40"]) {
    it(`${cidr}: pages in address order add up to the unpaged listing, for any page size`, () => {
      const ipam = new Ipam();
      ipam.newPrefix(cidr);
      for (let i = 0; i < 300; i++) ipam.acquireIP(cidr);
      const held = ipam.listIPs(cidr);
      for (const ip of held.filter((_, i) => i % 7 === 3)) ipam.releaseIPFromPrefix(cidr, ip);
      const unpaged = ipam.listIPs(cidr);
      for (const size of [1, 2, 13, 100, 299, 1000]) {
        const pages = allPages((after) => listPage(ipam, cidr, size, after));
        expect(pages.flatMap((p) => p.ips)).toEqual(unpaged);
        expect(pages.every((p) => p.ips.length <= size)).toBe(true);
        expect(pages.length).toBe(Math.max(1, Math.ceil(unpaged.length / size)));
      }
    });
  }

  it("a page goes on after its token's address, whatever was acquired or released before it", () => {
    const ipam = new Ipam();
    ipam.newPrefix("10.0.0.0/24");
    for (let i = 0; i < 20; i++) ipam.acquireIP("10.0.0.0/24");
    const first = listPage(ipam, "10.0.0.0/24", 5);
    expect(first.ips).toEqual(["10.0.0.0", "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]);
    expect(first.next).toBe("10.0.0.4");
    ipam.releaseIPFromPrefix("10.0.0.0/24", "10.0.0.4"); // the token's own address goes
    ipam.releaseIPFromPrefix("10.0.0.0/24", "10.0.0.2");
    ipam.releaseIPFromPrefix("10.0.0.0/24", "10.0.0.6");
    const second = listPage(ipam, "10.0.0.0/24", 5, first.next);
    expect(second.ips).toEqual(["10.0.0.5", "10.0.0.7", "10.0.0.8", "10.0.0.9", "10.0.0.10"]);
  });

  it("carries the labels of the page's labelled addresses; a selector pages over the matching ones", () => {
    const ipam = new Ipam();
    ipam.newPrefix("10.0.0.0/24");
    for (let i = 1; i <= 30; i++) ipam.acquireIP("10.0.0.0/24", { labels: { rack: i % 3 === 0 ? "a" : "b" } });
    const page = listPage(ipam, "10.0.0.0/24", 4, "10.0.0.2");
    expect(page.ips).toEqual(["10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6"]);
    expect(page.labelled.map((e) => [e.ip, e.labels?.rack])).toEqual([["10.0.0.3", "a"], ["10.0.0.4", "b"], ["10.0.0.5", "b"], ["10.0.0.6", "a"]]);
    const rackA = allPages((after) => listPage(ipam, "10.0.0.0/24", 3, after, { rack: "a" }));
    expect(rackA.flatMap((p) => p.ips)).toEqual(Array.from({ length: 10 }, (_, i) => `10.0.0.${(i + 1) * 3}`));
    expect(rackA.length).toBe(4);
  });

  it("a selector's pages see addresses labelled or released since the last page", () => {
    const ipam = new Ipam();
    ipam.newPrefix("10.0.0.0/24");
    for (let i = 1; i <= 10; i++) ipam.acquireIP("10.0.0.0/24", { labels: { rack: "a" } });
    const first = listPage(ipam, "10.0.0.0/24", 4, undefined, { rack: "a" });
    expect(first.ips).toEqual(["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]);
    ipam.releaseIPFromPrefix("10.0.0.0/24", "10.0.0.5");
    ipam.acquireSpecificIP("10.0.0.0/24", "10.0.0.200", { labels: { rack: "a" } });
    const rest = allPages((after) => listPage(ipam, "10.0.0.0/24", 4, after ?? first.next, { rack: "a" }));
    expect(rest.flatMap((p) => p.ips)).toEqual(["10.0.0.6", "10.0.0.7", "10.0.0.8", "10.0.0.9", "10.0.0.10", "10.0.0.200"]);
  });

  it("refuses page sizes out of range and cursors outside the prefix, naming them", () => {
    const ipam = new Ipam();
    ipam.newPrefix("10.0.0.0/24");
    expectError(() => listPage(ipam, "10.0.0.0/24", 0), "page_size must be from 1 to 100000, got 0", "invalid_input");
    expectError(() => listPage(ipam, "10.0.0.0/24", 100_001), "page_size must be from 1 to 100000, got 100001", "invalid_input");
    expectError(() => listPage(ipam, "10.0.0.0/24", 10, "10.0.1.1"), "invalid page_token: address 10.0.1.1 is not in prefix 10.0.0.0/24", "invalid_input");
    expectError(() => listPage(ipam, "10.0.0.0/24", 10, "2001:db8::1"), /invalid page_token: address 2001:db8::1 is not in prefix/, "invalid_input");
    expectError(() => listPage(ipam, "10.0.0.0/24", 10, "nonsense"), /^invalid page_token: address nonsense: /, "invalid_input");
  });
});

describe("one-message limits", () => {
  it("an unpaged ListIPs or Dump of too many addresses is refused, pointing to paging", () => {
    const ipam = new Ipam();
    ipam.newPrefix("10.0.0.0/8");
    ipam.run({ op: "acquireIPs", prefixCidr: "10.0.0.0/8", count: 4096 });
    expect(ipam.listIPs("10.0.0.0/8").length).toBe(4098);
    // grow past the limit in bulk
    while (ipam.run({ op: "prefixUsage", cidr: "10.0.0.0/8" }).acquiredIPs <= ONE_MESSAGE_MAX_ADDRESSES)
      ipam.run({ op: "acquireIPs", prefixCidr: "10.0.0.0/8", count: 4096 });
    const err = expectError(() => ipam.listIPs("10.0.0.0/8"), /^prefix 10\.0\.0\.0\/8 holds \d+ addresses, more than the 200000 one message may carry: list its ips in pages with page_size/);
    expect(err.kind).toBe("too_large");
    expectError(() => ipam.exportGoIpam(), /^the namespace holds \d+ addresses, more than the 200000 one message may carry: dump it in pages with page_size/, "too_large");
    expectError(() => ipam.run({ op: "dump" }), /one message may carry/, "too_large");
    expect(listPageCount(ipam)).toBeGreaterThan(2);
  });
});

const listPageCount = (ipam: Ipam) => allPages((after) => ipam.run({ op: "listIPEntries", prefixCidr: "10.0.0.0/8", pageSize: 100_000, ...(after ? { after } : {}) })).length;

/** A namespace with a bit of everything: nested children, labels, reservation none, IPv6. */
function sample(): Ipam {
  const ipam = new Ipam();
  ipam.newPrefix("10.0.0.0/16", { labels: { site: "ams" } });
  const child = ipam.acquireChildPrefix("10.0.0.0/16", 24).cidr;
  const grandchild = ipam.acquireChildPrefix(child, 26).cidr;
  for (let i = 0; i < 40; i++) ipam.acquireIP(grandchild, i % 4 === 0 ? { labels: { role: `r${i}` } } : {});
  ipam.newPrefix("10.1.0.0/30", { reservation: "none" });
  ipam.acquireIP("10.1.0.0/30");
  ipam.newPrefix("192.168.0.0/24");
  ipam.newPrefix("2001:db8::/64");
  for (let i = 0; i < 25; i++) ipam.acquireIP("2001:db8::/64");
  return ipam;
}

function dumpPages(ipam: Ipam, pageSize: number): DumpPage[] {
  const pages: DumpPage[] = [];
  let after: DumpCursor | undefined;
  do {
    const page = ipam.run({ op: "dumpPage", pageSize, ...(after === undefined ? {} : { after }) });
    pages.push(page);
    after = page.next;
  } while (after !== undefined);
  return pages;
}

describe("paged dumps", () => {
  for (const size of [1, 2, 7, 50, 1000]) {
    it(`pages of ${size} load back with append into the same namespace`, () => {
      const source = sample();
      const pages = dumpPages(source, size);
      for (const p of pages) {
        const doc = JSON.parse(p.dump);
        expect(doc.format).toBe("edge-ipam/v1");
        const records = doc.prefixes.reduce((n: number, q: { ips: string[] }) => n + 1 + q.ips.length, 0);
        expect(records).toBeLessThanOrEqual(Math.max(size, 2));
      }
      const target = new Ipam();
      for (const p of pages) target.run({ op: "load", dump: p.dump, append: true });
      expect(target.run({ op: "dump" })).toBe(source.run({ op: "dump" }));
      // every page again: all of it is held already, so nothing changes
      for (const p of pages) target.run({ op: "load", dump: p.dump, append: true });
      expect(target.run({ op: "dump" })).toBe(source.run({ op: "dump" }));
    });
  }

  it("a cursor whose prefix is gone goes on at the next prefix", () => {
    const ipam = sample();
    const first = ipam.run({ op: "dumpPage", pageSize: 1 });
    expect(first.next).toEqual({ prefix: "10.0.0.0/16", ip: "10.0.0.0" });
    const page = ipam.run({ op: "dumpPage", pageSize: 3, after: { prefix: "10.0.5.0/24" } });
    expect(JSON.parse(page.dump).prefixes[0].cidr).toBe("10.1.0.0/30");
    expectError(() => ipam.run({ op: "dumpPage", pageSize: 3, after: { prefix: "10.0.0.1/16" } }), "invalid page_token: prefix 10.0.0.1/16 is not canonical", "invalid_input");
    expectError(() => ipam.run({ op: "dumpPage", pageSize: 3, after: { prefix: "10.0.0.0/16", ip: "10.9.0.1" } }), "invalid page_token: its address is not in prefix 10.0.0.0/16", "invalid_input");
  });

  it("append refuses what contradicts the namespace, and leaves it as it was", () => {
    const ipam = sample();
    const before = ipam.run({ op: "dump" });
    const part = (prefixes: unknown[]) => JSON.stringify({ format: "edge-ipam/v1", prefixes });
    const refusals: [unknown[], RegExp][] = [
      [[{ cidr: "10.0.0.0/16", parentCidr: "", ips: [] }], /prefix 10\.0\.0\.0\/16 exists already with another parent, labels or reservation/],
      [[{ cidr: "10.1.0.0/30", parentCidr: "", ips: ["10.1.0.0"], ipLabels: { "10.1.0.0": { x: "y" } }, reservation: "none" }], /ip 10\.1\.0\.0 of prefix 10\.1\.0\.0\/30 is acquired already with other labels/],
      [[{ cidr: "192.168.0.0/24", parentCidr: "", ips: ["192.168.0.0", "192.168.0.7", "192.168.0.255"] }, { cidr: "10.0.0.0/8", parentCidr: "", ips: [] }], /overlap/],
      [[{ cidr: "192.168.0.0/24", parentCidr: "", ips: ["192.168.0.0", "192.168.0.9", "192.168.0.255"] }, { cidr: "192.168.0.128/25", parentCidr: "192.168.0.0/24", ips: [] }], /holds both ips and child prefixes/],
      [[{ cidr: "172.16.0.0/24", parentCidr: "", ips: ["172.16.0.0", "172.17.0.1"] }], /is not in its prefix/],
    ];
    for (const [prefixes, message] of refusals) {
      const err = expectError(() => ipam.run({ op: "load", dump: part(prefixes), append: true }), message, "invalid_input");
      expect(err.message.startsWith("invalid dump: ") || /overlap/.test(err.message)).toBe(true);
      // the library rebuilds a half-changed namespace from its store
      expect(ipam.run({ op: "dump" })).toBe(before);
    }
  });

  it("marks a refusal that came after records were added as half applied", () => {
    const ipam = new Ipam();
    const dump = JSON.stringify({ format: "edge-ipam/v1", prefixes: [{ cidr: "10.0.0.0/24", parentCidr: "", ips: ["10.0.0.0", "10.1.0.0"] }] });
    let caught: unknown;
    try {
      ipam.run({ op: "load", dump, append: true });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(IpamError);
    expect((caught as IpamError).halfApplied).toBe(true);
    expect(ipam.listPrefixes()).toEqual([]);
  });
});
