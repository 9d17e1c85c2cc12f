// Requests to core commands: which namespace a request addresses and what it asks that namespace to do.
// Pure functions; a request that cannot become a command throws a ConnectError (invalid_argument).

import { Code, ConnectError } from "@connectrpc/connect";
import { checkNamespaceName, DEFAULT_NAMESPACE, isIpamError } from "../core/index";
import type { Command } from "../core/types";
import type {
  AcquireChildPrefixRequest,
  AcquireIPRequest,
  ListIPsRequest,
  LoadRequest,
  ReleaseIPRequest,
} from "../gen/api/v1/ipam_pb";

/** The command of one op. */
export type Cmd<O extends Command["op"]> = Extract<Command, { op: O }>;

/** go-ipam's AcquireChildPrefix bound, checked before the core sees the length. */
export const MAX_CHILD_LENGTH = 128;

/** The namespace a prefix/IP request addresses: its `namespace`, or `root` when absent or empty. */
export function namespaceOf(req: { namespace?: string }): string {
  const ns = req.namespace ?? "";
  return validNamespace(ns === "" ? DEFAULT_NAMESPACE : ns);
}

/** A namespace name as given to the namespace RPCs (no default: an empty name is invalid). */
export function validNamespace(ns: string): string {
  try {
    checkNamespaceName(ns);
  } catch (e) {
    if (isIpamError(e)) throw new ConnectError(e.message, Code.InvalidArgument);
    throw e;
  }
  return ns;
}

export const createPrefix = (req: { cidr: string }): Cmd<"createPrefix"> => ({ op: "createPrefix", cidr: req.cidr });
export const deletePrefix = (req: { cidr: string }): Cmd<"deletePrefix"> => ({ op: "deletePrefix", cidr: req.cidr });
export const getPrefix = (req: { cidr: string }): Cmd<"getPrefix"> => ({ op: "getPrefix", cidr: req.cidr });
export const listPrefixes = (): Cmd<"listPrefixes"> => ({ op: "listPrefixes" });
export const prefixUsage = (req: { cidr: string }): Cmd<"prefixUsage"> => ({ op: "prefixUsage", cidr: req.cidr });
export const releaseChildPrefix = (req: { cidr: string }): Cmd<"releaseChildPrefix"> => ({ op: "releaseChildPrefix", cidr: req.cidr });

export function acquireChildPrefix(req: Pick<AcquireChildPrefixRequest, "cidr" | "length" | "childCidr">): Cmd<"acquireChildPrefix"> {
  // A specific child wins and its length is ignored, as in go-ipam; the length bound applies regardless.
  if (req.length > MAX_CHILD_LENGTH) {
    throw new ConnectError(`length must not be greater than ${MAX_CHILD_LENGTH}`, Code.InvalidArgument);
  }
  const childCidr = req.childCidr ?? "";
  return childCidr !== ""
    ? { op: "acquireChildPrefix", cidr: req.cidr, length: req.length, childCidr }
    : { op: "acquireChildPrefix", cidr: req.cidr, length: req.length };
}

export function acquireIP(req: Pick<AcquireIPRequest, "prefixCidr" | "ip">): Cmd<"acquireIP"> {
  const ip = req.ip ?? "";
  return ip !== "" ? { op: "acquireIP", prefixCidr: req.prefixCidr, ip } : { op: "acquireIP", prefixCidr: req.prefixCidr };
}

export const releaseIP = (req: Pick<ReleaseIPRequest, "prefixCidr" | "ip">): Cmd<"releaseIP"> => ({
  op: "releaseIP",
  prefixCidr: req.prefixCidr,
  ip: req.ip,
});

export const listIPs = (req: Pick<ListIPsRequest, "prefixCidr">): Cmd<"listIPs"> => ({ op: "listIPs", prefixCidr: req.prefixCidr });

/** Dump speaks go-ipam's dump format (CONTRACT §1). */
export const dump = (): Cmd<"exportGoIpam"> => ({ op: "exportGoIpam" });
export const load = (req: Pick<LoadRequest, "dump">): Cmd<"importGoIpam"> => ({ op: "importGoIpam", dump: req.dump });
