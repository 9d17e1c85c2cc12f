// Requests to core commands: which namespace a request addresses and what it asks that namespace to do.
// Pure functions; a request that cannot become a command throws a ConnectError (invalid_argument).

import { Code, ConnectError } from "@connectrpc/connect";
import { checkNamespaceName, DEFAULT_NAMESPACE, isIpamError } from "../core/index";
import type { Command, Labels } from "../core/types";
import {
  type AcquireChildPrefixesRequest,
  type AcquireChildPrefixRequest,
  type AcquireIPRequest,
  type AcquireIPsRequest,
  type CreatePrefixRequest,
  type DumpRequest,
  type ListIPsRequest,
  type ListPrefixesRequest,
  type LoadRequest,
  type ReleaseChildPrefixesRequest,
  type ReleaseIPRequest,
  type ReleaseIPsRequest,
  Reservation,
} from "../gen/api/v1/ipam_pb";
import { decodePageToken, listIPsAfter } from "./page-token";

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

const invalidArgument = (message: string) => new ConnectError(message, Code.InvalidArgument);

/** A proto map as the core's labels: an empty map is none. The core checks keys, values and count. */
function labelsOf(map: { [key: string]: string } | undefined): { labels?: Labels } {
  return map === undefined || Object.keys(map).length === 0 ? {} : { labels: map };
}

function selectorOf(map: { [key: string]: string } | undefined): { selector?: Labels } {
  return map === undefined || Object.keys(map).length === 0 ? {} : { selector: map };
}

/** The wire's Reservation as the core's; only what is not the default is passed on. */
function reservationOf(r: Reservation | undefined): { reservation?: "none" } {
  if (r === undefined || r === Reservation.UNSPECIFIED) return {};
  if (r === Reservation.NONE) return { reservation: "none" };
  throw invalidArgument(`reservation ${r} is not a known value (RESERVATION_UNSPECIFIED or RESERVATION_NONE)`);
}

type WithSettings = { labels?: { [key: string]: string }; reservation?: Reservation };
const settingsOf = (req: WithSettings) => ({ ...labelsOf(req.labels), ...reservationOf(req.reservation) });

export const createPrefix = (req: Pick<CreatePrefixRequest, "cidr"> & WithSettings): Cmd<"createPrefix"> => ({
  op: "createPrefix",
  cidr: req.cidr,
  ...settingsOf(req),
});
export const deletePrefix = (req: { cidr: string }): Cmd<"deletePrefix"> => ({ op: "deletePrefix", cidr: req.cidr });
export const getPrefix = (req: { cidr: string }): Cmd<"getPrefix"> => ({ op: "getPrefix", cidr: req.cidr });
export function listPrefixes(req: Partial<Pick<ListPrefixesRequest, "labelSelector" | "overlappingCidr">> = {}): Cmd<"listPrefixes"> {
  const overlapping = req.overlappingCidr ?? "";
  return { op: "listPrefixes", ...selectorOf(req.labelSelector), ...(overlapping === "" ? {} : { overlapping }) };
}
export const prefixUsage = (req: { cidr: string }): Cmd<"prefixUsage"> => ({ op: "prefixUsage", cidr: req.cidr });
export const releaseChildPrefix = (req: { cidr: string }): Cmd<"releaseChildPrefix"> => ({ op: "releaseChildPrefix", cidr: req.cidr });

function checkChildLength(length: number): void {
  if (length > MAX_CHILD_LENGTH) throw invalidArgument(`length must not be greater than ${MAX_CHILD_LENGTH}`);
}

export function acquireChildPrefix(req: Pick<AcquireChildPrefixRequest, "cidr" | "length" | "childCidr"> & WithSettings): Cmd<"acquireChildPrefix"> {
  // A specific child wins and its length is ignored, as in go-ipam; the length bound applies regardless.
  checkChildLength(req.length);
  const childCidr = req.childCidr ?? "";
  return {
    op: "acquireChildPrefix",
    cidr: req.cidr,
    length: req.length,
    ...(childCidr !== "" ? { childCidr } : {}),
    ...settingsOf(req),
  };
}

export function acquireChildPrefixes(req: Pick<AcquireChildPrefixesRequest, "cidr" | "length" | "count"> & WithSettings): Cmd<"acquireChildPrefixes"> {
  checkChildLength(req.length);
  return { op: "acquireChildPrefixes", cidr: req.cidr, length: req.length, count: req.count, ...settingsOf(req) };
}

export const releaseChildPrefixes = (req: Pick<ReleaseChildPrefixesRequest, "cidrs">): Cmd<"releaseChildPrefixes"> => ({
  op: "releaseChildPrefixes",
  cidrs: req.cidrs,
});

export function acquireIP(req: Pick<AcquireIPRequest, "prefixCidr" | "ip"> & { labels?: { [key: string]: string } }): Cmd<"acquireIP"> {
  const ip = req.ip ?? "";
  return { op: "acquireIP", prefixCidr: req.prefixCidr, ...(ip !== "" ? { ip } : {}), ...labelsOf(req.labels) };
}

export const acquireIPs = (req: Pick<AcquireIPsRequest, "prefixCidr" | "count"> & { labels?: { [key: string]: string } }): Cmd<"acquireIPs"> => ({
  op: "acquireIPs",
  prefixCidr: req.prefixCidr,
  count: req.count,
  ...labelsOf(req.labels),
});

/** ReleaseIPs names the addresses or gives a label selector, never both. */
export function releaseIPs(req: Pick<ReleaseIPsRequest, "prefixCidr" | "ips"> & { labelSelector?: { [key: string]: string } }): Cmd<"releaseIPs" | "releaseIPsByLabel"> {
  const { selector } = selectorOf(req.labelSelector);
  if (selector !== undefined && req.ips.length > 0) throw invalidArgument("ReleaseIPs takes either ips or a label_selector, not both");
  if (selector !== undefined)
    return req.prefixCidr === "" ? { op: "releaseIPsByLabel", selector } : { op: "releaseIPsByLabel", prefixCidr: req.prefixCidr, selector };
  if (req.ips.length === 0) throw invalidArgument("ReleaseIPs needs ips (1 to 4096 addresses of prefix_cidr) or a label_selector");
  return { op: "releaseIPs", prefixCidr: req.prefixCidr, ips: req.ips };
}

export const releaseIP = (req: Pick<ReleaseIPRequest, "prefixCidr" | "ip">): Cmd<"releaseIP"> => ({
  op: "releaseIP",
  prefixCidr: req.prefixCidr,
  ip: req.ip,
});

type ListIPsFields = Pick<ListIPsRequest, "prefixCidr"> & Partial<Pick<ListIPsRequest, "pageSize" | "pageToken">> & { labelSelector?: { [key: string]: string } };

export function listIPs(req: ListIPsFields): Cmd<"listIPEntries"> {
  const cmd: Cmd<"listIPEntries"> = { op: "listIPEntries", prefixCidr: req.prefixCidr, ...selectorOf(req.labelSelector) };
  const pageSize = req.pageSize ?? 0;
  if (pageSize === 0) {
    if ((req.pageToken ?? "") !== "") throw invalidArgument("page_token is set but page_size is 0: give the page_size of the listing it continues");
    return cmd;
  }
  const after = listIPsAfter(req.pageToken ?? "", req.prefixCidr);
  return after === undefined ? { ...cmd, pageSize } : { ...cmd, pageSize, after };
}

/** Dump speaks go-ipam's dump format (CONTRACT §1); a paged dump (an extension) speaks ours. */
export function dump(req: Partial<Pick<DumpRequest, "pageSize" | "pageToken">> = {}): Cmd<"exportGoIpam" | "dumpPage"> {
  const pageSize = req.pageSize ?? 0;
  const token = req.pageToken ?? "";
  if (pageSize === 0) {
    if (token !== "") throw invalidArgument("page_token is set but page_size is 0: give the page_size of the dump it continues");
    return { op: "exportGoIpam" };
  }
  return token === "" ? { op: "dumpPage", pageSize } : { op: "dumpPage", pageSize, after: decodePageToken(token) };
}

export const load = (req: Pick<LoadRequest, "dump"> & Partial<Pick<LoadRequest, "append">>): Cmd<"importGoIpam"> =>
  req.append === true ? { op: "importGoIpam", dump: req.dump, append: true } : { op: "importGoIpam", dump: req.dump };
