// Layer 5 on its own: requests to commands, results to responses, failures to Connect codes, authorisation.
// Runs over an in-memory Connect transport against a fake backend, so it needs no Durable Object.
import { Code, ConnectError, createClient, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import type { Command } from "../../src/core/types";
import { ERROR_KINDS } from "../../src/core/errors";
import { SERVER_ERROR_KINDS } from "../../src/server/errors";
import type { OutcomeKind } from "../../src/server/outcome";
import { IpamService, Reservation } from "../../src/gen/api/v1/ipam_pb";
import {
  type Access,
  type CallRecord,
  codeFor,
  createIpamService,
  FULL_ACCESS,
  type IpamBackend,
  kAccess,
  kBackend,
  kCall,
  kVersion,
  type Outcome,
  type RpcName,
} from "../../src/service/index";

type Reply = Outcome<unknown>;

class FakeBackend implements IpamBackend {
  calls: { namespace?: string; cmd?: Command; op: string; name?: string }[] = [];
  reply: Reply = { ok: true, result: null };
  namespaces = ["root", "a", "b"];
  async runCommand(namespace: string, cmd: Command): Promise<Reply> {
    this.calls.push({ op: "run", namespace, cmd });
    return this.reply;
  }
  async createNamespace(name: string): Promise<Outcome<null>> {
    this.calls.push({ op: "create", name });
    return this.reply as Outcome<null>;
  }
  async deleteNamespace(name: string): Promise<Outcome<null>> {
    this.calls.push({ op: "delete", name });
    return this.reply as Outcome<null>;
  }
  async listNamespaces(): Promise<Outcome<string[]>> {
    this.calls.push({ op: "list" });
    return this.reply.ok ? { ok: true, result: this.namespaces } : this.reply;
  }
}

function setup(access: Access = FULL_ACCESS) {
  const backend = new FakeBackend();
  const call: CallRecord = {};
  const inject: Interceptor = (next) => (req) => {
    req.contextValues.set(kBackend, backend).set(kAccess, access).set(kCall, call).set(kVersion, { version: "9.9.9", revision: "abc123" });
    return next(req);
  };
  const transport = createRouterTransport(({ service }) => service(IpamService, createIpamService()), {
    router: { interceptors: [inject] },
  });
  return { backend, call, client: createClient(IpamService, transport) };
}

async function codeOf(p: Promise<unknown>): Promise<{ code: Code; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = ConnectError.from(e);
    return { code: err.code, message: err.rawMessage };
  }
  throw new Error("expected an error");
}

const kinds: OutcomeKind[] = [...ERROR_KINDS, ...SERVER_ERROR_KINDS];
const L4 = [Code.Internal, Code.Unavailable, Code.Aborted, Code.DeadlineExceeded, Code.ResourceExhausted, Code.FailedPrecondition];

describe("codeFor", () => {
  const I = Code.InvalidArgument, N = Code.NotFound, R = Code.ResourceExhausted;
  // Per RPC, the code of each kind in the order of `kinds`.
  const table: Record<RpcName, Code[]> = {
    CreatePrefix: [I, N, N, N, I, I, I, I, I, R, ...L4],
    DeletePrefix: [I, N, N, N, I, I, I, I, I, R, ...L4],
    GetPrefix: [I, N, N, N, I, I, I, I, I, R, ...L4],
    ListPrefixes: [I, N, N, N, I, I, I, I, I, R, ...L4],
    PrefixUsage: [I, N, N, N, I, I, I, I, I, R, ...L4],
    ReleaseChildPrefix: [I, N, N, N, I, I, I, I, I, R, ...L4],
    ReleaseIP: [I, N, N, N, I, I, I, I, I, R, ...L4],
    ListIPs: [I, N, N, N, I, I, I, I, I, R, ...L4],
    ReleaseIPs: [I, N, N, N, I, I, I, I, I, R, ...L4],
    ReleaseChildPrefixes: [I, N, N, N, I, I, I, I, I, R, ...L4],
    Dump: [I, N, N, N, I, I, I, I, I, R, ...L4],
    Load: [I, N, N, N, I, I, I, I, I, R, ...L4],
    AcquireIP: [I, I, N, I, N, Code.AlreadyExists, I, I, I, R, ...L4],
    AcquireIPs: [I, I, N, I, N, Code.AlreadyExists, I, I, I, R, ...L4],
    AcquireChildPrefix: [I, I, N, I, I, I, I, I, I, R, ...L4],
    AcquireChildPrefixes: [I, I, N, I, I, I, I, I, I, R, ...L4],
    CreateNamespace: [I, I, N, I, I, I, I, I, Code.AlreadyExists, R, ...L4],
    DeleteNamespace: [I, I, N, I, I, I, I, I, Code.FailedPrecondition, R, ...L4],
    ListNamespaces: [I, Code.Internal, N, Code.Internal, Code.Internal, Code.Internal, Code.Internal, Code.Internal, Code.Internal, R, ...L4],
    Version: [I, Code.Internal, N, Code.Internal, Code.Internal, Code.Internal, Code.Internal, Code.Internal, Code.Internal, R, ...L4],
    PrefixesOverlapping: [I, Code.Internal, N, Code.Internal, Code.Internal, Code.Internal, Code.Internal, Code.Internal, Code.Internal, R, ...L4],
  };
  for (const [rpc, codes] of Object.entries(table) as [RpcName, Code[]][]) {
    it(rpc, () => {
      expect(kinds.map((k) => Code[codeFor(rpc, k)])).toEqual(codes.map((c) => Code[c]));
    });
  }
});

describe("requests become commands", () => {
  it("maps every prefix/IP RPC, defaulting the namespace to root", async () => {
    const { backend, client } = setup();
    backend.reply = { ok: true, result: { cidr: "10.0.0.0/8", parentCidr: "" } };
    await client.createPrefix({ cidr: "10.0.0.0/8" });
    await client.deletePrefix({ cidr: "10.0.0.0/8", namespace: "" });
    await client.getPrefix({ cidr: "10.0.0.0/8", namespace: "a" });
    await client.acquireChildPrefix({ cidr: "10.0.0.0/8", length: 16 });
    await client.acquireChildPrefix({ cidr: "10.0.0.0/8", length: 200 - 100, childCidr: "10.1.0.0/16" });
    await client.releaseChildPrefix({ cidr: "10.1.0.0/16" });
    backend.reply = { ok: true, result: { ip: "10.0.0.1", parentPrefix: "10.0.0.0/8" } };
    await client.acquireIP({ prefixCidr: "10.0.0.0/8" });
    await client.acquireIP({ prefixCidr: "10.0.0.0/8", ip: "" });
    await client.acquireIP({ prefixCidr: "10.0.0.0/8", ip: "10.0.0.7", namespace: "b" });
    await client.releaseIP({ prefixCidr: "10.0.0.0/8", ip: "10.0.0.7" });
    backend.reply = { ok: true, result: [] };
    await client.listPrefixes({});
    backend.reply = { ok: true, result: { ips: [], labelled: [] } };
    await client.listIPs({ prefixCidr: "10.0.0.0/8" });
    backend.reply = { ok: true, result: "[]" };
    await client.dump({ namespace: "a" });
    backend.reply = { ok: true, result: null };
    await client.load({ dump: "[]" });
    expect(backend.calls).toEqual([
      { op: "run", namespace: "root", cmd: { op: "createPrefix", cidr: "10.0.0.0/8" } },
      { op: "run", namespace: "root", cmd: { op: "deletePrefix", cidr: "10.0.0.0/8" } },
      { op: "run", namespace: "a", cmd: { op: "getPrefix", cidr: "10.0.0.0/8" } },
      { op: "run", namespace: "root", cmd: { op: "acquireChildPrefix", cidr: "10.0.0.0/8", length: 16 } },
      { op: "run", namespace: "root", cmd: { op: "acquireChildPrefix", cidr: "10.0.0.0/8", length: 100, childCidr: "10.1.0.0/16" } },
      { op: "run", namespace: "root", cmd: { op: "releaseChildPrefix", cidr: "10.1.0.0/16" } },
      { op: "run", namespace: "root", cmd: { op: "acquireIP", prefixCidr: "10.0.0.0/8" } },
      { op: "run", namespace: "root", cmd: { op: "acquireIP", prefixCidr: "10.0.0.0/8" } },
      { op: "run", namespace: "b", cmd: { op: "acquireIP", prefixCidr: "10.0.0.0/8", ip: "10.0.0.7" } },
      { op: "run", namespace: "root", cmd: { op: "releaseIP", prefixCidr: "10.0.0.0/8", ip: "10.0.0.7" } },
      { op: "run", namespace: "root", cmd: { op: "listPrefixes" } },
      { op: "run", namespace: "root", cmd: { op: "listIPEntries", prefixCidr: "10.0.0.0/8" } },
      { op: "run", namespace: "a", cmd: { op: "exportGoIpam" } },
      { op: "run", namespace: "root", cmd: { op: "importGoIpam", dump: "[]" } },
    ]);
  });

  it("refuses a length over 128 before the core sees it, even with a specific child", async () => {
    const { backend, client } = setup();
    for (const req of [{ cidr: "10.0.0.0/8", length: 129 }, { cidr: "10.0.0.0/8", length: 4294967295, childCidr: "10.1.0.0/16" }]) {
      expect(await codeOf(client.acquireChildPrefix(req))).toEqual({
        code: Code.InvalidArgument,
        message: "length must not be greater than 128",
      });
    }
    expect(backend.calls).toEqual([]);
  });

  it("refuses invalid namespace names with invalid_argument naming them", async () => {
    const { backend, client } = setup();
    for (const namespace of ["a b", "x".repeat(1000), "ümlaut", "\u0000"]) {
      const r = await codeOf(client.listPrefixes({ namespace }));
      expect(r.code).toBe(Code.InvalidArgument);
    }
    expect((await codeOf(client.createNamespace({ namespace: "" }))).code).toBe(Code.InvalidArgument);
    expect(backend.calls).toEqual([]);
  });

  it("maps results to responses (uint64 as bigint)", async () => {
    const { backend, client } = setup();
    backend.reply = {
      ok: true,
      result: {
        availableIPs: 18446744073709551615n,
        acquiredIPs: 2n,
        availableSmallestPrefixes: 64n,
        availablePrefixes: ["10.0.0.0/24"],
        acquiredPrefixes: 0n,
      },
    };
    const u = await client.prefixUsage({ cidr: "10.0.0.0/24" });
    expect([u.availableIps, u.acquiredIps, u.availableSmallestPrefixes, u.availablePrefixes, u.acquiredPrefixes]).toEqual([
      18446744073709551615n, 2n, 64n, ["10.0.0.0/24"], 0n,
    ]);
    backend.reply = { ok: true, result: [{ cidr: "10.0.0.0/24", parentCidr: "" }, { cidr: "10.0.0.0/26", parentCidr: "10.0.0.0/24" }] };
    const l = await client.listPrefixes({});
    expect(l.prefixes.map((p) => [p.cidr, p.parentCidr])).toEqual([["10.0.0.0/24", ""], ["10.0.0.0/26", "10.0.0.0/24"]]);
    backend.reply = { ok: true, result: { ips: ["10.0.0.0", "10.0.0.255"], labelled: [] } };
    expect((await client.listIPs({ prefixCidr: "10.0.0.0/24" })).ips).toEqual(["10.0.0.0", "10.0.0.255"]);
    backend.reply = { ok: true, result: { ip: "2001:db8::a", parentPrefix: "2001:db8::/64" } };
    const rel = await client.releaseIP({ prefixCidr: "2001:db8::/64", ip: "2001:0db8::0a" });
    expect([rel.ip?.ip, rel.ip?.parentPrefix]).toEqual(["2001:db8::a", "2001:db8::/64"]);
    const v = await client.version({});
    expect([v.version, v.revision, v.gitSha1]).toEqual(["9.9.9", "abc123", "abc123"]);
  });
});

describe("labels, reservation, bulk calls and overlap checks", () => {
  it("map to commands, with labels and reservation only where given", async () => {
    const { backend, client } = setup();
    backend.reply = { ok: true, result: { cidr: "10.0.0.0/8", parentCidr: "" } };
    await client.createPrefix({ cidr: "10.0.0.0/8", labels: { pool: "a" }, reservation: Reservation.NONE });
    await client.createPrefix({ cidr: "10.0.0.0/8", labels: {}, reservation: Reservation.UNSPECIFIED });
    await client.acquireChildPrefix({ cidr: "10.0.0.0/8", length: 24, labels: { k: "v" }, reservation: Reservation.NONE });
    backend.reply = { ok: true, result: { ip: "10.0.0.1", parentPrefix: "10.0.0.0/8" } };
    await client.acquireIP({ prefixCidr: "10.0.0.0/8", labels: { owner: "x" } });
    backend.reply = { ok: true, result: [] };
    await client.listPrefixes({ labelSelector: { pool: "a" }, overlappingCidr: "10.0.0.0/16" });
    await client.listPrefixes({ overlappingCidr: "" });
    await client.acquireIPs({ prefixCidr: "10.0.0.0/8", count: 3, labels: { owner: "x" } });
    await client.releaseIPs({ prefixCidr: "10.0.0.0/8", ips: ["10.0.0.1", "10.0.0.2"] });
    await client.releaseIPs({ labelSelector: { owner: "x" }, namespace: "a" });
    await client.releaseIPs({ prefixCidr: "10.0.0.0/8", labelSelector: { owner: "x" } });
    await client.acquireChildPrefixes({ cidr: "10.0.0.0/8", length: 24, count: 2, reservation: Reservation.NONE });
    await client.releaseChildPrefixes({ cidrs: ["10.0.0.0/24"] });
    backend.reply = { ok: true, result: { ips: [], labelled: [] } };
    await client.listIPs({ prefixCidr: "10.0.0.0/8", labelSelector: { owner: "x" } });
    expect(backend.calls.map((c) => c.cmd)).toEqual([
      { op: "createPrefix", cidr: "10.0.0.0/8", labels: { pool: "a" }, reservation: "none" },
      { op: "createPrefix", cidr: "10.0.0.0/8" },
      { op: "acquireChildPrefix", cidr: "10.0.0.0/8", length: 24, labels: { k: "v" }, reservation: "none" },
      { op: "acquireIP", prefixCidr: "10.0.0.0/8", labels: { owner: "x" } },
      { op: "listPrefixes", selector: { pool: "a" }, overlapping: "10.0.0.0/16" },
      { op: "listPrefixes" },
      { op: "acquireIPs", prefixCidr: "10.0.0.0/8", count: 3, labels: { owner: "x" } },
      { op: "releaseIPs", prefixCidr: "10.0.0.0/8", ips: ["10.0.0.1", "10.0.0.2"] },
      { op: "releaseIPsByLabel", selector: { owner: "x" } },
      { op: "releaseIPsByLabel", prefixCidr: "10.0.0.0/8", selector: { owner: "x" } },
      { op: "acquireChildPrefixes", cidr: "10.0.0.0/8", length: 24, count: 2, reservation: "none" },
      { op: "releaseChildPrefixes", cidrs: ["10.0.0.0/24"] },
      { op: "listIPEntries", prefixCidr: "10.0.0.0/8", selector: { owner: "x" } },
    ]);
    expect(backend.calls[8].namespace).toBe("a");
  });

  it("answer labels and reservation, and nothing more when there are none", async () => {
    const { backend, client } = setup();
    backend.reply = { ok: true, result: { cidr: "10.0.0.0/31", parentCidr: "", labels: { link: "p2p" }, reservation: "none" } };
    const p = (await client.getPrefix({ cidr: "10.0.0.0/31" })).prefix!;
    expect([p.labels, p.reservation]).toEqual([{ link: "p2p" }, Reservation.NONE]);
    backend.reply = { ok: true, result: { cidr: "10.0.0.0/24", parentCidr: "" } };
    const plain = (await client.getPrefix({ cidr: "10.0.0.0/24" })).prefix!;
    expect([plain.labels, plain.reservation]).toEqual([{}, Reservation.UNSPECIFIED]);
    backend.reply = {
      ok: true,
      result: { ips: ["10.0.0.0", "10.0.0.1", "10.0.0.2"], labelled: [{ ip: "10.0.0.1", parentPrefix: "10.0.0.0/24", labels: { owner: "x" } }] },
    };
    const list = await client.listIPs({ prefixCidr: "10.0.0.0/24" });
    expect(list.ips).toEqual(["10.0.0.0", "10.0.0.1", "10.0.0.2"]);
    expect(list.labelledIps.map((i) => [i.ip, i.parentPrefix, i.labels])).toEqual([["10.0.0.1", "10.0.0.0/24", { owner: "x" }]]);
    backend.reply = { ok: true, result: [{ ip: "10.0.0.1", parentPrefix: "10.0.0.0/24", labels: { owner: "x" } }, { ip: "10.0.0.2", parentPrefix: "10.0.0.0/24" }] };
    const got = await client.acquireIPs({ prefixCidr: "10.0.0.0/24", count: 2 });
    expect(got.ips.map((i) => [i.ip, i.labels])).toEqual([["10.0.0.1", { owner: "x" }], ["10.0.0.2", {}]]);
  });

  it("ReleaseIPs takes ips or a label selector, one of the two", async () => {
    const { backend, client } = setup();
    expect(await codeOf(client.releaseIPs({ prefixCidr: "10.0.0.0/8", ips: ["10.0.0.1"], labelSelector: { owner: "x" } }))).toEqual({
      code: Code.InvalidArgument,
      message: "ReleaseIPs takes either ips or a label_selector, not both",
    });
    expect(await codeOf(client.releaseIPs({ prefixCidr: "10.0.0.0/8" }))).toEqual({
      code: Code.InvalidArgument,
      message: "ReleaseIPs needs ips (1 to 4096 addresses of prefix_cidr) or a label_selector",
    });
    expect(backend.calls).toEqual([]);
  });

  it("refuses a reservation value it does not know, and a child length over 128 in bulk", async () => {
    const { backend, client } = setup();
    expect(await codeOf(client.createPrefix({ cidr: "10.0.0.0/8", reservation: 7 as Reservation }))).toEqual({
      code: Code.InvalidArgument,
      message: "reservation 7 is not a known value (RESERVATION_UNSPECIFIED or RESERVATION_NONE)",
    });
    expect(await codeOf(client.acquireChildPrefixes({ cidr: "10.0.0.0/8", length: 129, count: 2 }))).toEqual({
      code: Code.InvalidArgument,
      message: "length must not be greater than 128",
    });
    expect(backend.calls).toEqual([]);
  });

  it("PrefixesOverlapping answers go-ipam's result without a namespace or a backend call", async () => {
    const { backend, client } = setup({ all: false, namespaces: new Set() });
    expect(await client.prefixesOverlapping({ existingPrefixes: ["10.0.0.0/24", "10.0.0.0/8"], newPrefixes: ["10.0.0.5/16"] })).toMatchObject({
      overlapping: true,
      message: "10.0.0.5/16 overlaps 10.0.0.0/24",
      existingPrefix: "10.0.0.0/24",
      newPrefix: "10.0.0.5/16",
    });
    expect(await client.prefixesOverlapping({ existingPrefixes: ["10.0.0.0/24"], newPrefixes: ["10.0.1.0/24"] })).toMatchObject({
      overlapping: false,
      message: "",
    });
    expect(await codeOf(client.prefixesOverlapping({ existingPrefixes: ["10.0.0.0/24"], newPrefixes: ["bad"] }))).toEqual({
      code: Code.InvalidArgument,
      message: `parsing prefix bad failed:netip.ParsePrefix("bad"): no '/'`,
    });
    expect(await codeOf(client.prefixesOverlapping({ existingPrefixes: Array(4097).fill("10.0.0.0/24"), newPrefixes: [] }))).toEqual({
      code: Code.InvalidArgument,
      message: "existing_prefixes lists 4097 prefixes, at most 4096 are allowed",
    });
    expect(backend.calls).toEqual([]);
  });
});

describe("failures become Connect errors with the core's message verbatim", () => {
  const cases: [string, (c: ReturnType<typeof setup>["client"]) => Promise<unknown>, OutcomeKind, Code][] = [
    ["AcquireIP taken", (c) => c.acquireIP({ prefixCidr: "10.0.0.0/24", ip: "10.0.0.1" }), "ip_already_allocated", Code.AlreadyExists],
    ["AcquireIP exhausted", (c) => c.acquireIP({ prefixCidr: "10.0.0.0/30" }), "no_ip_available", Code.NotFound],
    ["AcquireIP missing prefix", (c) => c.acquireIP({ prefixCidr: "10.9.0.0/24" }), "prefix_not_found", Code.InvalidArgument],
    ["AcquireIP namespace missing", (c) => c.acquireIP({ prefixCidr: "10.9.0.0/24", namespace: "a" }), "namespace_not_found", Code.NotFound],
    ["AcquireChildPrefix missing parent", (c) => c.acquireChildPrefix({ cidr: "10.0.0.0/8", length: 9 }), "prefix_not_found", Code.InvalidArgument],
    ["AcquireChildPrefix full", (c) => c.acquireChildPrefix({ cidr: "10.0.0.0/8", length: 9 }), "no_child_available", Code.InvalidArgument],
    ["GetPrefix missing", (c) => c.getPrefix({ cidr: "10.0.0.0/8" }), "prefix_not_found", Code.NotFound],
    ["ReleaseIP not allocated", (c) => c.releaseIP({ prefixCidr: "10.0.0.0/8", ip: "10.0.0.9" }), "ip_not_allocated", Code.NotFound],
    ["CreatePrefix overlap", (c) => c.createPrefix({ cidr: "10.0.0.0/8" }), "overlap", Code.InvalidArgument],
    ["DeletePrefix has ips", (c) => c.deletePrefix({ cidr: "10.0.0.0/8" }), "conflict", Code.InvalidArgument],
    ["Load into non-empty", (c) => c.load({ dump: "[]" }), "conflict", Code.InvalidArgument],
    ["CreateNamespace exists", (c) => c.createNamespace({ namespace: "a" }), "conflict", Code.AlreadyExists],
    ["DeleteNamespace not empty", (c) => c.deleteNamespace({ namespace: "a" }), "conflict", Code.FailedPrecondition],
    ["DeleteNamespace missing", (c) => c.deleteNamespace({ namespace: "zz" }), "namespace_not_found", Code.NotFound],
    ["ListNamespaces broken store", (c) => c.listNamespaces({}), "internal", Code.Internal],
    ["ListPrefixes broken store", (c) => c.listPrefixes({}), "internal", Code.Internal],
  ];
  for (const [name, call, kind, code] of cases) {
    it(name, async () => {
      const { backend, client } = setup();
      const message = `some message for ${name}: keep it`;
      backend.reply = { ok: false, kind, message };
      expect(await codeOf(call(client))).toEqual({ code, message });
    });
  }

  it("a backend that throws is internal, not a crash", async () => {
    const { backend, client } = setup();
    backend.runCommand = async () => {
      throw new Error("boom");
    };
    expect((await codeOf(client.getPrefix({ cidr: "10.0.0.0/8" }))).code).toBe(Code.Internal);
  });
});

describe("authorisation", () => {
  const scoped: Access = { all: false, namespaces: new Set(["a"]) };

  it("a scoped token reaches its namespaces only", async () => {
    const { backend, client, call } = setup(scoped);
    backend.reply = { ok: true, result: [] };
    await client.listPrefixes({ namespace: "a" });
    expect(call.namespace).toBe("a");
    const denied = await codeOf(client.listPrefixes({ namespace: "b" }));
    expect(denied).toEqual({ code: Code.PermissionDenied, message: 'token has no access to namespace "b"' });
    expect((await codeOf(client.listPrefixes({}))).code).toBe(Code.PermissionDenied); // root is not in its list
    expect(backend.calls.length).toBe(1);
  });

  it("only '*' may create/delete namespaces, Dump and Load", async () => {
    const { backend, client } = setup(scoped);
    for (const p of [
      () => client.createNamespace({ namespace: "a" }),
      () => client.deleteNamespace({ namespace: "a" }),
      () => client.dump({ namespace: "a" }),
      () => client.load({ dump: "[]", namespace: "a" }),
    ]) {
      expect((await codeOf(p())).code).toBe(Code.PermissionDenied);
    }
    expect(backend.calls).toEqual([]);
  });

  it("ListNamespaces shows a scoped token only its namespaces, '*' all", async () => {
    const s = setup(scoped);
    expect((await s.client.listNamespaces({})).namespace).toEqual(["a"]);
    const f = setup(FULL_ACCESS);
    expect((await f.client.listNamespaces({})).namespace).toEqual(["root", "a", "b"]);
  });

  it("no access value at all grants nothing", async () => {
    const backend = new FakeBackend();
    const transport = createRouterTransport(({ service }) => service(IpamService, createIpamService()), {
      router: { interceptors: [(next) => (req) => next((req.contextValues.set(kBackend, backend), req))] },
    });
    const client = createClient(IpamService, transport);
    expect((await codeOf(client.listPrefixes({}))).code).toBe(Code.PermissionDenied);
  });
});
