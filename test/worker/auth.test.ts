// Auth: bearer tokens from IPAM_TOKENS, over every protocol; the unconfigured and misconfigured Worker;
// tokens kept out of logs; /metrics.
import { SELF } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parseTokens, UNCONFIGURED_MESSAGE } from "../../worker/auth";
import { ADMIN, client, failure, PROTOCOLS, rawCall, TENANT, uniqueNamespace, withEnv } from "./clients";


describe.each(PROTOCOLS)("tokens over %s", (protocol) => {
  it("no token and a wrong token are unauthenticated", async () => {
    for (const token of [null, "wrong-token", ""]) {
      const f = await failure(client(protocol, token).listPrefixes({}));
      expect(f.code).toBe("Unauthenticated");
    }
    expect((await failure(client(protocol, null).version({}))).message).toMatch(/Authorization: Bearer/);
  });

  it("a scoped token uses its namespaces only, and no admin RPC", async () => {
    const admin = client(protocol, ADMIN);
    const tenant = client(protocol, TENANT);
    await admin.createNamespace({ namespace: "tenant-a" });
    const other = uniqueNamespace("other");
    await admin.createNamespace({ namespace: other });

    const cidr = `10.${PROTOCOLS.indexOf(protocol) + 100}.0.0/24`;
    await tenant.createPrefix({ cidr, namespace: "tenant-a" });
    expect((await tenant.acquireIP({ prefixCidr: cidr, namespace: "tenant-a" })).ip?.ip).toMatch(/^10\./);
    expect((await tenant.version({})).version).not.toBe("");

    // Other namespaces, root (the default) included: permission_denied, before anything happens.
    for (const call of [
      () => tenant.listPrefixes({ namespace: other }),
      () => tenant.listPrefixes({}),
      () => tenant.createPrefix({ cidr: "10.200.0.0/24", namespace: other }),
      () => tenant.acquireIP({ prefixCidr: cidr, namespace: other }),
    ]) {
      expect(await failure(call())).toEqual({ code: "PermissionDenied", message: expect.stringMatching(/no access to namespace/) });
    }
    expect((await admin.listPrefixes({ namespace: other })).prefixes).toEqual([]);

    // Admin RPCs need "*", even on the token's own namespace.
    for (const call of [
      () => tenant.createNamespace({ namespace: "tenant-a" }),
      () => tenant.deleteNamespace({ namespace: "tenant-a" }),
      () => tenant.dump({ namespace: "tenant-a" }),
      () => tenant.load({ dump: "[]", namespace: "tenant-a" }),
    ]) {
      expect((await failure(call())).code).toBe("PermissionDenied");
    }

    // ListNamespaces: a scoped token sees only its own.
    expect((await tenant.listNamespaces({})).namespace).toEqual(["tenant-a"]);
    expect((await admin.listNamespaces({})).namespace).toEqual(expect.arrayContaining(["tenant-a", other, "root"]));
  });
});

describe("without tokens", () => {
  it("refuses every call, saying how to configure tokens", async () => {
    for (const IPAM_TOKENS of [undefined, "", "  ", "{}"]) {
      const fetcher = withEnv({ IPAM_TOKENS, IPAM_AUTH: "enabled" });
      for (const protocol of PROTOCOLS) {
        for (const token of [null, ADMIN]) {
          const f = await failure(client(protocol, token, fetcher).listPrefixes({}));
          expect(f).toEqual({ code: "Unauthenticated", message: UNCONFIGURED_MESSAGE });
        }
      }
    }
    expect(UNCONFIGURED_MESSAGE).toContain("wrangler secret put IPAM_TOKENS");
    expect(UNCONFIGURED_MESSAGE).toContain('{"<admin-token>":"*"');
  });

  it("serves everyone when IPAM_AUTH=disabled (the seed's call verbatim)", async () => {
    const fetcher = withEnv({ IPAM_TOKENS: undefined, IPAM_AUTH: "disabled" });
    const res = await rawCall("ListPrefixes", "{}", { token: null, fetcher });
    expect(res.status).toBe(200);
    for (const protocol of PROTOCOLS) expect((await client(protocol, null, fetcher).listNamespaces({})).namespace).toContain("root");
  });

  it("reports a malformed IPAM_TOKENS clearly, without quoting any token", async () => {
    const secret = "s3cr3t-token-value";
    const bad = [
      `{"${secret}": `, // not JSON
      `["${secret}"]`, // not an object
      `{"${secret}": 5}`, // bad grant
      `{"${secret}": ["ok", 7]}`, // bad namespace entry
      `{"${secret}": ["has space"]}`, // invalid namespace name
      `{" ${secret}": "*"}`, // whitespace in the token
    ];
    for (const IPAM_TOKENS of bad) {
      const parsed = parseTokens(IPAM_TOKENS);
      expect(parsed.ok).toBe(false);
      const fetcher = withEnv({ IPAM_TOKENS, IPAM_AUTH: "enabled" });
      for (const protocol of PROTOCOLS) {
        const f = await failure(client(protocol, secret, fetcher).listPrefixes({}));
        expect(f.code).toBe("Internal");
        expect(f.message).toMatch(/^server misconfigured: .*IPAM_TOKENS/);
        expect(f.message).not.toContain(secret);
      }
    }
  });

  it("parses grants", () => {
    const p = parseTokens(JSON.stringify({ a: "*", b: ["x", "y"], c: ["*"], d: [] }));
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    const m = new Map(p.tokens);
    expect(m.get("a")?.all).toBe(true);
    expect([m.get("b")?.all, [...(m.get("b")?.namespaces ?? [])]]).toEqual([false, ["x", "y"]]);
    expect(m.get("c")?.all).toBe(true);
    expect([m.get("d")?.all, m.get("d")?.namespaces.size]).toEqual([false, 0]);
  });

  it("accepts the scheme in any case, and nothing but Bearer", async () => {
    for (const [header, ok] of [
      [`bearer ${ADMIN}`, true],
      [`BEARER   ${ADMIN}  `, true],
      [`Basic ${btoa(`${ADMIN}:`)}`, false],
      [ADMIN, false],
      [`Bearer ${ADMIN} extra`, false],
    ] as const) {
      const res = await rawCall("Version", "{}", { token: null, headers: { authorization: header } });
      expect([header, res.status]).toEqual([header, ok ? 200 : 401]);
    }
  });
});

describe("tokens stay out of logs", () => {
  afterEach(() => vi.restoreAllMocks());

  it("logs one JSON line per call with rpc, namespace, code, duration and protocol, and never a token", async () => {
    const lines: string[] = [];
    for (const m of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
        lines.push(args.map(String).join(" "));
      });
    }
    const fetcher = withEnv({ IPAM_CALL_LOG: "all" });
    const wrong = "definitely-wrong-token-123";
    for (const protocol of PROTOCOLS) {
      await client(protocol, ADMIN, fetcher).listPrefixes({});
      await failure(client(protocol, wrong, fetcher).listPrefixes({}));
      await failure(client(protocol, TENANT, fetcher).listPrefixes({ namespace: "root" }));
    }
    vi.restoreAllMocks();
    const calls = lines.filter((l) => l.startsWith("{") && l.includes('"msg":"call"')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(calls.length).toBe(9);
    expect(calls.map((c) => `${c.protocol} ${c.rpc} ${c.code}`)).toEqual(
      PROTOCOLS.flatMap((p) => [`${p} ListPrefixes ok`, `${p} ListPrefixes unauthenticated`, `${p} ListPrefixes permission_denied`]),
    );
    for (const c of calls) expect(typeof c.duration_ms).toBe("number");
    expect(calls.filter((c) => c.namespace === "root").length).toBe(6);
    for (const l of lines) {
      for (const t of [ADMIN, TENANT, wrong]) expect(l).not.toContain(t);
    }
  });
});

describe("IPAM_CALL_LOG", () => {
  afterEach(() => vi.restoreAllMocks());

  it("errors: only failed calls are logged; off: none", async () => {
    for (const [mode, expected] of [["errors", ["unauthenticated"]], ["off", []], ["all", ["ok", "unauthenticated"]]] as const) {
      const codes: string[] = [];
      for (const m of ["log", "warn", "error"] as const) {
        vi.spyOn(console, m).mockImplementation((line: unknown) => {
          if (typeof line === "string" && line.includes('"msg":"call"')) codes.push((JSON.parse(line) as { code: string }).code);
        });
      }
      const fetcher = withEnv({ IPAM_CALL_LOG: mode });
      await client("connect-json", ADMIN, fetcher).version({});
      await failure(client("connect-json", "wrong", fetcher).version({}));
      vi.restoreAllMocks();
      expect([mode, codes]).toEqual([mode, expected]);
    }
  });
});

describe("/metrics", () => {
  it("needs a token; counts calls and errors per RPC and code; adds a namespace's figures on request", async () => {
    expect((await SELF.fetch("http://x/metrics")).status).toBe(401);
    expect((await SELF.fetch("http://x/metrics", { headers: { authorization: "Bearer wrong" } })).status).toBe(401);

    const admin = client("connect-json", ADMIN);
    const ns = uniqueNamespace("m");
    await admin.createNamespace({ namespace: ns });
    await admin.createPrefix({ cidr: "10.5.0.0/24", namespace: ns });
    await admin.acquireIP({ prefixCidr: "10.5.0.0/24", namespace: ns });
    await failure(admin.getPrefix({ cidr: "10.6.0.0/24", namespace: ns }));

    const res = await SELF.fetch(`http://x/metrics?namespace=${ns}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^ipam_rpc_calls_total\{rpc="AcquireIP",code="ok"\} [1-9]\d*$/m);
    expect(text).toMatch(/^ipam_rpc_errors_total\{rpc="GetPrefix",code="not_found",fault="client"\} [1-9]\d*$/m);
    expect(text).not.toMatch(/^ipam_rpc_errors_total\{[^}]*code="ok"/m);
    expect(text).toContain(`ipam_namespace_prefixes{namespace="${ns}"} 1\n`);
    expect(text).toContain(`ipam_namespace_acquired_ips{namespace="${ns}"} 3\n`);
    expect(text).toContain(`ipam_namespace_available_ips{namespace="${ns}"} 256\n`);
    expect(text).toContain(`ipam_namespace_ip_utilisation_ratio{namespace="${ns}"} 0.01171875\n`);
    expect(text).toMatch(/^ipam_isolate_start_time_seconds [1-9]\d+$/m);

    const tenantOwn = await SELF.fetch("http://x/metrics?namespace=tenant-a", { headers: { authorization: `Bearer ${TENANT}` } });
    expect([200, 404]).toContain(tenantOwn.status);
    const tenantOther = await SELF.fetch(`http://x/metrics?namespace=${ns}`, { headers: { authorization: `Bearer ${TENANT}` } });
    expect(tenantOther.status).toBe(403);
    const plain = await SELF.fetch("http://x/metrics", { headers: { authorization: `Bearer ${TENANT}` } });
    expect(plain.status).toBe(200);
    expect(await plain.text()).not.toContain("ipam_namespace_");
    const missing = await SELF.fetch(`http://x/metrics?namespace=${uniqueNamespace("gone")}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(missing.status).toBe(404);
    const bad = await SELF.fetch("http://x/metrics?namespace=bad%20name", { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(bad.status).toBe(400);
  });

  it("/health needs no token", async () => {
    expect((await SELF.fetch("http://x/health")).status).toBe(200);
  });
});
