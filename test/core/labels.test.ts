// Labels (go-ipam #99) on prefixes and addresses: limits, listing with selectors, release by selector, and
// how they survive records, our dump and go-ipam's dump.
import { describe, expect, it } from "vitest";
import { Ipam, MAX_LABELS, Namespace } from "../../src/core";
import type { IpamRecord } from "../../src/core/types";
import { expectError } from "./helpers";

const OWNER_A = { owner: "pod-a" };
const OWNER_B = { owner: "pod-b", team: "net" };

function labelled(): Ipam {
  const ipam = new Ipam();
  ipam.newPrefix("10.0.0.0/24", { labels: { pool: "pods", zone: "eu-1" } });
  ipam.newPrefix("10.1.0.0/16", { labels: { pool: "nodes" } });
  ipam.acquireChildPrefix("10.1.0.0/16", 24, { labels: { pool: "nodes", rack: "r1" } });
  ipam.acquireIP("10.0.0.0/24", { labels: OWNER_A }); // .1
  ipam.acquireIP("10.0.0.0/24"); // .2, unlabelled
  ipam.acquireIPs("10.0.0.0/24", 3, { labels: OWNER_B }); // .3 .4 .5
  ipam.acquireSpecificIP("10.0.0.0/24", "10.0.0.9", { labels: OWNER_A });
  return ipam;
}

describe("labels on prefixes", () => {
  it("are answered by create, get and list, sorted by key", () => {
    const ipam = new Ipam();
    const created = ipam.newPrefix("10.0.0.0/24", { labels: { zone: "eu-1", pool: "pods" } });
    expect(created).toEqual({ cidr: "10.0.0.0/24", parentCidr: "", labels: { pool: "pods", zone: "eu-1" } });
    expect(Object.keys(created.labels!)).toEqual(["pool", "zone"]);
    expect(ipam.prefixFrom("10.0.0.0/24")).toEqual(created);
    expect(ipam.listPrefixes()).toEqual([created]);
  });

  it("an unlabelled prefix answers exactly as before: no labels field", () => {
    const ipam = new Ipam();
    expect(ipam.newPrefix("10.0.0.0/24", { labels: {} })).toStrictEqual({ cidr: "10.0.0.0/24", parentCidr: "" });
    expect(ipam.store.load("root")![0]).toStrictEqual({ kind: "prefix", cidr: "10.0.0.0/24", parentCidr: "" });
  });

  it("child prefixes carry their own labels (not the parent's)", () => {
    const ipam = labelled();
    expect(ipam.prefixFrom("10.1.0.0/24")).toEqual({ cidr: "10.1.0.0/24", parentCidr: "10.1.0.0/16", labels: { pool: "nodes", rack: "r1" } });
    expect(ipam.acquireChildPrefix("10.1.0.0/16", 24)).toStrictEqual({ cidr: "10.1.1.0/24", parentCidr: "10.1.0.0/16" });
  });

  it("ListPrefixes filters by equality on every key of the selector", () => {
    const ipam = labelled();
    const cidrs = (selector: Record<string, string>) => ipam.listPrefixes({ selector }).map((p) => p.cidr);
    expect(cidrs({ pool: "nodes" })).toEqual(["10.1.0.0/16", "10.1.0.0/24"]);
    expect(cidrs({ pool: "nodes", rack: "r1" })).toEqual(["10.1.0.0/24"]);
    expect(cidrs({ pool: "pods" })).toEqual(["10.0.0.0/24"]);
    expect(cidrs({ pool: "none" })).toEqual([]);
    expect(cidrs({ rack: "" })).toEqual([]);
    expect(cidrs({})).toEqual(["10.0.0.0/24", "10.1.0.0/16", "10.1.0.0/24"]); // an empty selector filters nothing
  });
});

describe("labels on addresses", () => {
  it("are answered by AcquireIP and AcquireIPs, and unlabelled ones stay as before", () => {
    const ipam = new Ipam();
    ipam.newPrefix("10.0.0.0/24");
    expect(ipam.acquireIP("10.0.0.0/24", { labels: OWNER_A })).toEqual({ ip: "10.0.0.1", parentPrefix: "10.0.0.0/24", labels: OWNER_A });
    expect(ipam.acquireIP("10.0.0.0/24")).toStrictEqual({ ip: "10.0.0.2", parentPrefix: "10.0.0.0/24" });
    expect(ipam.acquireIPs("10.0.0.0/24", 2, { labels: OWNER_B }).map((i) => [i.ip, i.labels])).toEqual([
      ["10.0.0.3", OWNER_B],
      ["10.0.0.4", OWNER_B],
    ]);
  });

  it("ListIPs lists every address; the entries carry the labelled ones with their labels", () => {
    const ipam = labelled();
    const all = ipam.listIPEntries("10.0.0.0/24");
    expect(all.ips).toEqual(["10.0.0.0", "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.9", "10.0.0.255"]);
    expect(all.labelled.map((e) => `${e.ip} ${JSON.stringify(e.labels)}`)).toEqual([
      `10.0.0.1 {"owner":"pod-a"}`,
      `10.0.0.3 {"owner":"pod-b","team":"net"}`,
      `10.0.0.4 {"owner":"pod-b","team":"net"}`,
      `10.0.0.5 {"owner":"pod-b","team":"net"}`,
      `10.0.0.9 {"owner":"pod-a"}`,
    ]);
    expect(ipam.listIPEntries("10.1.0.0/24")).toEqual({ ips: ["10.1.0.0", "10.1.0.255"], labelled: [] });
  });

  it("ListIPs filters by label", () => {
    const ipam = labelled();
    expect(ipam.listIPs("10.0.0.0/24", { selector: { owner: "pod-a" } })).toEqual(["10.0.0.1", "10.0.0.9"]);
    expect(ipam.listIPs("10.0.0.0/24", { selector: { team: "net" } })).toEqual(["10.0.0.3", "10.0.0.4", "10.0.0.5"]);
    expect(ipam.listIPs("10.0.0.0/24", { selector: { team: "net", owner: "pod-a" } })).toEqual([]);
    expect(ipam.listIPEntries("10.0.0.0/24", { selector: { owner: "pod-a" } }).labelled.map((e) => e.ip)).toEqual(["10.0.0.1", "10.0.0.9"]);
  });

  it("a released address forgets its labels; acquired again without labels it has none", () => {
    const ipam = labelled();
    expect(ipam.releaseIPFromPrefix("10.0.0.0/24", "10.0.0.1")).toEqual({ ip: "10.0.0.1", parentPrefix: "10.0.0.0/24", labels: OWNER_A });
    expect(ipam.acquireIP("10.0.0.0/24")).toStrictEqual({ ip: "10.0.0.1", parentPrefix: "10.0.0.0/24" });
    expect(ipam.listIPs("10.0.0.0/24", { selector: OWNER_A })).toEqual(["10.0.0.9"]);
  });

  it("release by selector frees exactly the matching addresses, in one prefix or the whole namespace", () => {
    const ipam = labelled();
    ipam.acquireIP("10.1.0.0/24", { labels: OWNER_A });
    const inPrefix = ipam.releaseIPsByLabel(OWNER_A, { prefixCidr: "10.0.0.0/24" });
    expect(inPrefix.map((i) => i.ip)).toEqual(["10.0.0.1", "10.0.0.9"]);
    expect(ipam.listIPs("10.1.0.0/24")).toEqual(["10.1.0.0", "10.1.0.1", "10.1.0.255"]);
    ipam.acquireIP("10.0.0.0/24", { labels: OWNER_A }); // .1 again
    const everywhere = ipam.releaseIPsByLabel(OWNER_A);
    expect(everywhere.map((i) => `${i.ip} ${i.parentPrefix}`)).toEqual(["10.0.0.1 10.0.0.0/24", "10.1.0.1 10.1.0.0/24"]);
    expect(ipam.listIPs("10.0.0.0/24")).toEqual(["10.0.0.0", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.255"]);
    expect(ipam.releaseIPsByLabel(OWNER_A)).toEqual([]); // nothing left: not an error
    expect(ipam.releaseIPsByLabel({ team: "net" }).map((i) => i.ip)).toEqual(["10.0.0.3", "10.0.0.4", "10.0.0.5"]);
  });

  it("release by selector needs a selector and an existing prefix", () => {
    const ipam = labelled();
    expectError(() => ipam.releaseIPsByLabel({}), "invalid label selector: it must name at least one label", "invalid_input");
    expectError(() => ipam.releaseIPsByLabel(OWNER_A, { prefixCidr: "10.9.0.0/24" }), /^NotFound: unable to find prefix for cidr:10.9.0.0\/24/, "prefix_not_found");
  });
});

describe("label limits", () => {
  const ipam = new Ipam();
  ipam.newPrefix("10.0.0.0/24");
  const acquire = (labels: Record<string, unknown>) => () => ipam.acquireIP("10.0.0.0/24", { labels: labels as Record<string, string> });

  it("keys: 1 to 63 letters, digits, '.', '_', '-', '/', starting and ending with a letter or digit", () => {
    for (const key of ["a", "A9", "app.kubernetes.io/name", "x_y-z", "k".repeat(63)]) expect(acquire({ [key]: "v" })().labels).toEqual({ [key]: "v" });
    expectError(acquire({ ["k".repeat(64)]: "v" }), `invalid labels: key "${"k".repeat(64)}" is 64 characters long, at most 63 are allowed`, "invalid_input");
    for (const key of ["", "a b", "-a", "a-", "__proto__", "ü", "a=b", "a,b"])
      expectError(
        acquire(JSON.parse(`{${JSON.stringify(key)}:"v"}`)),
        `invalid labels: key ${JSON.stringify(key)} must be letters, digits, '.', '_', '-' or '/', starting and ending with a letter or digit`,
        "invalid_input",
      );
  });

  it("values: strings of at most 255 characters, no control characters", () => {
    expect(acquire({ k: "" })().labels).toEqual({ k: "" });
    expect(acquire({ k: "ü".repeat(255) })().labels).toEqual({ k: "ü".repeat(255) });
    expect(acquire({ k: "😀".repeat(255) })().labels).toEqual({ k: "😀".repeat(255) }); // 510 UTF-16 units, 255 characters
    expectError(acquire({ k: "v".repeat(256) }), `invalid labels: the value of "k" is 256 characters long, at most 255 are allowed`, "invalid_input");
    expectError(acquire({ k: "a\nb" }), `invalid labels: the value of "k" holds a control character or a lone surrogate`, "invalid_input");
    expectError(acquire({ k: "\ud800" }), `invalid labels: the value of "k" holds a control character or a lone surrogate`, "invalid_input");
    expectError(acquire({ k: 5 }), `invalid labels: the value of "k" must be a string, got 5`, "invalid_input");
  });

  it(`at most ${MAX_LABELS} labels`, () => {
    const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, "v"]));
    expect(Object.keys(acquire(many(16))().labels!)).toHaveLength(16);
    expectError(acquire(many(17)), "invalid labels: 17 labels given, at most 16 are allowed", "invalid_input");
    expectError(() => ipam.listPrefixes({ selector: many(17) }), "invalid label selector: 17 labels given, at most 16 are allowed", "invalid_input");
  });

  it("labels must be a plain object", () => {
    const ns = new Namespace();
    ns.apply({ op: "createPrefix", cidr: "10.0.0.0/24" });
    for (const labels of [[["k", "v"]], "k=v", 5, new Date(0), new String("abc")])
      expectError(() => ns.apply({ op: "acquireIP", prefixCidr: "10.0.0.0/24", labels } as never), /^invalid labels: must be an object of strings, got /, "invalid_input");
  });

  it("a refused label changes nothing", () => {
    const before = ipam.listIPs("10.0.0.0/24");
    expectError(() => ipam.acquireIPs("10.0.0.0/24", 3, { labels: { "bad key": "v" } }), /^invalid labels/);
    expectError(() => ipam.newPrefix("10.9.0.0/24", { labels: { k: "\u0000" } }), /^invalid labels/);
    expect(ipam.listIPs("10.0.0.0/24")).toEqual(before);
    expect(ipam.listPrefixes().map((p) => p.cidr)).toEqual(["10.0.0.0/24"]);
  });
});

describe("labels persist", () => {
  it("as extra fields of the records, only where set", () => {
    const records = new Namespace();
    records.apply({ op: "createPrefix", cidr: "10.0.0.0/30", labels: { pool: "p" } });
    const { changes } = records.apply({ op: "acquireIPs", prefixCidr: "10.0.0.0/30", count: 2, labels: { owner: "a" } });
    expect(changes).toEqual([
      { op: "put", record: { kind: "ip", prefix: "10.0.0.0/30", ip: "10.0.0.1", labels: { owner: "a" } } },
      { op: "put", record: { kind: "ip", prefix: "10.0.0.0/30", ip: "10.0.0.2", labels: { owner: "a" } } },
    ]);
    expect(records.records()).toStrictEqual([
      { kind: "prefix", cidr: "10.0.0.0/30", parentCidr: "", labels: { pool: "p" } },
      { kind: "ip", prefix: "10.0.0.0/30", ip: "10.0.0.0" },
      { kind: "ip", prefix: "10.0.0.0/30", ip: "10.0.0.1", labels: { owner: "a" } },
      { kind: "ip", prefix: "10.0.0.0/30", ip: "10.0.0.2", labels: { owner: "a" } },
      { kind: "ip", prefix: "10.0.0.0/30", ip: "10.0.0.3" },
    ]);
  });

  it("a namespace rebuilt from its records, in any order, has the same labels", () => {
    const ipam = labelled();
    const records = ipam.store.load("root")!;
    for (const order of [records, [...records].reverse(), [...records.filter((r) => r.kind === "ip"), ...records.filter((r) => r.kind === "prefix")]]) {
      const rebuilt = new Ipam();
      const ns = Namespace.fromRecords(order as IpamRecord[]);
      expect(ns.records()).toEqual(Namespace.fromRecords(records).records());
      rebuilt.store.commit("root", ns.records().map((record) => ({ op: "put", record })));
      expect(new Ipam(rebuilt.store).listIPEntries("10.0.0.0/24")).toEqual(ipam.listIPEntries("10.0.0.0/24"));
    }
  });

  it("addresses acquired together share one labels object after a rebuild", () => {
    const ns = new Namespace();
    ns.apply({ op: "createPrefix", cidr: "10.0.0.0/24" });
    ns.apply({ op: "acquireIPs", prefixCidr: "10.0.0.0/24", count: 3, labels: { owner: "a" } });
    const rebuilt = Namespace.fromRecords(JSON.parse(JSON.stringify(ns.records())));
    const node = rebuilt.prefixes.get("10.0.0.0/24")!;
    expect(node.labelsAt(1)).toBe(node.labelsAt(3)); // IPv4 addresses are keyed by their offset
    expect(node.labelsAt(1)).toEqual({ owner: "a" });
  });

  it("bad labels in records are refused naming the record", () => {
    expectError(
      () => Namespace.fromRecords([{ kind: "prefix", cidr: "10.0.0.0/24", parentCidr: "", labels: { "a b": "x" } }]),
      /^invalid dump: prefix 10.0.0.0\/24: invalid labels: key "a b"/,
      "invalid_input",
    );
    expectError(
      () =>
        Namespace.fromRecords([
          { kind: "prefix", cidr: "10.0.0.0/24", parentCidr: "" },
          { kind: "ip", prefix: "10.0.0.0/24", ip: "10.0.0.1", labels: "x" as never },
        ]),
      /^invalid dump: ip 10.0.0.1 of prefix 10.0.0.0\/24: invalid labels: must be an object/,
    );
  });

  it("in our dump format: labels, reservation and ipLabels, only where set", () => {
    const ipam = labelled();
    const dump = JSON.parse(ipam.dump());
    expect(dump.prefixes[0]).toEqual({
      cidr: "10.0.0.0/24",
      parentCidr: "",
      ips: ["10.0.0.0", "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.9", "10.0.0.255"],
      labels: { pool: "pods", zone: "eu-1" },
      ipLabels: { "10.0.0.1": OWNER_A, "10.0.0.3": OWNER_B, "10.0.0.4": OWNER_B, "10.0.0.5": OWNER_B, "10.0.0.9": OWNER_A },
    });
    const copy = new Ipam();
    copy.load(ipam.dump());
    expect(copy.dump()).toBe(ipam.dump());
    expect(copy.listIPEntries("10.0.0.0/24")).toEqual(ipam.listIPEntries("10.0.0.0/24"));
  });

  it("in go-ipam's dump format as extra fields after Version, which a plain go-ipam dump does without", () => {
    const ipam = labelled();
    const go = JSON.parse(ipam.exportGoIpam());
    expect(Object.keys(go[0])).toEqual(["Cidr", "ParentCidr", "Namespace", "AvailableChildPrefixes", "ChildPrefixLength", "IsParent", "IPs", "Version", "Labels", "IPLabels"]);
    expect(go[0].IPLabels).toEqual({ "10.0.0.1": OWNER_A, "10.0.0.3": OWNER_B, "10.0.0.4": OWNER_B, "10.0.0.5": OWNER_B, "10.0.0.9": OWNER_A });
    expect(Object.keys(go[1])).toEqual(["Cidr", "ParentCidr", "Namespace", "AvailableChildPrefixes", "ChildPrefixLength", "IsParent", "IPs", "Version", "Labels"]);
    const copy = new Ipam();
    copy.importGoIpam(ipam.exportGoIpam());
    expect(copy.dump()).toBe(ipam.dump());
    // What go-ipam itself would write back: the same without our fields, which loads as unlabelled.
    const plain = go.map(({ Labels: _l, IPLabels: _i, ...rest }: Record<string, unknown>) => rest);
    const unlabelled = new Ipam();
    unlabelled.importGoIpam(JSON.stringify(plain));
    expect(unlabelled.listIPEntries("10.0.0.0/24").labelled).toEqual([]);
    expect(unlabelled.listIPs("10.0.0.0/24")).toEqual(ipam.listIPs("10.0.0.0/24"));
  });

  it("IPLabels keys are canonicalised on import; labels for an address not held are refused", () => {
    const doc = [{ Cidr: "2001:db8::/120", ParentCidr: "", IPs: { "2001:db8::": true, "2001:db8::a": true }, IPLabels: { "2001:0db8::000a": { o: "x" } } }];
    const ipam = new Ipam();
    ipam.importGoIpam(JSON.stringify(doc));
    expect(ipam.listIPEntries("2001:db8::/120").labelled).toEqual([{ ip: "2001:db8::a", parentPrefix: "2001:db8::/120", labels: { o: "x" } }]);
    expectError(
      () => new Ipam().importGoIpam(JSON.stringify([{ ...doc[0], IPLabels: { "2001:db8::b": { o: "x" } } }])),
      "invalid dump: element 0: labels given for ip 2001:db8::b, which the prefix does not hold",
    );
  });
});
