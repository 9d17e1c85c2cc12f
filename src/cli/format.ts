// Output lines of `ipam`: go-ipam's CLI wording with Go's %q quoting, and error texts as Go's connect
// errors print them (`<code>: <message>`).
import { Code, ConnectError } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { usageString } from "../core/usage";
import { goQuote as q } from "../net/quote";

export const prefixCreated = (cidr: string) => `prefix:${q(cidr)} created`;
export const prefixDeleted = (cidr: string) => `prefix:${q(cidr)} deleted`;
export const childCreated = (cidr: string, parent: string) => `child prefix:${q(cidr)} from ${q(parent)} created`;
export const childReleased = (cidr: string, parent: string) => `child prefix:${q(cidr)} from ${q(parent)} released`;
/** A prefix, with its labels and reservation only when it has them (so go-ipam's line otherwise). */
export const prefixLine = (cidr: string, parent: string, labels: Record<string, string> = {}, reserveNone = false) =>
  `Prefix:${q(cidr)} parent:${q(parent)}${labelsPart(labels)}${reserveNone ? ` reservation:${q("none")}` : ""}`;
export const ipAcquired = (ip: string) => `ip:${q(ip)} acquired`;
export const ipReleased = (ip: string) => `ip:${q(ip)} released`;
export const ipLine = (ip: string, labels: Record<string, string> = {}) => `ip:${q(ip)}${labelsPart(labels)}`;
export const overlapLine = (message: string) => (message === "" ? "no overlap" : message);

/** ` labels:"k1=v1,k2=v2"` (keys sorted, as the server answers them), or nothing. */
function labelsPart(labels: Record<string, string>): string {
  const entries = Object.entries(labels);
  return entries.length === 0 ? "" : ` labels:${q(entries.map(([k, v]) => `${k}=${v}`).join(","))}`;
}
export const namespaceCreated = (name: string) => `namespace:${q(name)} created`;
export const namespaceDeleted = (name: string) => `namespace:${q(name)} deleted`;
export const namespaceLine = (name: string) => `Namespace:${q(name)}`;
export const databaseRestored = () => "database restored";

export function versionLine(v: { version: string; revision: string; gitSha1: string; buildDate: string }): string {
  return `version:${q(v.version)} revision:${q(v.revision)} gitSha1:${q(v.gitSha1)} buildDate:${q(v.buildDate)}`;
}

/** go-ipam's Usage.String() of a PrefixUsage answer. */
export function usageLine(u: { acquiredIps: bigint; availableIps: bigint; acquiredPrefixes: bigint; availableSmallestPrefixes: bigint }): string {
  return usageString({ ...u, acquiredIPs: u.acquiredIps, availableIPs: u.availableIps });
}

/** The text of a failed call, as go-ipam's Go CLI prints it: `<code>: <message>`. */
export function errorText(e: unknown, endpoint: string): string {
  const network = networkFailure(e);
  if (network !== undefined) return `unavailable: cannot reach ${endpoint}: ${network}`;
  if (e instanceof ConnectError || (e instanceof Error && e.name === "ConnectError")) {
    const err = ConnectError.from(e);
    const code = codeToString(err.code);
    if (err.code === Code.DeadlineExceeded) return `${code}: no answer from ${endpoint} in time`;
    return err.rawMessage ? `${code}: ${err.rawMessage}` : code;
  }
  return e instanceof Error ? e.message : String(e);
}

/** Why fetch could not talk to the server at all (refused, unknown host, reset), or undefined. */
function networkFailure(e: unknown): string | undefined {
  let fetchFailed = false;
  let reason: string | undefined;
  for (let cur: unknown = e, depth = 0; cur instanceof Error && depth < 8; cur = cur.cause, depth++) {
    if (cur instanceof TypeError && cur.message === "fetch failed") fetchFailed = true;
    else if (fetchFailed) reason ??= cur.message || (cur as NodeJS.ErrnoException).code;
  }
  return fetchFailed ? (reason ?? "fetch failed") : undefined;
}
