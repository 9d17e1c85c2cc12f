// Every RPC of the service through real Connect clients (Connect JSON, Connect binary, gRPC-Web) against the
// MongoDB build of the Worker inside workerd, persisting to the project's MongoDB; then a new Worker (new
// Durable Objects, same database) finds everything again, and Dump/Load move a namespace between names.
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Protocol, type RunningWorker, SERVER_KIND, startWorker, uniqueNamespace } from "./harness";

let worker: RunningWorker;

beforeAll(async () => {
  worker = await startWorker();
});
afterAll(() => worker?.close());

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return Code[ConnectError.from(e).code];
  }
  return "OK";
}

describe(`the service on the MongoDB store (${SERVER_KIND})`, () => {
  for (const protocol of ["connect-json", "connect-proto", "grpc-web"] as Protocol[]) {
    it(`${protocol}: every RPC, with the state in the store`, async () => {
      const api = worker.client(protocol);
      const namespace = uniqueNamespace(protocol);
      await api.createNamespace({ namespace });
      expect((await api.listNamespaces({})).namespace).toContain(namespace);
      expect((await api.createPrefix({ cidr: "10.1.0.1/16", namespace })).prefix?.cidr).toBe("10.1.0.0/16");
      expect((await api.getPrefix({ cidr: "10.1.0.0/16", namespace })).prefix?.cidr).toBe("10.1.0.0/16");
      expect(await code(api.createPrefix({ cidr: "10.1.2.0/24", namespace }))).toBe("InvalidArgument"); // overlaps
      const child = (await api.acquireChildPrefix({ cidr: "10.1.0.0/16", length: 24, namespace })).prefix!;
      expect(child).toMatchObject({ cidr: "10.1.0.0/24", parentCidr: "10.1.0.0/16" });
      const ip = (await api.acquireIP({ prefixCidr: child.cidr, namespace })).ip!;
      expect(ip.ip).toBe("10.1.0.1");
      expect((await api.acquireIP({ prefixCidr: child.cidr, ip: "10.1.0.77", namespace })).ip?.ip).toBe("10.1.0.77");
      expect(await code(api.acquireIP({ prefixCidr: child.cidr, ip: "10.1.0.77", namespace }))).toBe("AlreadyExists");
      expect((await api.listIPs({ prefixCidr: child.cidr, namespace })).ips).toEqual(["10.1.0.0", "10.1.0.1", "10.1.0.77", "10.1.0.255"]);
      const usage = await api.prefixUsage({ cidr: child.cidr, namespace });
      expect(usage.acquiredIps).toBe(4n);
      expect((await api.listPrefixes({ namespace })).prefixes.map((p) => p.cidr).sort()).toEqual(["10.1.0.0/16", "10.1.0.0/24"]);
      const dump = (await api.dump({ namespace })).dump;
      expect(JSON.parse(dump)).toHaveLength(2);
      expect((await api.releaseIP({ prefixCidr: child.cidr, ip: "10.1.0.77", namespace })).ip?.ip).toBe("10.1.0.77");
      await api.releaseIP({ prefixCidr: child.cidr, ip: "10.1.0.1", namespace });
      expect(await code(api.deleteNamespace({ namespace }))).toBe("FailedPrecondition"); // still holds prefixes
      expect((await api.releaseChildPrefix({ cidr: child.cidr, namespace })).prefix?.cidr).toBe(child.cidr);
      expect((await api.deletePrefix({ cidr: "10.1.0.0/16", namespace })).prefix?.cidr).toBe("10.1.0.0/16");
      // Load the dump into a fresh namespace: the same prefixes and addresses, from the store.
      const copy = uniqueNamespace(`${protocol}-copy`);
      await api.createNamespace({ namespace: copy });
      await api.load({ dump, namespace: copy });
      expect((await api.listIPs({ prefixCidr: child.cidr, namespace: copy })).ips).toEqual(["10.1.0.0", "10.1.0.1", "10.1.0.77", "10.1.0.255"]);
      await api.deleteNamespace({ namespace });
      expect((await api.listNamespaces({})).namespace).not.toContain(namespace);
      expect((await api.version({})).version).not.toBe("");
    });
  }

  it("a new Worker (new Durable Objects, the same database) finds every allocation, and hands out none again", async () => {
    const api = worker.client();
    const namespace = uniqueNamespace("restart");
    await api.createNamespace({ namespace });
    await api.createPrefix({ cidr: "10.9.0.0/24", namespace });
    const taken = await Promise.all(Array.from({ length: 20 }, async () => (await api.acquireIP({ prefixCidr: "10.9.0.0/24", namespace })).ip!.ip));
    await worker.close();
    worker = await startWorker();
    const again = worker.client();
    expect(new Set((await again.listIPs({ prefixCidr: "10.9.0.0/24", namespace })).ips)).toEqual(new Set(["10.9.0.0", "10.9.0.255", ...taken]));
    const next = (await again.acquireIP({ prefixCidr: "10.9.0.0/24", namespace })).ip!.ip;
    expect(taken).not.toContain(next);
    expect((await again.listNamespaces({})).namespace).toContain(namespace);
  });
});
