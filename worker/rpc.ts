// Connect (JSON and binary) and gRPC-Web for api.v1.IpamService, as a fetch handler.
//
// One router per isolate; everything that depends on the request or the bindings (backend, caller's
// access, version, the call record for logs and metrics) travels as Connect context values.
// Plain gRPC needs HTTP/2 with trailers, which a Worker cannot answer: it is not enabled, so a gRPC
// request gets 415 and go-ipam Go clients switch to connect.WithGRPCWeb() or drop connect.WithGRPC().
// Requests that are no RPC call (unknown RPC, wrong method, wrong content type) get a JSON error body that
// says what to send.

import { Code, ConnectError, createConnectRouter, createContextKey, createContextValues, type Interceptor } from "@connectrpc/connect";
import {
  universalServerRequestFromFetch,
  universalServerResponseToFetch,
  type UniversalHandler,
} from "@connectrpc/connect/protocol";
import { codeFromHttpStatus, codeToHttpStatus, codeToString, errorToJsonBytes } from "@connectrpc/connect/protocol-connect";
import { setTrailerStatus, trailerFlag, trailerParse, trailerSerialize } from "@connectrpc/connect/protocol-grpc-web";
import { IpamService } from "../src/gen/api/v1/ipam_pb";
import { type Access, type CallRecord, createIpamService, type IpamBackend, kAccess, kBackend, kCall, kVersion, type VersionInfo } from "../src/service/index";
import { checkBinaryMessage, checkGrpcWebBody } from "../src/service/strict-binary";
import { type AuthConfig, authenticate } from "./auth";

/** Request bodies above this are refused with resource_exhausted before they are parsed. */
export const READ_MAX_BYTES = 8 * 1024 * 1024;

const kAuthConfig = createContextKey<Promise<AuthConfig> | undefined>(undefined, { description: "auth config" });
/** The caller was authenticated (and kAccess set) before connect-es took the request. */
const kAuthenticated = createContextKey<boolean>(false, { description: "authenticated" });

/** Note the outcome of the implementation (interceptors see it; request-gate and parse errors are not). */
const recordOutcome: Interceptor = (next) => async (req) => {
  const call = req.contextValues.get(kCall);
  try {
    const res = await next(req);
    if (call) call.code = "ok";
    return res;
  } catch (e) {
    throw recordError(call, e);
  }
};

/** Notes an error's code and message on the call record, for the log line and metrics. */
function recordError(call: CallRecord | undefined, e: unknown): ConnectError {
  const err = ConnectError.from(e);
  if (call) {
    call.code = codeToString(err.code);
    call.error = err.rawMessage;
  }
  return err;
}

const router = createConnectRouter({
  connect: true,
  grpcWeb: true,
  grpc: false,
  readMaxBytes: READ_MAX_BYTES,
  requireConnectProtocolHeader: false,
  interceptors: [recordOutcome],
  // Runs after the headers arrive and before the body is read: unauthenticated calls are never parsed.
  async requestGate(ctx) {
    const call = ctx.values.get(kCall);
    if (ctx.values.get(kAuthenticated)) return; // checkedBody() already did, before reading the body
    try {
      const config = ctx.values.get(kAuthConfig);
      if (!config) throw new ConnectError("auth is not set up", Code.Internal);
      ctx.values.set(kAccess, await authenticate(await config, ctx.requestHeader.get("authorization")));
    } catch (e) {
      throw recordError(call, e);
    }
  },
});
router.service(IpamService, createIpamService());

const handlers = new Map<string, UniversalHandler>(router.handlers.map((h) => [h.requestPath, h]));

const SERVICE_PATH = `/${IpamService.typeName}/`;
const RPC_NAMES = IpamService.methods.map((m) => m.name).join(", ");
const EXAMPLE_CALL = `curl -X POST -H 'Content-Type: application/json' -d '{}' <endpoint>${SERVICE_PATH}ListPrefixes`;
const CONTENT_TYPES =
  "send Content-Type: application/json (Connect JSON), application/proto (Connect binary) or application/grpc-web+proto (gRPC-Web); plain gRPC is not served";

/** A request that is no RPC call: counted as unimplemented, answered with a Connect error saying what to send. */
function notAnRpc(call: CallRecord, status: number, message: string): Response {
  call.code = "unimplemented";
  call.error = message;
  return new Response(errorToJsonBytes(new ConnectError(message, Code.Unimplemented), {}), {
    status,
    headers: { "content-type": "application/json" },
  });
}

/** The RPC's name for logs and metrics (bounded: unknown paths are "unknown"). */
export function rpcName(path: string): string {
  return handlers.get(path)?.method.name ?? "unknown";
}

export function protocolOf(contentType: string | null): string {
  const ct = (contentType ?? "").toLowerCase();
  if (ct.startsWith("application/grpc-web")) return "grpc-web";
  if (ct.startsWith("application/grpc")) return "grpc";
  if (/^application\/(connect\+)?json/.test(ct)) return "connect-json";
  if (/^application\/(connect\+)?proto/.test(ct)) return "connect-proto";
  return "unknown";
}

export interface RpcDeps {
  backend: IpamBackend;
  auth: Promise<AuthConfig>;
  version: VersionInfo;
}

export interface RpcResult {
  response: Response;
  call: CallRecord;
}

/** Serve one request to /api.v1.IpamService/<Rpc>. */
export async function serveRpc(request: Request, deps: RpcDeps): Promise<RpcResult> {
  const call: CallRecord = {};
  const path = new URL(request.url).pathname;
  const handler = handlers.get(path);
  if (!handler) {
    const name = path.slice(SERVICE_PATH.length);
    return { response: notAnRpc(call, 404, `no RPC ${JSON.stringify(name)} in ${IpamService.typeName}; it has ${RPC_NAMES}`), call };
  }
  const checked = await checkedBody(request, handler, deps.auth);
  if ("error" in checked) {
    call.code = codeToString(checked.error.code);
    call.error = checked.error.rawMessage;
    const like = new Response(null, { headers: { "content-type": request.headers.get("content-type") ?? "" } });
    return { response: errorResponse(like, checked.error), call };
  }
  request = checked.request;
  const values = createContextValues()
    .set(kCall, call)
    .set(kBackend, deps.backend)
    .set(kAuthConfig, deps.auth)
    .set(kVersion, deps.version);
  if (checked.access) values.set(kAccess, checked.access).set(kAuthenticated, true);
  const uReq = universalServerRequestFromFetch(request, { httpVersion: "1.1" });
  uReq.contextValues = values;
  let response: Response;
  try {
    response = universalServerResponseToFetch(await handler(uReq));
  } catch (e) {
    // The handlers answer errors themselves; this is a last line of defence.
    call.code = "internal";
    call.error = e instanceof Error ? e.message : String(e);
    response = new Response(null, { status: 500 });
  }
  if (uReq.body !== null && typeof uReq.body === "object" && Symbol.asyncIterator in uReq.body) await drainUnread(uReq.body);
  // connect-es answers a wrong method or content type with an empty body; say what to send instead.
  if (response.status === 405) {
    response = notAnRpc(call, 405, `HTTP method ${request.method} is not served: call an RPC with POST and a body, e.g. ${EXAMPLE_CALL}`);
    response.headers.set("allow", "POST");
  } else if (response.status === 415) {
    const ct = request.headers.get("content-type");
    response = notAnRpc(call, 415, `${ct === null ? "no Content-Type" : `unsupported Content-Type ${JSON.stringify(ct)}`}: ${CONTENT_TYPES}`);
  }
  if (call.code === undefined) {
    const { code, message } = await outcomeOfResponse(response);
    call.code = code;
    if (message !== undefined) call.error = message;
    // connect-es reports a request body that is not valid protobuf, or a compressed gRPC-Web frame without
    // a grpc-encoding, as `internal`, and a gRPC-Web body with no or two messages for a unary RPC as
    // `unimplemented`. Both are the client's bad
    // input (connect-go says invalid_argument for the first), and nothing ran: say so.
    if (message !== undefined && isBadBodyError(code, message)) {
      const err = new ConnectError(`invalid request body: ${message}`, Code.InvalidArgument);
      call.code = codeToString(err.code);
      call.error = err.rawMessage;
      response = errorResponse(response, err);
    }
  }
  return { response, call };
}

/**
 * The body of an authenticated call is read here (a refused caller's body is never read), so that a client
 * that hangs up mid-body is told apart as `canceled`, and a binary body (Connect proto, gRPC-Web proto) is
 * checked strictly (src/service/strict-binary.ts) before connect-es decodes it. An oversized or compressed
 * body is left to connect-es to refuse.
 */
async function checkedBody(
  request: Request,
  handler: UniversalHandler,
  auth: Promise<AuthConfig>,
): Promise<{ request: Request; access?: Access } | { error: ConnectError }> {
  if (request.body === null) return { request };
  let access: Access;
  try {
    access = await authenticate(await auth, request.headers.get("authorization"));
  } catch {
    return { request }; // the request gate refuses it without reading the body
  }
  let bytes: Uint8Array;
  try {
    bytes = await readUpTo(request.body, READ_MAX_BYTES + 1);
  } catch (e) {
    return { error: new ConnectError(`the client went away before sending the whole request body: ${(e as Error).message ?? e}`, Code.Canceled) };
  }
  const again = new Request(request, { body: bytes });
  const ct = (request.headers.get("content-type") ?? "").toLowerCase();
  const grpcWeb = /^application\/grpc-web(\+proto)?(;|$)/.test(ct);
  const binary = grpcWeb || /^application\/(connect\+)?proto(;|$)/.test(ct);
  const encoding = (request.headers.get(grpcWeb ? "grpc-encoding" : "content-encoding") ?? "identity").toLowerCase();
  if (!binary || encoding !== "identity" || bytes.length > READ_MAX_BYTES) return { request: again, access };
  const problem = grpcWeb ? checkGrpcWebBody(handler.method.input, bytes) : checkBinaryMessage(handler.method.input, bytes);
  return problem ? { error: new ConnectError(`invalid request body: ${problem}`, Code.InvalidArgument) } : { request: again, access };
}

/** The body's bytes, at most `limit` of them (the rest is cancelled). */
async function readUpTo(body: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < limit) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  if (size >= limit) await reader.cancel().catch(() => {});
  const out = new Uint8Array(Math.min(size, limit));
  let off = 0;
  for (const c of chunks) {
    const n = Math.min(c.byteLength, out.length - off);
    out.set(c.subarray(0, n), off);
    off += n;
  }
  return out;
}

function isBadBodyError(code: string, message: string): boolean {
  if (code === "internal") {
    return /^(parse binary:|received compressed envelope, but do not know how to decompress|invalid envelope)/.test(message);
  }
  if (code === "unimplemented") return /^protocol error: (missing|received extra) input message/.test(message);
  return false;
}

/**
 * Reads what is left of a request body the handler did not consume (a call refused before its body was read,
 * e.g. a bad token). workerd cannot drain a body that connect has locked to its reader, and then closes the
 * connection, which clients still sending see as a broken pipe instead of the answer. Bodies beyond the read
 * limit are cancelled instead.
 */
async function drainUnread(body: AsyncIterable<Uint8Array>): Promise<void> {
  const it = body[Symbol.asyncIterator]();
  let read = 0;
  try {
    for (;;) {
      const chunk = await it.next();
      if (chunk.done) return;
      read += chunk.value.byteLength;
      if (read > READ_MAX_BYTES) {
        await it.throw?.(new Error("request body over the limit"));
        return;
      }
    }
  } catch {
    // the client went away; nothing left to drain
  }
}

/** An error response in the protocol of `like` (gRPC-Web: status in a trailer frame; Connect: JSON body). */
function errorResponse(like: Response, err: ConnectError): Response {
  const ct = like.headers.get("content-type") ?? "";
  if (ct.startsWith("application/grpc-web")) {
    const trailer = trailerSerialize(setTrailerStatus(new Headers(), err));
    const body = new Uint8Array(5 + trailer.length);
    body[0] = trailerFlag;
    new DataView(body.buffer).setUint32(1, trailer.length);
    body.set(trailer, 5);
    return new Response(body, { status: 200, headers: { "content-type": ct } });
  }
  return new Response(errorToJsonBytes(err, {}), {
    status: codeToHttpStatus(err.code),
    headers: { "content-type": "application/json" },
  });
}

/**
 * The Connect code of a response the implementation did not answer itself (a malformed body, a body over
 * the limit, an unsupported content type). Reads a clone of the (small) error body.
 */
async function outcomeOfResponse(res: Response): Promise<{ code: string; message?: string }> {
  const ct = res.headers.get("content-type") ?? "";
  if (ct.startsWith("application/grpc-web")) {
    const h = res.headers.get("grpc-status");
    if (h !== null) return { code: grpcCode(h), message: decodeGrpcMessage(res.headers.get("grpc-message")) };
    const bytes = new Uint8Array(await res.clone().arrayBuffer());
    let off = 0;
    while (off + 5 <= bytes.length) {
      const flag = bytes[off];
      const len = new DataView(bytes.buffer, bytes.byteOffset + off + 1, 4).getUint32(0);
      if ((flag & trailerFlag) === trailerFlag) {
        const trailer = trailerParse(bytes.subarray(off + 5, off + 5 + len));
        return { code: grpcCode(trailer.get("grpc-status")), message: decodeGrpcMessage(trailer.get("grpc-message")) };
      }
      off += 5 + len;
    }
    return { code: "unknown" };
  }
  if (res.status === 200) return { code: "ok" };
  if (ct.startsWith("application/json")) {
    try {
      const body = (await res.clone().json()) as { code?: unknown; message?: unknown };
      if (typeof body.code === "string") {
        return { code: body.code, message: typeof body.message === "string" ? body.message : undefined };
      }
    } catch {
      // fall through
    }
  }
  return { code: codeToString(codeFromHttpStatus(res.status)) };
}

function grpcCode(status: string | null): string {
  if (status === null) return "unknown";
  if (status === "0") return "ok";
  const n = Number(status);
  return Number.isInteger(n) && n > 0 && n <= 16 ? codeToString(n as Code) : "unknown";
}

function decodeGrpcMessage(m: string | null): string | undefined {
  if (m === null) return undefined;
  try {
    return decodeURIComponent(m);
  } catch {
    return m;
  }
}
