// Every RPC through real connect-web clients over Connect JSON, Connect binary and gRPC-Web, against the
// Worker and its Durable Objects; every error code; namespaces isolated.
import { describe, expect, it } from "vitest";
import { client, failure, PROTOCOLS, rawCall, TENANT, uniqueNamespace } from "./clients";

describe.each(PROTOCOLS)("over %s", (protocol) => {
  const c = client(protocol);

  it("serves every RPC", async () => {
    const ns = uniqueNamespace(protocol);
    expect(await c.createNamespace({ namespace: ns })).toBeDefined();
    expect((await c.listNamespaces({})).namespace).toContain(ns);

    // Prefixes: host bits masked, parent "" for a top-level prefix.
    const created = await c.createPrefix({ cidr: "192.169.0.1/24", namespace: ns });
    expect([created.prefix?.cidr, created.prefix?.parentCidr]).toEqual(["192.169.0.0/24", ""]);
    expect((await c.getPrefix({ cidr: "192.169.0.0/24", namespace: ns })).prefix?.cidr).toBe("192.169.0.0/24");
    expect((await c.listPrefixes({ namespace: ns })).prefixes.map((p) => p.cidr)).toEqual(["192.169.0.0/24"]);
    let usage = await c.prefixUsage({ cidr: "192.169.0.0/24", namespace: ns });
    expect([usage.availableIps, usage.acquiredIps, usage.availableSmallestPrefixes]).toEqual([256n, 2n, 64n]);
    expect(usage.availablePrefixes).toEqual(["192.169.0.0/24"]);

    // Addresses: lowest free first, specific ones, listing, release.
    const a1 = await c.acquireIP({ prefixCidr: "192.169.0.0/24", namespace: ns });
    expect([a1.ip?.ip, a1.ip?.parentPrefix]).toEqual(["192.169.0.1", "192.169.0.0/24"]);
    const a7 = await c.acquireIP({ prefixCidr: "192.169.0.0/24", ip: "192.169.0.7", namespace: ns });
    expect(a7.ip?.ip).toBe("192.169.0.7");
    const ips = (await c.listIPs({ prefixCidr: "192.169.0.0/24", namespace: ns })).ips;
    expect(ips).toEqual(["192.169.0.0", "192.169.0.1", "192.169.0.7", "192.169.0.255"]); // reserved ones included, in order
    usage = await c.prefixUsage({ cidr: "192.169.0.0/24", namespace: ns });
    expect(usage.acquiredIps).toBe(4n);
    const rel = await c.releaseIP({ prefixCidr: "192.169.0.0/24", ip: "192.169.0.7", namespace: ns });
    expect([rel.ip?.ip, rel.ip?.parentPrefix]).toEqual(["192.169.0.7", "192.169.0.0/24"]);
    expect((await c.acquireIP({ prefixCidr: "192.169.0.0/24", namespace: ns })).ip?.ip).toBe("192.169.0.2");

    // Child prefixes.
    await c.createPrefix({ cidr: "10.0.0.0/16", namespace: ns });
    const child = await c.acquireChildPrefix({ cidr: "10.0.0.0/16", length: 24, namespace: ns });
    expect([child.prefix?.cidr, child.prefix?.parentCidr]).toEqual(["10.0.0.0/24", "10.0.0.0/16"]);
    const specific = await c.acquireChildPrefix({ cidr: "10.0.0.0/16", length: 0, childCidr: "10.0.5.0/24", namespace: ns });
    expect(specific.prefix?.cidr).toBe("10.0.5.0/24");
    expect((await c.prefixUsage({ cidr: "10.0.0.0/16", namespace: ns })).acquiredPrefixes).toBe(2n);
    const listed = (await c.listPrefixes({ namespace: ns })).prefixes.map((p) => `${p.cidr}<${p.parentCidr}`);
    expect(listed.sort()).toEqual(["10.0.0.0/16<", "10.0.0.0/24<10.0.0.0/16", "10.0.5.0/24<10.0.0.0/16", "192.169.0.0/24<"]);
    const released = await c.releaseChildPrefix({ cidr: "10.0.5.0/24", namespace: ns });
    expect([released.prefix?.cidr, released.prefix?.parentCidr]).toEqual(["10.0.5.0/24", "10.0.0.0/16"]);

    // Dump and Load (go-ipam's format), into a fresh namespace.
    const dump = (await c.dump({ namespace: ns })).dump;
    const parsed = JSON.parse(dump) as { Cidr: string }[];
    expect(parsed.map((p) => p.Cidr).sort()).toEqual(["10.0.0.0/16", "10.0.0.0/24", "192.169.0.0/24"]);
    const copy = uniqueNamespace(`${protocol}-copy`);
    await c.createNamespace({ namespace: copy });
    await c.load({ dump, namespace: copy });
    const copied = (await c.listPrefixes({ namespace: copy })).prefixes.map((p) => `${p.cidr}<${p.parentCidr}`).sort();
    expect(copied).toEqual(["10.0.0.0/16<", "10.0.0.0/24<10.0.0.0/16", "192.169.0.0/24<"]);
    expect((await c.prefixUsage({ cidr: "192.169.0.0/24", namespace: copy })).acquiredIps).toBe(4n);

    // Tear down: release, delete, drop the namespaces.
    await c.releaseChildPrefix({ cidr: "10.0.0.0/24", namespace: ns });
    expect((await c.deletePrefix({ cidr: "10.0.0.0/16", namespace: ns })).prefix?.cidr).toBe("10.0.0.0/16");
    for (const ip of ["192.169.0.1", "192.169.0.2"]) await c.releaseIP({ prefixCidr: "192.169.0.0/24", ip, namespace: ns });
    await c.deletePrefix({ cidr: "192.169.0.0/24", namespace: ns });
    expect((await c.listPrefixes({ namespace: ns })).prefixes).toEqual([]);
    await c.deleteNamespace({ namespace: ns });
    expect((await c.listNamespaces({})).namespace).not.toContain(ns);

    const v = await c.version({});
    expect(v.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("answers every error code", async () => {
    const ns = uniqueNamespace(protocol);
    await c.createNamespace({ namespace: ns });
    await c.createPrefix({ cidr: "10.1.0.0/30", namespace: ns });
    await c.createPrefix({ cidr: "10.2.0.0/16", namespace: ns });

    // invalid_argument: parse errors, overlap, length bound, a missing prefix on AcquireIP (as go-ipam).
    expect(await failure(c.createPrefix({ cidr: "10.0.0.0/33", namespace: ns }))).toMatchObject({ code: "InvalidArgument" });
    expect(await failure(c.createPrefix({ cidr: "10.2.3.0/24", namespace: ns }))).toEqual({
      code: "InvalidArgument",
      message: "10.2.3.0/24 overlaps 10.2.0.0/16",
    });
    expect(await failure(c.acquireChildPrefix({ cidr: "10.2.0.0/16", length: 129, namespace: ns }))).toEqual({
      code: "InvalidArgument",
      message: "length must not be greater than 128",
    });
    expect((await failure(c.acquireIP({ prefixCidr: "10.9.0.0/24", namespace: ns }))).code).toBe("InvalidArgument");
    expect((await failure(c.acquireChildPrefix({ cidr: "10.9.0.0/16", length: 24, namespace: ns }))).code).toBe("InvalidArgument");
    expect((await failure(c.listPrefixes({ namespace: "bad name" }))).code).toBe("InvalidArgument");

    // not_found: missing prefix, exhausted prefix, IP not acquired, missing namespace.
    expect(await failure(c.getPrefix({ cidr: "10.9.0.0/24", namespace: ns }))).toMatchObject({ code: "NotFound" });
    expect((await c.acquireIP({ prefixCidr: "10.1.0.0/30", namespace: ns })).ip?.ip).toBe("10.1.0.1");
    expect((await c.acquireIP({ prefixCidr: "10.1.0.0/30", namespace: ns })).ip?.ip).toBe("10.1.0.2");
    const exhausted = await failure(c.acquireIP({ prefixCidr: "10.1.0.0/30", namespace: ns }));
    expect(exhausted.code).toBe("NotFound");
    expect(exhausted.message).toMatch(/^NoIPAvailableError: /);
    expect((await failure(c.releaseIP({ prefixCidr: "10.2.0.0/16", ip: "10.2.0.9", namespace: ns }))).code).toBe("NotFound");
    expect((await failure(c.prefixUsage({ cidr: "10.9.0.0/24", namespace: ns }))).code).toBe("NotFound");
    const missingNs = uniqueNamespace("missing");
    expect((await failure(c.listPrefixes({ namespace: missingNs }))).code).toBe("NotFound");
    expect((await failure(c.acquireIP({ prefixCidr: "10.1.0.0/30", namespace: missingNs }))).code).toBe("NotFound");
    expect((await failure(c.deleteNamespace({ namespace: missingNs }))).code).toBe("NotFound");

    // already_exists: a taken specific address.
    await c.acquireIP({ prefixCidr: "10.2.0.0/16", ip: "10.2.0.9", namespace: ns });
    expect(await failure(c.acquireIP({ prefixCidr: "10.2.0.0/16", ip: "10.2.0.9", namespace: ns }))).toEqual({
      code: "AlreadyExists",
      message: "AlreadyAllocatedError: given ip:10.2.0.9 is already allocated",
    });

    // failed_precondition: deleting a namespace that holds prefixes.
    expect((await failure(c.deleteNamespace({ namespace: ns }))).code).toBe("FailedPrecondition");

    // permission_denied and unauthenticated.
    expect((await failure(client(protocol, TENANT).listPrefixes({ namespace: ns }))).code).toBe("PermissionDenied");
    expect((await failure(client(protocol, null).listPrefixes({ namespace: ns }))).code).toBe("Unauthenticated");
    expect((await failure(client(protocol, "nope").listPrefixes({ namespace: ns }))).code).toBe("Unauthenticated");
  });

  it("keeps namespaces apart", async () => {
    const [a, b] = [uniqueNamespace("iso-a"), uniqueNamespace("iso-b")];
    for (const ns of [a, b]) {
      await c.createNamespace({ namespace: ns });
      await c.createPrefix({ cidr: "172.16.0.0/24", namespace: ns }); // the same CIDR in both
    }
    expect((await c.acquireIP({ prefixCidr: "172.16.0.0/24", namespace: a })).ip?.ip).toBe("172.16.0.1");
    expect((await c.acquireIP({ prefixCidr: "172.16.0.0/24", namespace: a })).ip?.ip).toBe("172.16.0.2");
    expect((await c.acquireIP({ prefixCidr: "172.16.0.0/24", namespace: b })).ip?.ip).toBe("172.16.0.1");
    await c.createPrefix({ cidr: "172.17.0.0/24", namespace: a });
    expect((await failure(c.getPrefix({ cidr: "172.17.0.0/24", namespace: b }))).code).toBe("NotFound");
    expect((await c.prefixUsage({ cidr: "172.16.0.0/24", namespace: b })).acquiredIps).toBe(3n);
    expect((await c.listPrefixes({ namespace: b })).prefixes.map((p) => p.cidr)).toEqual(["172.16.0.0/24"]);
    const dumpB = JSON.parse((await c.dump({ namespace: b })).dump) as { Cidr: string }[];
    expect(dumpB.map((p) => p.Cidr)).toEqual(["172.16.0.0/24"]);
  });
});

describe("the wire", () => {
  it("answers resource_exhausted for a body over the limit, unimplemented for an unknown RPC", async () => {
    const c = client("connect-json");
    const huge = JSON.stringify({ cidr: "x".repeat(9 * 1024 * 1024) });
    const res = await rawCall("CreatePrefix", huge);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(((await res.json()) as { code: string }).code).toBe("resource_exhausted");
    const unknown = await rawCall("NoSuchRpc", "{}");
    expect(unknown.status).toBe(404);
    expect((await c.version({})).version).not.toBe("");
  });

  it("follows Connect JSON conventions: snake_case in, camelCase out, uint64 as strings, unknown fields ignored", async () => {
    const c = client("connect-json");
    const ns = uniqueNamespace("json");
    await c.createNamespace({ namespace: ns });
    let res = await rawCall("CreatePrefix", JSON.stringify({ cidr: "10.7.0.0/24", namespace: ns, bogus: 1 }));
    expect(await res.json()).toEqual({ prefix: { cidr: "10.7.0.0/24" } });
    res = await rawCall("AcquireIP", JSON.stringify({ prefix_cidr: "10.7.0.0/24", namespace: ns }));
    expect(await res.json()).toEqual({ ip: { ip: "10.7.0.1", parentPrefix: "10.7.0.0/24" } });
    res = await rawCall("PrefixUsage", JSON.stringify({ cidr: "10.7.0.0/24", namespace: ns }));
    expect(await res.json()).toEqual({
      availableIps: "256",
      acquiredIps: "3",
      availableSmallestPrefixes: "64",
      availablePrefixes: ["10.7.0.0/24"],
    });
    res = await rawCall("AcquireChildPrefix", JSON.stringify({ cidr: "10.7.0.0/24", length: 26, child_cidr: "", namespace: ns }));
    expect(res.status).toBe(400); // the prefix holds IPs
    res = await rawCall("CreatePrefix", "");
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe("invalid_argument");
  });

  it("serves the seed's call (Connect JSON, '{}')", async () => {
    const res = await rawCall("ListPrefixes", "{}");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const body = (await res.json()) as { prefixes?: unknown[] };
    expect(body.prefixes === undefined || Array.isArray(body.prefixes)).toBe(true);
  });

  it("answers uncompressed, and refuses compressed requests with unimplemented", async () => {
    const res = await rawCall("ListNamespaces", "{}", { headers: { "accept-encoding": "gzip, br" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-encoding")).toBeNull();
    const gz = await rawCall("ListNamespaces", new Uint8Array([0x1f, 0x8b]), { headers: { "content-encoding": "gzip" } });
    expect(((await gz.json()) as { code: string }).code).toBe("unimplemented");
  });

  it("refuses plain gRPC with 415 (a Worker cannot send HTTP/2 trailers)", async () => {
    const res = await rawCall("ListPrefixes", new Uint8Array(5), { contentType: "application/grpc" });
    expect(res.status).toBe(415);
  });
});

describe("concurrency through the API", () => {
  it("64 concurrent AcquireIP calls get 64 distinct addresses", async () => {
    const c = client("connect-proto");
    const ns = uniqueNamespace("conc");
    await c.createNamespace({ namespace: ns });
    await c.createPrefix({ cidr: "10.64.0.0/24", namespace: ns });
    const got = await Promise.all(
      Array.from({ length: 64 }, () => c.acquireIP({ prefixCidr: "10.64.0.0/24", namespace: ns }).then((r) => r.ip?.ip)),
    );
    expect(new Set(got).size).toBe(64);
    const expected = Array.from({ length: 64 }, (_, i) => `10.64.0.${i + 1}`);
    expect([...got].sort()).toEqual([...expected].sort());
  });
});
