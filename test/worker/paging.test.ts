// Paging through the Worker, on every protocol and store: ListIPs pages with next_page_token, a Dump in pages
// that loads back page by page with `append` (and again, changing nothing), tokens checked as input, and
// the one-message limits answered with resource_exhausted. Each namespace is reloaded from the store (its
// object evicted) before what was loaded is checked.
import { env, evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { client, failure, PROTOCOLS, uniqueNamespace } from "./clients";

const reload = (ns: string) => evictDurableObject(env.NAMESPACE.get(env.NAMESPACE.idFromName(ns)));
const store = (env as unknown as { IPAM_STORE?: string }).IPAM_STORE ?? "durable-object";

describe.each(PROTOCOLS)("over %s", (protocol) => {
  const c = client(protocol);

  async function filled(): Promise<string> {
    const ns = uniqueNamespace(`page-${protocol}`);
    await c.createNamespace({ namespace: ns });
    await c.createPrefix({ cidr: "10.30.0.0/22", namespace: ns, labels: { site: "fra" } });
    await c.acquireIPs({ prefixCidr: "10.30.0.0/22", count: 40, namespace: ns });
    await c.acquireIPs({ prefixCidr: "10.30.0.0/22", count: 5, labels: { role: "gw" }, namespace: ns });
    await c.releaseIPs({ prefixCidr: "10.30.0.0/22", ips: ["10.30.0.7", "10.30.0.20"], namespace: ns });
    await c.createPrefix({ cidr: "10.31.0.0/16", namespace: ns });
    const child = (await c.acquireChildPrefix({ cidr: "10.31.0.0/16", length: 28, namespace: ns })).prefix!.cidr;
    await c.acquireIPs({ prefixCidr: child, count: 10, namespace: ns });
    await c.createPrefix({ cidr: "2001:db8:30::/64", namespace: ns });
    await c.acquireIPs({ prefixCidr: "2001:db8:30::/64", count: 12, namespace: ns });
    return ns;
  }

  it("ListIPs pages add up to the unpaged listing, labels included", async () => {
    const ns = await filled();
    const whole = await c.listIPs({ prefixCidr: "10.30.0.0/22", namespace: ns });
    const ips: string[] = [];
    const labelled: string[] = [];
    let token = "";
    let pages = 0;
    do {
      const page = await c.listIPs({ prefixCidr: "10.30.0.0/22", pageSize: 8, pageToken: token, namespace: ns });
      expect(page.ips.length).toBeLessThanOrEqual(8);
      ips.push(...page.ips);
      labelled.push(...page.labelledIps.map((l) => `${l.ip}:${l.labels.role}`));
      token = page.nextPageToken;
      pages++;
    } while (token !== "");
    expect(ips).toEqual(whole.ips);
    expect(labelled).toEqual(whole.labelledIps.map((l) => `${l.ip}:${l.labels.role}`));
    expect(pages).toBe(Math.ceil(whole.ips.length / 8));
    expect(whole.nextPageToken).toBe("");
  });

  it("a page token is checked: from this listing, with a page size, not forged", async () => {
    const ns = await filled();
    const first = await c.listIPs({ prefixCidr: "10.30.0.0/22", pageSize: 4, namespace: ns });
    expect(await failure(c.listIPs({ prefixCidr: "2001:db8:30::/64", pageSize: 4, pageToken: first.nextPageToken, namespace: ns }))).toEqual({
      code: "InvalidArgument",
      message: 'invalid page_token: it continues a listing of "10.30.0.0/22", not of prefix_cidr "2001:db8:30::/64"',
    });
    expect(await failure(c.listIPs({ prefixCidr: "10.30.0.0/22", pageToken: first.nextPageToken, namespace: ns }))).toMatchObject({
      code: "InvalidArgument",
      message: expect.stringMatching(/^page_token is set but page_size is 0/),
    });
    for (const token of ["not a token", "eyJ4IjoxfQ", "%%%"])
      expect(await failure(c.listIPs({ prefixCidr: "10.30.0.0/22", pageSize: 4, pageToken: token, namespace: ns }))).toEqual({
        code: "InvalidArgument",
        message: "invalid page_token: not a token this service gave out",
      });
    expect(await failure(c.listIPs({ prefixCidr: "10.30.0.0/22", pageSize: 100_001, namespace: ns }))).toEqual({
      code: "InvalidArgument",
      message: "page_size must be from 1 to 100000, got 100001",
    });
    expect(await failure(c.dump({ pageSize: 5, pageToken: "bm9wZQ", namespace: ns }))).toMatchObject({ code: "InvalidArgument" });
  });

  it("a paged Dump loads back with append, page by page, and again without changing anything", async () => {
    const source = await filled();
    const pages: string[] = [];
    let token = "";
    do {
      const page = await c.dump({ pageSize: 9, pageToken: token, namespace: source });
      expect(JSON.parse(page.dump).format).toBe("edge-ipam/v1");
      pages.push(page.dump);
      token = page.nextPageToken;
    } while (token !== "");
    expect(pages.length).toBeGreaterThan(5);
    const target = uniqueNamespace(`page-copy-${protocol}`);
    await c.createNamespace({ namespace: target });
    for (const dump of pages) await c.load({ dump, append: true, namespace: target });
    await reload(target);
    const want = (await c.dump({ namespace: source })).dump;
    expect((await c.dump({ namespace: target })).dump).toBe(want);
    for (const dump of pages) await c.load({ dump, append: true, namespace: target });
    await reload(target);
    expect((await c.dump({ namespace: target })).dump).toBe(want);
    // a page that contradicts what is there is refused, and nothing of it stays
    const bad = JSON.stringify({ format: "edge-ipam/v1", prefixes: [{ cidr: "172.30.0.0/24", parentCidr: "", ips: ["172.30.0.0", "172.30.0.255"] }, { cidr: "10.30.0.0/22", parentCidr: "", ips: [] }] });
    expect(await failure(c.load({ dump: bad, append: true, namespace: target }))).toEqual({
      code: "InvalidArgument",
      message: "invalid dump: prefix 10.30.0.0/22 exists already with another parent, labels or reservation",
    });
    expect((await c.dump({ namespace: target })).dump).toBe(want);
    await reload(target);
    expect((await c.dump({ namespace: target })).dump).toBe(want);
  });
});

describe.runIf(store === "durable-object")("one-message limits", () => {
  const c = client("connect-proto");
  it("an unpaged ListIPs or Dump of more than 200,000 addresses is refused with resource_exhausted; pages work", async () => {
    const ns = uniqueNamespace("page-big");
    await c.createNamespace({ namespace: ns });
    await c.createPrefix({ cidr: "10.0.0.0/8", namespace: ns });
    for (let i = 0; i < 49; i++) await c.acquireIPs({ prefixCidr: "10.0.0.0/8", count: 4096, namespace: ns });
    expect(await failure(c.listIPs({ prefixCidr: "10.0.0.0/8", namespace: ns }))).toEqual({
      code: "ResourceExhausted",
      message: "prefix 10.0.0.0/8 holds 200706 addresses, more than the 200000 one message may carry: list its ips in pages with page_size (the CLI's ip list does)",
    });
    expect(await failure(c.dump({ namespace: ns }))).toEqual({
      code: "ResourceExhausted",
      message: "the namespace holds 200706 addresses, more than the 200000 one message may carry: dump it in pages with page_size (the CLI's backup create does)",
    });
    let token = "";
    let count = 0;
    do {
      const page = await c.listIPs({ prefixCidr: "10.0.0.0/8", pageSize: 100_000, pageToken: token, namespace: ns });
      count += page.ips.length;
      token = page.nextPageToken;
    } while (token !== "");
    expect(count).toBe(200_706);
  });
});
