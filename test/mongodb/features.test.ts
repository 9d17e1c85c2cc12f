// The extensions on the MongoDB store (test/worker/features.test.ts runs on the other stores): labels,
// reservation choice and bulk calls persist, and a new Worker, loading the namespace from the documents,
// answers the same.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Reservation } from "../../src/gen/api/v1/ipam_pb";
import { type IpamClient, type RunningWorker, SERVER_KIND, startWorker, uniqueNamespace } from "./harness";

let worker: RunningWorker;
let api: IpamClient;

beforeAll(async () => {
  worker = await startWorker();
  api = worker.client();
});
afterAll(() => worker?.close());

describe(`labels, reservation and bulk calls on the MongoDB store (${SERVER_KIND})`, () => {
  it("are kept in the documents and read back by a new Worker", async () => {
    const ns = uniqueNamespace("feat");
    await api.createNamespace({ namespace: ns });
    await api.createPrefix({ cidr: "10.60.0.0/24", labels: { pool: "pods" }, namespace: ns });
    await api.createPrefix({ cidr: "10.61.0.0/31", reservation: Reservation.NONE, namespace: ns });
    const got = await api.acquireIPs({ prefixCidr: "10.60.0.0/24", count: 3, labels: { owner: "pod-a" }, namespace: ns });
    expect(got.ips.map((i) => i.ip)).toEqual(["10.60.0.1", "10.60.0.2", "10.60.0.3"]);
    await api.acquireIP({ prefixCidr: "10.60.0.0/24", labels: { owner: "pod-b" }, namespace: ns });

    await worker.close();
    worker = await startWorker();
    api = worker.client();

    expect((await api.getPrefix({ cidr: "10.60.0.0/24", namespace: ns })).prefix?.labels).toEqual({ pool: "pods" });
    expect((await api.getPrefix({ cidr: "10.61.0.0/31", namespace: ns })).prefix?.reservation).toBe(Reservation.NONE);
    const listed = await api.listIPs({ prefixCidr: "10.60.0.0/24", namespace: ns });
    expect(listed.labelledIps.map((i) => `${i.ip} ${i.labels.owner}`)).toEqual(["10.60.0.1 pod-a", "10.60.0.2 pod-a", "10.60.0.3 pod-a", "10.60.0.4 pod-b"]);
    const freed = await api.releaseIPs({ labelSelector: { owner: "pod-a" }, namespace: ns });
    expect(freed.ips.map((i) => i.ip)).toEqual(["10.60.0.1", "10.60.0.2", "10.60.0.3"]);
    expect((await api.acquireIPs({ prefixCidr: "10.61.0.0/31", count: 2, namespace: ns })).ips.map((i) => i.ip)).toEqual(["10.61.0.0", "10.61.0.1"]);

    await worker.close();
    worker = await startWorker();
    api = worker.client();
    expect((await api.listIPs({ prefixCidr: "10.60.0.0/24", namespace: ns })).ips).toEqual(["10.60.0.0", "10.60.0.4", "10.60.0.255"]);
    expect((await api.prefixUsage({ cidr: "10.61.0.0/31", namespace: ns })).acquiredIps).toBe(2n);
  });
});
