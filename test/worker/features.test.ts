// The extensions through real connect-web clients over Connect JSON, Connect binary and gRPC-Web, against the
// Worker, its Durable Objects and the project's store: bulk acquire and release, labels, reservation choice,
// overlap checks. Each namespace is reloaded from the store (the object evicted) before its state is checked
// again, so what is answered is what was persisted.
import { env, evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Reservation } from "../../src/gen/api/v1/ipam_pb";
import { client, failure, PROTOCOLS, rawCall, uniqueNamespace } from "./clients";

/** Tears the namespace's object down: its next call loads the namespace from the store. */
const reload = (ns: string) => evictDurableObject(env.NAMESPACE.get(env.NAMESPACE.idFromName(ns)));

describe.each(PROTOCOLS)("over %s", (protocol) => {
  const c = client(protocol);

  async function namespaceWith(...cidrs: string[]): Promise<string> {
    const ns = uniqueNamespace(`feat-${protocol}`);
    await c.createNamespace({ namespace: ns });
    for (const cidr of cidrs) await c.createPrefix({ cidr, namespace: ns });
    return ns;
  }

  it("AcquireIPs takes the lowest free addresses in one call, all or nothing; ReleaseIPs likewise", async () => {
    const ns = await namespaceWith("10.20.0.0/24");
    await c.acquireIP({ prefixCidr: "10.20.0.0/24", ip: "10.20.0.3", namespace: ns });
    const got = await c.acquireIPs({ prefixCidr: "10.20.0.0/24", count: 4, namespace: ns });
    expect(got.ips.map((i) => [i.ip, i.parentPrefix])).toEqual([
      ["10.20.0.1", "10.20.0.0/24"],
      ["10.20.0.2", "10.20.0.0/24"],
      ["10.20.0.4", "10.20.0.0/24"],
      ["10.20.0.5", "10.20.0.0/24"],
    ]);
    const rest = await c.acquireIPs({ prefixCidr: "10.20.0.0/24", count: 249, namespace: ns });
    expect(rest.ips.at(-1)?.ip).toBe("10.20.0.254");
    expect(await failure(c.acquireIPs({ prefixCidr: "10.20.0.0/24", count: 1, namespace: ns }))).toEqual({
      code: "NotFound",
      message: "NoIPAvailableError: 1 ips asked for but only 0 left in prefix: 10.20.0.0/24, length of prefix.ips: 256",
    });

    expect(await failure(c.releaseIPs({ prefixCidr: "10.20.0.0/24", ips: ["10.20.0.1", "10.20.0.9", "10.20.0.255", "10.20.0.300"], namespace: ns }))).toMatchObject({
      code: "InvalidArgument",
      message: expect.stringMatching(/^given ip:10.20.0.300 in not valid: /),
    });
    const released = await c.releaseIPs({ prefixCidr: "10.20.0.0/24", ips: ["10.20.0.9", "10.20.0.1"], namespace: ns });
    expect(released.ips.map((i) => i.ip)).toEqual(["10.20.0.9", "10.20.0.1"]);
    expect(await failure(c.releaseIPs({ prefixCidr: "10.20.0.0/24", ips: ["10.20.0.2", "10.20.0.9"], namespace: ns }))).toEqual({
      code: "NotFound",
      message: "NotFound: unable to release ip:10.20.0.9 because it is not allocated in prefix:10.20.0.0/24",
    });
    await reload(ns);
    expect((await c.prefixUsage({ cidr: "10.20.0.0/24", namespace: ns })).acquiredIps).toBe(254n); // 10.20.0.2 still held
    expect((await c.acquireIPs({ prefixCidr: "10.20.0.0/24", count: 2, namespace: ns })).ips.map((i) => i.ip)).toEqual(["10.20.0.1", "10.20.0.9"]);
  });

  it("a bulk call retried with its Idempotency-Key is answered from the first, taking nothing more", async () => {
    const ns = await namespaceWith("10.19.0.0/24");
    const key = { headers: { "Idempotency-Key": `bulk-${ns}` } };
    const first = await c.acquireIPs({ prefixCidr: "10.19.0.0/24", count: 3, labels: { owner: "a" }, namespace: ns }, key);
    const again = await c.acquireIPs({ prefixCidr: "10.19.0.0/24", count: 3, labels: { owner: "a" }, namespace: ns }, key);
    expect(again.ips.map((i) => [i.ip, i.labels])).toEqual(first.ips.map((i) => [i.ip, i.labels]));
    expect((await c.prefixUsage({ cidr: "10.19.0.0/24", namespace: ns })).acquiredIps).toBe(5n);
    expect(await failure(c.acquireIPs({ prefixCidr: "10.19.0.0/24", count: 4, namespace: ns }, key))).toMatchObject({ code: "FailedPrecondition" });
    const releaseKey = { headers: { "Idempotency-Key": `release-${ns}` } };
    await c.releaseIPs({ labelSelector: { owner: "a" }, namespace: ns }, releaseKey);
    const replayed = await c.releaseIPs({ labelSelector: { owner: "a" }, namespace: ns }, releaseKey);
    expect(replayed.ips.map((i) => i.ip)).toEqual(["10.19.0.1", "10.19.0.2", "10.19.0.3"]);
  });

  it("AcquireChildPrefixes and ReleaseChildPrefixes", async () => {
    const ns = await namespaceWith("10.21.0.0/22");
    const kids = await c.acquireChildPrefixes({ cidr: "10.21.0.0/22", length: 24, count: 3, labels: { rack: "r7" }, namespace: ns });
    expect(kids.prefixes.map((p) => [p.cidr, p.parentCidr, p.labels])).toEqual([
      ["10.21.0.0/24", "10.21.0.0/22", { rack: "r7" }],
      ["10.21.1.0/24", "10.21.0.0/22", { rack: "r7" }],
      ["10.21.2.0/24", "10.21.0.0/22", { rack: "r7" }],
    ]);
    expect(await failure(c.acquireChildPrefixes({ cidr: "10.21.0.0/22", length: 24, count: 2, namespace: ns }))).toEqual({
      code: "InvalidArgument",
      message: "no prefix found in 10.21.0.0/22 with length:24 for 2 child prefixes, only 1 are available",
    });
    const back = await c.releaseChildPrefixes({ cidrs: ["10.21.2.0/24", "10.21.0.0/24"], namespace: ns });
    expect(back.prefixes.map((p) => p.cidr)).toEqual(["10.21.2.0/24", "10.21.0.0/24"]);
    await reload(ns);
    expect((await c.listPrefixes({ namespace: ns })).prefixes.map((p) => p.cidr)).toEqual(["10.21.0.0/22", "10.21.1.0/24"]);
    expect((await c.getPrefix({ cidr: "10.21.1.0/24", namespace: ns })).prefix?.labels).toEqual({ rack: "r7" });
  });

  it("labels on prefixes and addresses: answered, listed, filtered, released by selector, persisted", async () => {
    const ns = await namespaceWith();
    const pool = await c.createPrefix({ cidr: "10.22.0.0/24", labels: { pool: "pods", zone: "eu-1" }, namespace: ns });
    expect(pool.prefix?.labels).toEqual({ pool: "pods", zone: "eu-1" });
    await c.createPrefix({ cidr: "10.23.0.0/24", labels: { pool: "nodes" }, namespace: ns });
    await c.createPrefix({ cidr: "2001:db8:22::/64", namespace: ns });
    const a = await c.acquireIP({ prefixCidr: "10.22.0.0/24", labels: { owner: "pod-a" }, namespace: ns });
    expect([a.ip?.ip, a.ip?.labels]).toEqual(["10.22.0.1", { owner: "pod-a" }]);
    await c.acquireIP({ prefixCidr: "10.22.0.0/24", namespace: ns }); // .2, unlabelled
    await c.acquireIPs({ prefixCidr: "10.22.0.0/24", count: 2, labels: { owner: "pod-b" }, namespace: ns }); // .3 .4
    await c.acquireIP({ prefixCidr: "10.23.0.0/24", labels: { owner: "pod-a" }, namespace: ns });
    await c.acquireIP({ prefixCidr: "2001:db8:22::/64", labels: { owner: "pod-a" }, namespace: ns });
    await reload(ns);

    expect((await c.listPrefixes({ labelSelector: { pool: "pods" }, namespace: ns })).prefixes.map((p) => p.cidr)).toEqual(["10.22.0.0/24"]);
    expect((await c.getPrefix({ cidr: "10.23.0.0/24", namespace: ns })).prefix?.labels).toEqual({ pool: "nodes" });
    const listed = await c.listIPs({ prefixCidr: "10.22.0.0/24", namespace: ns });
    expect(listed.ips).toEqual(["10.22.0.0", "10.22.0.1", "10.22.0.2", "10.22.0.3", "10.22.0.4", "10.22.0.255"]);
    expect(listed.labelledIps.map((i) => `${i.ip} ${i.labels.owner}`)).toEqual(["10.22.0.1 pod-a", "10.22.0.3 pod-b", "10.22.0.4 pod-b"]);
    expect((await c.listIPs({ prefixCidr: "10.22.0.0/24", labelSelector: { owner: "pod-b" }, namespace: ns })).ips).toEqual(["10.22.0.3", "10.22.0.4"]);

    // Calico's release by handle: everything pod-a holds, in every prefix, in one call.
    const freed = await c.releaseIPs({ labelSelector: { owner: "pod-a" }, namespace: ns });
    expect(freed.ips.map((i) => `${i.ip} ${i.parentPrefix} ${i.labels.owner}`)).toEqual([
      "10.22.0.1 10.22.0.0/24 pod-a",
      "10.23.0.1 10.23.0.0/24 pod-a",
      "2001:db8:22::1 2001:db8:22::/64 pod-a",
    ]);
    await reload(ns);
    expect((await c.listIPs({ prefixCidr: "10.22.0.0/24", namespace: ns })).ips).toEqual(["10.22.0.0", "10.22.0.2", "10.22.0.3", "10.22.0.4", "10.22.0.255"]);
    expect((await c.releaseIPs({ labelSelector: { owner: "pod-a" }, namespace: ns })).ips).toEqual([]);
    const inPrefix = await c.releaseIPs({ prefixCidr: "10.22.0.0/24", labelSelector: { owner: "pod-b" }, namespace: ns });
    expect(inPrefix.ips.map((i) => i.ip)).toEqual(["10.22.0.3", "10.22.0.4"]);
  });

  it("Dump and Load carry labels and reservations as extra fields of go-ipam's format", async () => {
    const ns = await namespaceWith();
    await c.createPrefix({ cidr: "10.24.0.0/30", reservation: Reservation.NONE, labels: { link: "p2p" }, namespace: ns });
    await c.acquireIP({ prefixCidr: "10.24.0.0/30", labels: { end: "a" }, namespace: ns });
    const dump = (await c.dump({ namespace: ns })).dump;
    expect(JSON.parse(dump)).toEqual([
      {
        Cidr: "10.24.0.0/30",
        ParentCidr: "",
        Namespace: "",
        AvailableChildPrefixes: {},
        ChildPrefixLength: 0,
        IsParent: false,
        IPs: { "10.24.0.0": true },
        Version: 0,
        Labels: { link: "p2p" },
        Reservation: "none",
        IPLabels: { "10.24.0.0": { end: "a" } },
      },
    ]);
    const copy = await namespaceWith();
    await c.load({ dump, namespace: copy });
    await reload(copy);
    const p = (await c.getPrefix({ cidr: "10.24.0.0/30", namespace: copy })).prefix!;
    expect([p.labels, p.reservation]).toEqual([{ link: "p2p" }, Reservation.NONE]);
    expect((await c.listIPs({ prefixCidr: "10.24.0.0/30", namespace: copy })).labelledIps.map((i) => [i.ip, i.labels])).toEqual([["10.24.0.0", { end: "a" }]]);
  });

  it("reservation none: every address of a /31 or /127 can be acquired; usage counts follow", async () => {
    const ns = await namespaceWith();
    const p2p = await c.createPrefix({ cidr: "10.25.0.0/31", reservation: Reservation.NONE, namespace: ns });
    expect(p2p.prefix?.reservation).toBe(Reservation.NONE);
    await c.createPrefix({ cidr: "2001:db8:25::/127", reservation: Reservation.NONE, namespace: ns });
    await c.createPrefix({ cidr: "10.26.0.0/24", namespace: ns });
    await c.acquireChildPrefix({ cidr: "10.26.0.0/24", length: 31, reservation: Reservation.NONE, namespace: ns });
    expect((await c.prefixUsage({ cidr: "10.25.0.0/31", namespace: ns })).acquiredIps).toBe(0n);
    await reload(ns);
    expect((await c.acquireIPs({ prefixCidr: "10.25.0.0/31", count: 2, namespace: ns })).ips.map((i) => i.ip)).toEqual(["10.25.0.0", "10.25.0.1"]);
    expect((await c.acquireIPs({ prefixCidr: "2001:db8:25::/127", count: 2, namespace: ns })).ips.map((i) => i.ip)).toEqual(["2001:db8:25::", "2001:db8:25::1"]);
    expect((await c.acquireIP({ prefixCidr: "10.26.0.0/31", namespace: ns })).ip?.ip).toBe("10.26.0.0");
    expect((await c.prefixUsage({ cidr: "10.25.0.0/31", namespace: ns })).acquiredIps).toBe(2n);
    expect((await c.getPrefix({ cidr: "10.26.0.0/24", namespace: ns })).prefix?.reservation).toBe(Reservation.UNSPECIFIED);
  });

  it("overlap checks: the prefixes of a namespace overlapping a CIDR, and PrefixesOverlapping", async () => {
    const ns = await namespaceWith("10.27.0.0/16", "10.28.0.0/24");
    await c.acquireChildPrefix({ cidr: "10.27.0.0/16", length: 24, namespace: ns });
    const hits = await c.listPrefixes({ overlappingCidr: "10.27.0.128/25", namespace: ns });
    expect(hits.prefixes.map((p) => p.cidr)).toEqual(["10.27.0.0/16", "10.27.0.0/24"]);
    expect((await c.listPrefixes({ overlappingCidr: "10.29.0.0/16", namespace: ns })).prefixes).toEqual([]);
    const o = await c.prefixesOverlapping({ existingPrefixes: ["192.168.0.0/24", "192.168.1.0/24"], newPrefixes: ["192.168.0.0/23"] });
    expect([o.overlapping, o.message, o.existingPrefix, o.newPrefix]).toEqual([true, "192.168.0.0/23 overlaps 192.168.0.0/24", "192.168.0.0/24", "192.168.0.0/23"]);
    const none = await c.prefixesOverlapping({ existingPrefixes: ["10.0.0.0/8"], newPrefixes: ["::ffff:10.0.0.0/104"] });
    expect([none.overlapping, none.message]).toEqual([false, ""]);
  });

  it("bad input answers invalid_argument naming it", async () => {
    const ns = await namespaceWith("10.30.0.0/24");
    const cases: [() => Promise<unknown>, string][] = [
      [() => c.acquireIPs({ prefixCidr: "10.30.0.0/24", count: 0, namespace: ns }), "count must be from 1 to 4096, got 0"],
      [() => c.acquireIPs({ prefixCidr: "10.30.0.0/24", count: 4097, namespace: ns }), "count must be from 1 to 4096, got 4097"],
      [() => c.acquireChildPrefixes({ cidr: "10.30.0.0/24", length: 28, count: 0, namespace: ns }), "count must be from 1 to 4096, got 0"],
      [() => c.acquireIP({ prefixCidr: "10.30.0.0/24", labels: { "bad key": "v" }, namespace: ns }), `invalid labels: key "bad key" must be letters, digits, '.', '_', '-' or '/', starting and ending with a letter or digit`],
      [() => c.acquireIP({ prefixCidr: "10.30.0.0/24", labels: { k: "v".repeat(256) }, namespace: ns }), `invalid labels: the value of "k" is 256 characters long, at most 255 are allowed`],
      [() => c.createPrefix({ cidr: "10.31.0.0/24", labels: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"])), namespace: ns }), "invalid labels: 17 labels given, at most 16 are allowed"],
      [() => c.listIPs({ prefixCidr: "10.30.0.0/24", labelSelector: { ["k".repeat(64)]: "v" }, namespace: ns }), `invalid label selector: key "${"k".repeat(64)}" is 64 characters long, at most 63 are allowed`],
      [() => c.releaseIPs({ prefixCidr: "10.30.0.0/24", ips: Array(4097).fill("10.30.0.1"), namespace: ns }), "ips must list 1 to 4096 entries, got 4097"],
      [() => c.releaseIPs({ prefixCidr: "10.30.0.0/24", namespace: ns }), "ReleaseIPs needs ips (1 to 4096 addresses of prefix_cidr) or a label_selector"],
      [() => c.listPrefixes({ overlappingCidr: "10.0.0.0/33", namespace: ns }), `unable to parse overlapping cidr:10.0.0.0/33 netip.ParsePrefix("10.0.0.0/33"): prefix length out of range`],
      [() => c.prefixesOverlapping({ existingPrefixes: ["10.0.0.0/8"], newPrefixes: ["10.0.0.0"] }), `parsing prefix 10.0.0.0 failed:netip.ParsePrefix("10.0.0.0"): no '/'`],
    ];
    for (const [call, message] of cases) expect(await failure(call())).toEqual({ code: "InvalidArgument", message });
    expect((await c.listPrefixes({ namespace: ns })).prefixes.map((p) => p.cidr)).toEqual(["10.30.0.0/24"]);
    expect((await c.listIPs({ prefixCidr: "10.30.0.0/24", namespace: ns })).ips).toEqual(["10.30.0.0", "10.30.0.255"]);
  });
});

describe("Connect JSON spellings", () => {
  it("accepts snake_case and camelCase, enum names and numbers; answers camelCase, omitting what is unset", async () => {
    const ns = uniqueNamespace("feat-json");
    await client("connect-json").createNamespace({ namespace: ns });
    const call = async (rpc: string, body: unknown) => {
      const res = await rawCall(rpc, JSON.stringify(body));
      expect(res.status, rpc).toBe(200);
      return res.json();
    };
    expect(await call("CreatePrefix", { cidr: "10.40.0.0/30", namespace: ns, reservation: "RESERVATION_NONE", labels: { pool: "x" } })).toEqual({
      prefix: { cidr: "10.40.0.0/30", labels: { pool: "x" }, reservation: "RESERVATION_NONE" },
    });
    expect(await call("CreatePrefix", { cidr: "10.41.0.0/30", namespace: ns, reservation: 1 })).toEqual({
      prefix: { cidr: "10.41.0.0/30", reservation: "RESERVATION_NONE" },
    });
    expect(await call("CreatePrefix", { cidr: "10.42.0.0/30", namespace: ns })).toEqual({ prefix: { cidr: "10.42.0.0/30" } });
    expect(await call("AcquireIPs", { prefix_cidr: "10.40.0.0/30", count: 2, namespace: ns, labels: { owner: "a" } })).toEqual({
      ips: [
        { ip: "10.40.0.0", parentPrefix: "10.40.0.0/30", labels: { owner: "a" } },
        { ip: "10.40.0.1", parentPrefix: "10.40.0.0/30", labels: { owner: "a" } },
      ],
    });
    expect(await call("ListIPs", { prefixCidr: "10.42.0.0/30", namespace: ns })).toEqual({ ips: ["10.42.0.0", "10.42.0.3"] });
    expect(await call("ListIPs", { prefix_cidr: "10.40.0.0/30", label_selector: { owner: "a" }, namespace: ns })).toMatchObject({
      ips: ["10.40.0.0", "10.40.0.1"],
    });
    expect(await call("ReleaseIPs", { labelSelector: { owner: "a" }, namespace: ns })).toMatchObject({ ips: [{ ip: "10.40.0.0" }, { ip: "10.40.0.1" }] });
    expect(await call("ListPrefixes", { overlapping_cidr: "10.40.0.0/16", label_selector: { pool: "x" }, namespace: ns })).toEqual({
      prefixes: [{ cidr: "10.40.0.0/30", labels: { pool: "x" }, reservation: "RESERVATION_NONE" }],
    });
    expect(await call("PrefixesOverlapping", { existing_prefixes: ["10.0.0.0/8"], new_prefixes: ["10.1.0.0/16"] })).toEqual({
      overlapping: true,
      message: "10.1.0.0/16 overlaps 10.0.0.0/8",
      existingPrefix: "10.0.0.0/8",
      newPrefix: "10.1.0.0/16",
    });
    expect(await call("PrefixesOverlapping", {})).toEqual({});
  });
});
