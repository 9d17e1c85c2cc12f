// How a failure of the layers below becomes a Connect error, per RPC (reference §4.2, CONTRACT §2/§3).
// The message is the core's message verbatim; only the code depends on the RPC.

import { Code, ConnectError } from "@connectrpc/connect";
import type { OutcomeKind } from "../server/outcome";

/** A failure as the namespace layer reports it (a core ErrorKind or a layer-4 ServerErrorKind). */
export interface Failure {
  kind: OutcomeKind;
  message: string;
}

/** The RPCs of api.v1.IpamService, by their proto names. */
export type RpcName =
  | "CreatePrefix"
  | "DeletePrefix"
  | "GetPrefix"
  | "ListPrefixes"
  | "PrefixUsage"
  | "AcquireChildPrefix"
  | "ReleaseChildPrefix"
  | "AcquireIP"
  | "ReleaseIP"
  | "ListIPs"
  | "AcquireIPs"
  | "ReleaseIPs"
  | "AcquireChildPrefixes"
  | "ReleaseChildPrefixes"
  | "PrefixesOverlapping"
  | "Dump"
  | "Load"
  | "CreateNamespace"
  | "ListNamespaces"
  | "DeleteNamespace"
  | "Version";

/** The Connect code for a failure of `rpc`. */
export function codeFor(rpc: RpcName, kind: Failure["kind"]): Code {
  // Layer 4's own failures mean the same on every RPC.
  if (kind === "internal") return Code.Internal;
  if (kind === "unavailable") return Code.Unavailable;
  if (kind === "aborted") return Code.Aborted;
  if (kind === "deadline_exceeded") return Code.DeadlineExceeded;
  if (kind === "resource_exhausted" || kind === "too_large") return Code.ResourceExhausted;
  if (kind === "idempotency_key_reused") return Code.FailedPrecondition;
  if (kind === "namespace_not_found") return Code.NotFound;
  if (kind === "invalid_input") return Code.InvalidArgument;
  switch (rpc) {
    // A bulk RPC answers what its single RPC answers, so callers handle both alike.
    case "AcquireIP":
    case "AcquireIPs":
      // go-ipam: a taken specific IP is AlreadyExists, an exhausted prefix NotFound, everything else
      // (a missing prefix included) InvalidArgument.
      if (kind === "ip_already_allocated") return Code.AlreadyExists;
      if (kind === "no_ip_available") return Code.NotFound;
      return Code.InvalidArgument;
    case "AcquireChildPrefix":
    case "AcquireChildPrefixes":
      // go-ipam answers every AcquireChildPrefix failure with InvalidArgument, even a missing parent.
      return Code.InvalidArgument;
    case "CreateNamespace":
      return kind === "conflict" ? Code.AlreadyExists : Code.InvalidArgument;
    case "DeleteNamespace":
      return kind === "conflict" ? Code.FailedPrecondition : Code.InvalidArgument;
    case "ListNamespaces":
    case "Version":
    case "PrefixesOverlapping":
      return Code.Internal;
    default:
      return kind === "prefix_not_found" || kind === "ip_not_allocated" ? Code.NotFound : Code.InvalidArgument;
  }
}

export function toConnectError(rpc: RpcName, failure: Failure): ConnectError {
  return new ConnectError(failure.message, codeFor(rpc, failure.kind));
}
