// The Worker: go-ipam's API (Connect JSON, Connect binary, gRPC-Web) on /api.v1.IpamService/*, plus
// /health and /metrics. One Durable Object per namespace does the work (worker/namespaces.ts).

import { Code, ConnectError } from "@connectrpc/connect";
import { Hono } from "hono";
import { checkNamespaceName, isIpamError } from "../src/core/index";
import { mayUse } from "../src/service/index";
import { authConfig, authenticate } from "./auth";
import { backendFor } from "./backend";
import { faultOf } from "./fault";
import { health, healthResponse } from "./health";
import type { Env } from "./env";
import { logCall, logNotice } from "./log";
import { metrics } from "./metrics";
import { namespaceStats } from "./namespaces";
import { protocolOf, rpcName, serveRpc } from "./rpc";
import { VERSION } from "./version";

export { NamespaceObject } from "./namespace-object";
export { DirectoryObject } from "./directory-object";

let warnedDisabled = false;

const app = new Hono<{ Bindings: Env }>();

app.get("/health", async (c) => healthResponse(await health(c.env)));

app.get("/metrics", async (c) => {
  const env = c.env;
  let access;
  try {
    access = await authenticate(await authConfig(env), c.req.header("authorization") ?? null);
  } catch (e) {
    const err = ConnectError.from(e);
    return c.text(`${err.rawMessage}\n`, err.code === Code.Internal ? 500 : 401);
  }
  const name = c.req.query("namespace");
  if (name === undefined) return metricsResponse(metrics.render());
  try {
    checkNamespaceName(name);
  } catch (e) {
    if (isIpamError(e)) return c.text(`${e.message}\n`, 400);
    throw e;
  }
  if (!mayUse(access, name)) return c.text(`token has no access to namespace ${JSON.stringify(name)}\n`, 403);
  const out = await namespaceStats(env, name);
  if (!out.ok) {
    return c.text(`${out.message}\n`, out.kind === "namespace_not_found" ? 404 : out.kind === "invalid_input" ? 400 : 500);
  }
  return metricsResponse(metrics.render({ name, stats: out.result }));
});

app.all("/api.v1.IpamService/*", async (c) => {
  const env = c.env;
  const started = Date.now();
  const auth = authConfig(env);
  if (!warnedDisabled && (await auth).mode === "disabled") {
    warnedDisabled = true;
    logNotice("auth disabled: IPAM_AUTH=disabled, every caller may use every namespace (local development only)");
  }
  const path = new URL(c.req.url).pathname;
  const { response, call } = await serveRpc(c.req.raw, {
    backend: backendFor(env),
    auth,
    version: { version: VERSION, revision: env.GIT_REVISION ?? "" },
  });
  const rpc = rpcName(path);
  const durationMs = Date.now() - started;
  const code = call.code ?? "unknown";
  const fault = faultOf(code, call.error);
  metrics.record(rpc, code, durationMs, fault);
  const logMode = env.IPAM_CALL_LOG ?? "all";
  if (logMode !== "off" && (code !== "ok" || logMode !== "errors")) {
    logCall({
      rpc,
      namespace: call.namespace,
      code,
      fault,
      durationMs,
      protocol: protocolOf(c.req.header("content-type") ?? null),
      status: response.status,
      error: call.error,
    });
  }
  return response;
});

app.notFound((c) => c.text("not found: the API is POST /api.v1.IpamService/<Rpc> (Connect or gRPC-Web); GET /health; GET /metrics\n", 404));

// Last line of defence: the RPC path answers its own errors; this covers /health and /metrics.
app.onError((err, c) => {
  console.error(JSON.stringify({ msg: "unhandled error", path: new URL(c.req.url).pathname, error: err.message }));
  return c.text("internal error\n", 500);
});

function metricsResponse(text: string): Response {
  return new Response(text, { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" } });
}

export default app satisfies ExportedHandler<Env>;
