// api.v1.IpamService on top of an IpamBackend: authorise, turn the request into a command, run it in the
// addressed namespace, and turn the result into the response or the failure into a Connect error.

import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import type { Message, MessageInitShape } from "@bufbuild/protobuf";
import { findOverlap, isIpamError, MAX_BULK } from "../core/index";
import type { Command, CommandResults, IPInfo, PrefixInfo, Usage } from "../core/types";
import { IpamService, type IPSchema, type PrefixSchema, Reservation } from "../gen/api/v1/ipam_pb";
import type { BackendCallOptions, IpamBackend, Outcome } from "./backend";
import { type Access, kAccess, kBackend, kCall, kVersion } from "./context";
import { type RpcName, toConnectError } from "./errors";
import { IDEMPOTENCY_HEADER, idempotencyKeyOf, MUTATING_RPCS, requestFingerprint } from "./idempotency-key";
import { encodePageToken } from "./page-token";
import * as req from "./requests";

/** The admin-only RPCs: only the "*" grant may call them. */
export const ADMIN_RPCS: ReadonlySet<RpcName> = new Set(["CreateNamespace", "DeleteNamespace", "Dump", "Load"]);

export function mayUse(access: Access, namespace: string): boolean {
  return access.all || access.namespaces.has(namespace);
}

function backendOf(ctx: HandlerContext): IpamBackend {
  const b = ctx.values.get(kBackend);
  if (!b) throw new ConnectError("no backend configured", Code.Unavailable);
  return b;
}

function note(ctx: HandlerContext, namespace: string): void {
  const call = ctx.values.get(kCall);
  if (call) call.namespace = namespace;
}

function requireAdmin(ctx: HandlerContext, rpc: RpcName): void {
  if (!ctx.values.get(kAccess).all) {
    throw new ConnectError(`${rpc} needs a token with access to all namespaces ("*")`, Code.PermissionDenied);
  }
}

function requireNamespace(ctx: HandlerContext, namespace: string): void {
  if (!mayUse(ctx.values.get(kAccess), namespace)) {
    throw new ConnectError(`token has no access to namespace ${JSON.stringify(namespace)}`, Code.PermissionDenied);
  }
}

/** The caller's deadline, passed down so that a call still queued when it passes is never applied. */
function callOptions(ctx: HandlerContext): BackendCallOptions | undefined {
  const t = ctx.timeoutMs();
  return t === undefined ? undefined : { deadline: Date.now() + Math.max(0, t) };
}

/** Resolve `p`, unless the call's deadline passes or the client goes away first. */
async function withinDeadline<T>(ctx: HandlerContext, p: Promise<T>): Promise<T> {
  const signal = ctx.signal;
  if (signal.aborted) throw abortError(signal);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortError(signal));
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([p, aborted]);
  } finally {
    if (onAbort) signal.removeEventListener("abort", onAbort);
  }
}

function abortError(signal: AbortSignal): ConnectError {
  const r: unknown = signal.reason;
  if (r instanceof ConnectError) return r;
  return new ConnectError("the call was cancelled", Code.Canceled);
}

async function settle<T>(ctx: HandlerContext, rpc: RpcName, p: Promise<Outcome<T>>): Promise<T> {
  let out: Outcome<T>;
  try {
    out = await withinDeadline(ctx, p);
  } catch (e) {
    if (e instanceof ConnectError) throw e;
    throw new ConnectError(`${rpc} failed: ${e instanceof Error ? e.message : String(e)}`, Code.Internal);
  }
  if (!out.ok) throw toConnectError(rpc, out);
  return out.result;
}

/** Run a prefix/IP RPC: namespace check, authorisation, command, result. */
async function run<C extends Command>(
  ctx: HandlerContext,
  rpc: RpcName,
  request: { namespace?: string } & Message,
  command: () => C,
): Promise<CommandResults[C["op"]]> {
  const namespace = req.namespaceOf(request);
  note(ctx, namespace);
  if (ADMIN_RPCS.has(rpc)) requireAdmin(ctx, rpc);
  else requireNamespace(ctx, namespace);
  const key = idempotencyKeyOf(ctx.requestHeader.get(IDEMPOTENCY_HEADER));
  const cmd = command();
  const opts: BackendCallOptions = { ...callOptions(ctx) };
  if (key !== undefined && MUTATING_RPCS.has(rpc)) {
    opts.idempotency = { key, fingerprint: await requestFingerprint(rpc, ctx.method.input, request) };
  }
  return (await settle(ctx, rpc, backendOf(ctx).runCommand(namespace, cmd, opts))) as CommandResults[C["op"]];
}

type PrefixInit = MessageInitShape<typeof PrefixSchema>;
type IPInit = MessageInitShape<typeof IPSchema>;
// Labels and a reservation other than go-ipam's only where set: an unlabelled answer is go-ipam's, byte for byte.
export const prefixOut = (p: PrefixInfo): PrefixInit => ({
  cidr: p.cidr,
  parentCidr: p.parentCidr,
  ...(p.labels === undefined ? {} : { labels: { ...p.labels } }),
  ...(p.reservation === "none" ? { reservation: Reservation.NONE } : {}),
});
export const ipOut = (ip: IPInfo): IPInit => ({
  ip: ip.ip,
  parentPrefix: ip.parentPrefix,
  ...(ip.labels === undefined ? {} : { labels: { ...ip.labels } }),
});

/** PrefixesOverlapping needs no namespace: it runs here, on the two lists of the request. */
function overlapOf(existing: string[], added: string[]) {
  for (const [name, list] of [["existing_prefixes", existing], ["new_prefixes", added]] as const)
    if (list.length > MAX_BULK) throw new ConnectError(`${name} lists ${list.length} prefixes, at most ${MAX_BULK} are allowed`, Code.InvalidArgument);
  const found = findOverlap(existing, added);
  if (found === null) return { overlapping: false };
  if (isIpamError(found)) throw toConnectError("PrefixesOverlapping", found);
  return { overlapping: true, message: `${found.newPrefix} overlaps ${found.existingPrefix}`, ...found };
}
export const usageOut = (u: Usage) => ({
  availableIps: u.availableIPs,
  acquiredIps: u.acquiredIPs,
  availableSmallestPrefixes: u.availableSmallestPrefixes,
  availablePrefixes: u.availablePrefixes,
  acquiredPrefixes: u.acquiredPrefixes,
});

/** The service implementation. Per-call dependencies come from the context values (./context). */
export function createIpamService(): ServiceImpl<typeof IpamService> {
  return {
    async createPrefix(r, ctx) {
      return { prefix: prefixOut(await run(ctx, "CreatePrefix", r, () => req.createPrefix(r))) };
    },
    async deletePrefix(r, ctx) {
      return { prefix: prefixOut(await run(ctx, "DeletePrefix", r, () => req.deletePrefix(r))) };
    },
    async getPrefix(r, ctx) {
      return { prefix: prefixOut(await run(ctx, "GetPrefix", r, () => req.getPrefix(r))) };
    },
    async listPrefixes(r, ctx) {
      const list = await run(ctx, "ListPrefixes", r, () => req.listPrefixes(r));
      return { prefixes: list.map(prefixOut) };
    },
    async prefixUsage(r, ctx) {
      return usageOut(await run(ctx, "PrefixUsage", r, () => req.prefixUsage(r)));
    },
    async acquireChildPrefix(r, ctx) {
      return { prefix: prefixOut(await run(ctx, "AcquireChildPrefix", r, () => req.acquireChildPrefix(r))) };
    },
    async releaseChildPrefix(r, ctx) {
      return { prefix: prefixOut(await run(ctx, "ReleaseChildPrefix", r, () => req.releaseChildPrefix(r))) };
    },
    async acquireIP(r, ctx) {
      return { ip: ipOut(await run(ctx, "AcquireIP", r, () => req.acquireIP(r))) };
    },
    async releaseIP(r, ctx) {
      return { ip: ipOut(await run(ctx, "ReleaseIP", r, () => req.releaseIP(r))) };
    },
    async listIPs(r, ctx) {
      const list = await run(ctx, "ListIPs", r, () => req.listIPs(r));
      const nextPageToken = list.next === undefined ? "" : encodePageToken({ prefix: r.prefixCidr, ip: list.next });
      return { ips: list.ips, labelledIps: list.labelled.map(ipOut), nextPageToken };
    },
    async acquireIPs(r, ctx) {
      return { ips: (await run(ctx, "AcquireIPs", r, () => req.acquireIPs(r))).map(ipOut) };
    },
    async releaseIPs(r, ctx) {
      return { ips: ((await run(ctx, "ReleaseIPs", r, () => req.releaseIPs(r))) as IPInfo[]).map(ipOut) };
    },
    async acquireChildPrefixes(r, ctx) {
      return { prefixes: (await run(ctx, "AcquireChildPrefixes", r, () => req.acquireChildPrefixes(r))).map(prefixOut) };
    },
    async releaseChildPrefixes(r, ctx) {
      return { prefixes: (await run(ctx, "ReleaseChildPrefixes", r, () => req.releaseChildPrefixes(r))).map(prefixOut) };
    },
    async prefixesOverlapping(r) {
      // Any valid token, like Version: the call reads no namespace.
      return overlapOf(r.existingPrefixes, r.newPrefixes);
    },
    async dump(r, ctx) {
      const answer = await run(ctx, "Dump", r, () => req.dump(r));
      if (typeof answer === "string") return { dump: answer };
      return { dump: answer.dump, nextPageToken: answer.next === undefined ? "" : encodePageToken(answer.next) };
    },
    async load(r, ctx) {
      await run(ctx, "Load", r, () => req.load(r));
      return {};
    },
    async createNamespace(r, ctx) {
      const ns = req.validNamespace(r.namespace);
      note(ctx, ns);
      requireAdmin(ctx, "CreateNamespace");
      await settle(ctx, "CreateNamespace", backendOf(ctx).createNamespace(ns, callOptions(ctx)));
      return {};
    },
    async deleteNamespace(r, ctx) {
      const ns = req.validNamespace(r.namespace);
      note(ctx, ns);
      requireAdmin(ctx, "DeleteNamespace");
      await settle(ctx, "DeleteNamespace", backendOf(ctx).deleteNamespace(ns, callOptions(ctx)));
      return {};
    },
    async listNamespaces(_r, ctx) {
      // A scoped token sees only the namespaces it may use; "*" sees all.
      const access = ctx.values.get(kAccess);
      const all = await settle(ctx, "ListNamespaces", backendOf(ctx).listNamespaces());
      return { namespace: access.all ? all : all.filter((ns) => access.namespaces.has(ns)) };
    },
    async version(_r, ctx) {
      const v = ctx.values.get(kVersion);
      return { version: v.version, revision: v.revision, gitSha1: v.revision, buildDate: "" };
    },
  };
}
