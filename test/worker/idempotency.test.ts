// Idempotency-Key over the wire: a retry with the same key and request is answered from the first call's
// record (success or error) and changes nothing, across wire formats and a restart of the namespace object;
// the same key with another request is refused; an outcome lost to the store is settled by the retry.
import { env, evictDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { describeOnExternalStores, storeFault } from "./backend";
import { client, failure, uniqueNamespace } from "./clients";

const json = client("connect-json");
const proto = client("connect-proto");
const web = client("grpc-web");
const keyed = (key: string, timeoutMs?: number) => ({ headers: { "Idempotency-Key": key }, ...(timeoutMs ? { timeoutMs } : {}) });

async function namespaceWith(cidr: string): Promise<string> {
  const ns = uniqueNamespace("idem");
  await json.createNamespace({ namespace: ns });
  await json.createPrefix({ cidr, namespace: ns });
  return ns;
}

describe("Idempotency-Key", () => {
  it("a retry is answered as the first call was, in any wire format, and takes nothing more", async () => {
    const ns = await namespaceWith("10.50.0.0/24");
    const req = { prefixCidr: "10.50.0.0/24", namespace: ns };
    const first = await json.acquireIP(req, keyed("acq-1"));
    expect(first.ip?.ip).toBe("10.50.0.1");
    expect((await proto.acquireIP(req, keyed('"acq-1"'))).ip?.ip).toBe("10.50.0.1"); // the draft's quoted form
    expect((await web.acquireIP(req, keyed("acq-1"))).ip?.ip).toBe("10.50.0.1");
    expect((await json.acquireIP(req)).ip?.ip).toBe("10.50.0.2");
    expect((await json.listIPs(req)).ips).toEqual(["10.50.0.0", "10.50.0.1", "10.50.0.2", "10.50.0.255"]);
  });

  it("labels in another order are the same request", async () => {
    const ns = await namespaceWith("10.56.0.0/24");
    const first = await json.acquireIP({ prefixCidr: "10.56.0.0/24", namespace: ns, labels: { owner: "vm-1", team: "net" } }, keyed("labels-1"));
    const again = await proto.acquireIP({ prefixCidr: "10.56.0.0/24", namespace: ns, labels: { team: "net", owner: "vm-1" } }, keyed("labels-1"));
    expect(again.ip?.ip).toBe(first.ip?.ip);
  });

  it("survives a restart of the namespace object", async () => {
    const ns = await namespaceWith("10.51.0.0/24");
    const req = { prefixCidr: "10.51.0.0/24", namespace: ns };
    expect((await json.acquireIP(req, keyed("restart-1"))).ip?.ip).toBe("10.51.0.1");
    await evictDurableObject(env.NAMESPACE.get(env.NAMESPACE.idFromName(ns)));
    expect((await json.acquireIP(req, keyed("restart-1"))).ip?.ip).toBe("10.51.0.1");
    expect((await json.acquireIP(req)).ip?.ip).toBe("10.51.0.2");
  });

  it("an error is the recorded answer: the retry gets it again though the call would now succeed", async () => {
    const ns = await namespaceWith("10.52.0.0/30");
    const req = { prefixCidr: "10.52.0.0/30", namespace: ns };
    await json.acquireIP(req);
    await json.acquireIP(req);
    const full = await failure(json.acquireIP(req, keyed("full-1")));
    expect(full.code).toBe("NotFound");
    await json.releaseIP({ ...req, ip: "10.52.0.1" });
    expect(await failure(json.acquireIP(req, keyed("full-1")))).toEqual(full);
    expect((await json.acquireIP(req, keyed("full-2"))).ip?.ip).toBe("10.52.0.1");
  });

  it("the same key with another request is refused with failed_precondition, naming the key; nothing is applied", async () => {
    const ns = await namespaceWith("10.53.0.0/24");
    await json.acquireIP({ prefixCidr: "10.53.0.0/24", namespace: ns }, keyed("reused"));
    const f = await failure(json.acquireIP({ prefixCidr: "10.53.0.0/24", ip: "10.53.0.9", namespace: ns }, keyed("reused")));
    expect(f.code).toBe("FailedPrecondition");
    expect(f.message).toContain('Idempotency-Key "reused" was first sent with a different request');
    expect((await json.listIPs({ prefixCidr: "10.53.0.0/24", namespace: ns })).ips).not.toContain("10.53.0.9");
  });

  it("a malformed key is invalid_argument naming the header; a key on a read changes nothing", async () => {
    const ns = await namespaceWith("10.54.0.0/24");
    for (const bad of ["", "a b", "x".repeat(256), '"unterminated', "ключ"]) {
      const f = await failure(json.acquireIP({ prefixCidr: "10.54.0.0/24", namespace: ns }, keyed(bad)));
      expect([bad, f.code]).toEqual([bad, "InvalidArgument"]);
      expect(f.message).toContain("invalid Idempotency-Key header");
    }
    expect((await json.listPrefixes({ namespace: ns }, keyed("read-1"))).prefixes.length).toBe(1);
    expect((await json.acquireIP({ prefixCidr: "10.54.0.0/24", namespace: ns }, keyed("read-1"))).ip?.ip).toBe("10.54.0.1");
  });
});

describeOnExternalStores("Idempotency-Key when the store fails", () => {
  afterEach(async () => {
    await storeFault("resume");
  });

  it("an acquire whose outcome was lost to a stopped store is settled by retrying with its key: one address, never two", async () => {
    const ns = await namespaceWith("10.55.0.0/24");
    const req = { prefixCidr: "10.55.0.0/24", namespace: ns };
    await json.listPrefixes({ namespace: ns }); // loaded
    await storeFault("pause");
    const lost = await failure(json.acquireIP(req, keyed("lost-1", 1_500)));
    expect(["DeadlineExceeded", "Unavailable"]).toContain(lost.code);
    await storeFault("resume");
    let retried;
    for (let i = 0; i < 60; i++) {
      try {
        retried = await json.acquireIP(req, keyed("lost-1", 8_000));
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    expect(retried?.ip?.ip).toBe("10.55.0.1");
    expect((await json.acquireIP(req, keyed("lost-1"))).ip?.ip).toBe("10.55.0.1");
    expect((await json.listIPs(req)).ips).toEqual(["10.55.0.0", "10.55.0.1", "10.55.0.255"]);
  });
});
