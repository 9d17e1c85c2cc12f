// Overload through the Worker: deadlines count from when the Worker received the call, however long the call
// then waited behind a slow one, and a namespace's queue is bounded (load shedding; the queue fills for real
// when the store stalls: test/worker/stores/external.test.ts). Every call is answered, none hangs, nothing is
// handed out twice, and every acknowledged address is still held afterwards.
import { env } from "cloudflare:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import type { IPInfo } from "../../src/core/types";
import { codeFor } from "../../src/service/errors";
import { client, uniqueNamespace } from "./clients";

const api = client("connect-proto");

/** Runs calls concurrently; counts their codes and collects the addresses they were given. */
async function fire(n: number, call: (i: number) => Promise<{ ip?: { ip: string } }>) {
  const codes: Record<string, number> = {};
  const ips: string[] = [];
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      try {
        const r = await call(i);
        ips.push(r.ip!.ip);
        codes.ok = (codes.ok ?? 0) + 1;
      } catch (e) {
        const c = Code[ConnectError.from(e).code];
        codes[c] = (codes[c] ?? 0) + 1;
      }
    }),
  );
  return { codes, ips };
}

describe("overload", () => {
  it("calls queued behind a 199,000-address ListIPs (about the most one message holds) whose deadline passed are never applied", async () => {
    const ns = uniqueNamespace("slow");
    await api.createNamespace({ namespace: ns });
    await api.load({ namespace: ns, dump: bigDump(199_000) });
    const held = 199_001;
    const listing = api.listIPs({ prefixCidr: "10.0.0.0/14", namespace: ns });
    const { codes, ips: got } = await fire(320, (i) => api.acquireIP({ prefixCidr: "10.0.0.0/14", namespace: ns }, { timeoutMs: 1 + (i % 25) }));
    expect((await listing).ips.length).toBe(held);
    for (const c of Object.keys(codes)) expect(["ok", "DeadlineExceeded"]).toContain(c);
    expect(codes.DeadlineExceeded).toBeGreaterThan(0);
    // Exactly the acknowledged acquires were applied: nothing that answered deadline_exceeded took an address.
    expect((await api.prefixUsage({ cidr: "10.0.0.0/14", namespace: ns })).acquiredIps).toBe(BigInt(held + got.length));
    expect(new Set(got).size).toBe(got.length);
  });

  it("2,000 concurrent calls on one busy namespace: each answered ok, resource_exhausted or deadline_exceeded; no duplicate", async () => {
    const ns = uniqueNamespace("burst");
    await api.createNamespace({ namespace: ns });
    await api.load({ namespace: ns, dump: bigDump(150_000) });
    await api.createPrefix({ cidr: "10.100.0.0/16", namespace: ns });
    const stub = env.NAMESPACE.get(env.NAMESPACE.idFromName(ns));
    // A slow call first, so the 2,000 arrive while the object is busy and pile up in its queue.
    const listing = stub.execute(ns, { op: "listIPs", prefixCidr: "10.0.0.0/14" });
    const deadline = Date.now() + 30_000;
    const outcomes = await Promise.all(
      Array.from({ length: 2000 }, () => stub.execute(ns, { op: "acquireIP", prefixCidr: "10.100.0.0/16" }, { deadline })),
    );
    expect((await listing).ok).toBe(true);
    const kinds: Record<string, number> = {};
    const ips: string[] = [];
    for (const o of outcomes) {
      const k = o.ok ? "ok" : o.kind;
      kinds[k] = (kinds[k] ?? 0) + 1;
      if (o.ok) ips.push((o as unknown as { result: IPInfo }).result.ip);
      else if (o.kind === "resource_exhausted") expect(o.message).toMatch(/is busy: \d+ calls are already waiting; nothing was applied, retry with backoff/);
    }
    for (const k of Object.keys(kinds)) expect(["ok", "resource_exhausted", "deadline_exceeded"]).toContain(k);
    expect(kinds.ok).toBeGreaterThan(0);
    expect(new Set(ips).size).toBe(ips.length);
    // Every acknowledged address is still held, and nothing else was taken.
    const listed = new Set((await api.listIPs({ prefixCidr: "10.100.0.0/16", namespace: ns })).ips);
    for (const ip of ips) expect(listed.has(ip)).toBe(true);
    expect(listed.size).toBe(ips.length + 2);
    const stats = await stub.stats(ns);
    expect(stats.ok && stats.result.runner.shed).toBe(kinds.resource_exhausted ?? 0);
  });

  it("a shed call answers resource_exhausted over the wire", async () => {
    expect(codeFor("AcquireIP", "resource_exhausted")).toBe(Code.ResourceExhausted);
    expect(codeFor("ListNamespaces", "resource_exhausted")).toBe(Code.ResourceExhausted);
  });
});

/** A go-ipam dump of one /14 holding n addresses. */
function bigDump(n: number): string {
  const ips: Record<string, boolean> = {};
  for (let i = 0; i < n; i++) ips[`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`] = true;
  ips["10.3.255.255"] = true;
  return JSON.stringify([{ Cidr: "10.0.0.0/14", ParentCidr: "", Namespace: "", AvailableChildPrefixes: {}, ChildPrefixLength: 0, IsParent: false, IPs: ips, Version: 0 }]);
}
