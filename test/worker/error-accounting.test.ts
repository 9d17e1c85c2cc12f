// Error accounting is a contract: /metrics and the call log tell "the service is failing" (fault="server",
// logged at error level) from "clients send bad calls" (fault="client", logged at info level). One call of
// each kind, then the counters and the log levels.
import { afterEach, describe, expect, it, vi } from "vitest";
import { faultOf } from "../../worker/fault";
import { isExternalStore, storeFault } from "./backend";
import { ADMIN, client, failure, uniqueNamespace, withEnv } from "./clients";


const logged = withEnv({ IPAM_CALL_LOG: "all" });

/** The call log's lines while `body` runs, with the console method each went to. */
async function capture(body: () => Promise<void>): Promise<{ level: string; entry: Record<string, unknown> }[]> {
  const lines: { level: string; entry: Record<string, unknown> }[] = [];
  for (const level of ["log", "info", "warn", "error"] as const) {
    vi.spyOn(console, level).mockImplementation((line: unknown) => {
      if (typeof line === "string" && line.includes('"msg":"call"')) lines.push({ level, entry: JSON.parse(line) as Record<string, unknown> });
    });
  }
  try {
    await body();
  } finally {
    vi.restoreAllMocks();
  }
  return lines;
}

async function errorCount(rpc: string, code: string, fault: string): Promise<number> {
  const res = await logged(new Request("http://x/metrics", { headers: { authorization: `Bearer ${ADMIN}` } }));
  const m = new RegExp(`^ipam_rpc_errors_total\\{rpc="${rpc}",code="${code}",fault="${fault}"\\} (\\d+)$`, "m").exec(await res.text());
  return m ? Number(m[1]) : 0;
}

const post = (rpc: string, body: BodyInit, headers: Record<string, string> = {}) =>
  new Request(`http://x/api.v1.IpamService/${rpc}`, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN}`, ...headers },
  });

describe("error accounting", () => {
  afterEach(async () => {
    vi.restoreAllMocks();
    if (isExternalStore) await storeFault("resume");
  });

  it("one call of each kind: clients' mistakes are fault=client at info level, the service's failures fault=server at error level", async () => {
    const ns = uniqueNamespace("acct");
    const api = client("connect-json", ADMIN, logged);
    await api.createNamespace({ namespace: ns });
    const cases: { rpc: string; code: string; fault: string; send: () => Promise<unknown> }[] = [
      { rpc: "CreatePrefix", code: "invalid_argument", fault: "client", send: () => failure(api.createPrefix({ cidr: "10.0.0.300/24", namespace: ns })) },
      { rpc: "ListPrefixes", code: "unauthenticated", fault: "client", send: () => failure(client("connect-json", null, logged).listPrefixes({})) },
      { rpc: "GetPrefix", code: "not_found", fault: "client", send: () => failure(api.getPrefix({ cidr: "10.9.0.0/24", namespace: ns })) },
      { rpc: "ListPrefixes", code: "unimplemented", fault: "client", send: () => logged(new Request("http://x/api.v1.IpamService/ListPrefixes")) },
      {
        rpc: "AcquireIP",
        code: "canceled",
        fault: "client",
        // A client that hangs up in the middle of its body.
        send: () => {
          let sent = false;
          const body = new ReadableStream<Uint8Array>({
            pull(c) {
              if (sent) c.error(new Error("connection reset by peer"));
              else (sent = true), c.enqueue(new TextEncoder().encode('{"prefixCidr":'));
            },
          });
          return logged(post("AcquireIP", body));
        },
      },
      {
        rpc: "ListPrefixes",
        code: "internal",
        fault: "server",
        send: () => failure(client("connect-json", ADMIN, withEnv({ IPAM_CALL_LOG: "all", IPAM_STORE: "nope" })).listPrefixes({})),
      },
    ];
    if (isExternalStore) {
      cases.push({
        rpc: "AcquireIP",
        code: "unavailable",
        fault: "server",
        send: async () => {
          await api.createPrefix({ cidr: "10.8.0.0/24", namespace: ns });
          await storeFault("pause");
          try {
            // No deadline of its own: the store's timeout answers it.
            return await failure(api.acquireIP({ prefixCidr: "10.8.0.0/24", namespace: ns }));
          } finally {
            await storeFault("resume");
          }
        },
      });
    }
    for (const c of cases) {
      const before = await errorCount(c.rpc, c.code, c.fault);
      const lines = await capture(async () => {
        await c.send();
      });
      expect(await errorCount(c.rpc, c.code, c.fault), `${c.rpc} ${c.code}`).toBe(before + 1);
      const line = lines.find((l) => l.entry.rpc === c.rpc && l.entry.code === c.code);
      expect(line, `${c.rpc} ${c.code} logged`).toBeDefined();
      expect([c.code, line!.entry.fault, line!.level]).toEqual([c.code, c.fault, c.fault === "server" ? "error" : "log"]);
    }
  });

  it("classifies the codes that can be either by their cause", () => {
    expect(faultOf("resource_exhausted", 'namespace "a" is busy: 1024 calls are already waiting; nothing was applied, retry with backoff')).toBe("server");
    expect(faultOf("resource_exhausted", "message size 9000000 is larger than configured readMaxBytes 8388608")).toBe("client");
    expect(faultOf("deadline_exceeded", "deadline exceeded while waiting for the store, before it ran; nothing was applied")).toBe("server");
    expect(faultOf("deadline_exceeded", "deadline exceeded while its batch was being committed; the outcome is unknown")).toBe("server");
    expect(faultOf("deadline_exceeded", "deadline exceeded before it ran; nothing was applied")).toBe("client");
    expect(faultOf("aborted", "namespace was changed by another writer")).toBe("server");
    expect(faultOf("ok")).toBeUndefined();
  });
});
