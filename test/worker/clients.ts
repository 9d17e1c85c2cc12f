// Real Connect clients (connect-web transports) pointed at the Worker under test via SELF.fetch.
import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { type Client, Code, ConnectError, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { IpamService } from "../../src/gen/api/v1/ipam_pb";
import type { Env } from "../../worker/env";
import worker from "../../worker/index";

export const ADMIN = "test-admin";
/** May use tenant-a only. */
export const TENANT = "test-tenant";

export type Protocol = "connect-json" | "connect-proto" | "grpc-web";
export const PROTOCOLS: Protocol[] = ["connect-json", "connect-proto", "grpc-web"];

export type Fetcher = (req: Request) => Promise<Response>;

/** Calls the Worker's fetch handler directly, with `overrides` on top of the test bindings. */
export function withEnv(overrides: Partial<Env>): Fetcher {
  return async (req) => {
    const ctx = createExecutionContext();
    const res = await worker.fetch(req, { ...env, ...overrides } as Env, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  };
}

/** connect-web sends redirect:"error", which workerd refuses: send "manual". */
export function viaFetcher(fetcher: Fetcher = (r) => SELF.fetch(r)): typeof fetch {
  return (input, init) => fetcher(new Request(input as RequestInfo, { ...init, redirect: "manual" }));
}

/** Sends `Authorization: Bearer <token>`; null sends no Authorization header. */
export function bearer(token: string | null): Interceptor {
  return (next) => (req) => {
    if (token !== null) req.header.set("Authorization", `Bearer ${token}`);
    return next(req);
  };
}

export function transport(protocol: Protocol, token: string | null = ADMIN, fetcher?: Fetcher): Transport {
  const opts = { baseUrl: "http://ipam.test", fetch: viaFetcher(fetcher), interceptors: [bearer(token)] };
  return protocol === "grpc-web"
    ? createGrpcWebTransport({ ...opts, useBinaryFormat: true })
    : createConnectTransport({ ...opts, useBinaryFormat: protocol === "connect-proto" });
}

export type IpamClient = Client<typeof IpamService>;

export function client(protocol: Protocol, token: string | null = ADMIN, fetcher?: Fetcher): IpamClient {
  return createClient(IpamService, transport(protocol, token, fetcher));
}

/** The Connect error a call fails with (fails the test if it succeeds). */
export async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = ConnectError.from(e);
    return { code: Code[err.code], message: err.rawMessage };
  }
  throw new Error("expected the call to fail");
}

let n = 0;
/** A namespace name no other test uses. */
export function uniqueNamespace(prefix = "t"): string {
  return `${prefix}-${Date.now().toString(36)}-${(n++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** POST a raw body to an RPC (Connect protocol unless the content type says otherwise). */
export function rawCall(
  rpc: string,
  body: BodyInit | null,
  opts: { contentType?: string; token?: string | null; fetcher?: Fetcher; headers?: Record<string, string> } = {},
): Promise<Response> {
  const headers = new Headers(opts.headers);
  headers.set("content-type", opts.contentType ?? "application/json");
  const token = opts.token === undefined ? ADMIN : opts.token;
  if (token !== null) headers.set("authorization", `Bearer ${token}`);
  const req = new Request(`http://ipam.test/api.v1.IpamService/${rpc}`, { method: "POST", body, headers });
  return (opts.fetcher ?? ((r) => SELF.fetch(r)))(req);
}
