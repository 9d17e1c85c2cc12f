// Typed errors of the core. The message keeps go-ipam's wording and leading word (CONTRACT §2), the kind says
// what went wrong so the service can pick a Connect code per RPC (reference §4.2).

/** Every kind of IpamError; all of them are the caller's doing (none means the service failed). */
export const ERROR_KINDS = [
  /** Malformed or out-of-range input: CIDRs, addresses, lengths, namespace names, dumps. */
  "invalid_input",
  /** The prefix named by the request does not exist in the namespace. */
  "prefix_not_found",
  /** The namespace does not exist. */
  "namespace_not_found",
  /** Release of an address that is not acquired. */
  "ip_not_allocated",
  /** The prefix has no free address left (go-ipam's NoIPAvailableError). */
  "no_ip_available",
  /** A specific address is already acquired (go-ipam's AlreadyAllocatedError). */
  "ip_already_allocated",
  /** No free child block of the asked length, or the specific child is not free. */
  "no_child_available",
  /** A new prefix overlaps an existing one. */
  "overlap",
  /** The request contradicts the state: has ips, has child prefixes, not a child, data exists, not empty. */
  "conflict",
  /** The answer would not fit in one message: the caller must page (ListIPs, Dump). */
  "too_large",
] as const;

export type ErrorKind = (typeof ERROR_KINDS)[number];

export class IpamError extends Error {
  override readonly name = "IpamError";
  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message);
  }

  /**
   * Set when the command had already changed the namespace when it was refused (an appending Load, which
   * checks its records as it adds them): the namespace must be rebuilt from its store before the next command.
   */
  halfApplied = false;
}

export function isIpamError(e: unknown): e is IpamError {
  return e instanceof IpamError;
}

const err = (kind: ErrorKind, message: string) => new IpamError(kind, message);

/**
 * A short, safe description of any value for an error message: strings quoted (at most 100 characters),
 * numbers and bigints as written, everything else by its type. Never throws, whatever the value.
 */
export function describe(value: unknown): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}...` : value);
    case "number":
    case "bigint":
    case "boolean":
      return String(value);
    case "undefined":
      return "undefined";
    default:
      return value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`;
  }
}

// Lookups
export const prefixNotFound = (cidr: string) => err("prefix_not_found", `NotFound prefix ${cidr} not found`);
/** A prefix lookup inside an acquire/release/delete, wrapping the inner cause as go-ipam does. */
export const unableToFindPrefix = (raw: string, inner: IpamError) =>
  err(inner.kind === "invalid_input" ? "invalid_input" : inner.kind, `NotFound: unable to find prefix for cidr:${raw} error:${inner.message}`);
export const namespaceNotFound = (ns: string) =>
  err("namespace_not_found", `NamespaceDoesNotExist: namespace ${JSON.stringify(ns)} does not exist`);
export const invalidNamespace = (ns: string, why: string) =>
  err("invalid_input", `invalid namespace ${JSON.stringify(ns)}: ${why}`);
export const namespaceNotEmpty = (ns: string) =>
  err("conflict", `cannot delete namespace with allocated prefixes: namespace ${JSON.stringify(ns)} holds prefixes`);

// Prefixes
export const unableToParseCidr = (raw: string, parseError: string) =>
  err("invalid_input", `unable to parse cidr:${raw} ${parseError}`);
export const overlaps = (newCidr: string, existing: string) => err("overlap", `${newCidr} overlaps ${existing}`);
export const deleteHasIPs = (cidr: string) => err("conflict", `prefix ${cidr} has ips, delete prefix not possible`);
export const deleteHasChildren = (cidr: string, children: number) =>
  err("conflict", `prefix ${cidr} has childprefixes, delete prefix not possible: release its ${children} child prefix(es) first`);

// Addresses
export const ipNotValid = (raw: string) => err("invalid_input", `given ip:${raw} in not valid`);
export const ipNotInPrefix = (raw: string, prefixRaw: string) =>
  err("invalid_input", `given ip:${raw} is not in ${prefixRaw}`);
export const ipAlreadyAllocated = (ip: string) =>
  err("ip_already_allocated", `AlreadyAllocatedError: given ip:${ip} is already allocated`);
export const noIPAvailable = (cidr: string, acquired: number) =>
  err("no_ip_available", `NoIPAvailableError: no more ips in prefix: ${cidr} left, length of prefix.ips: ${acquired}`);
export const ipNotAllocated = (ip: string, prefixRaw: string) =>
  err("ip_not_allocated", `NotFound: unable to release ip:${ip} because it is not allocated in prefix:${prefixRaw}`);
export const acquireIPOnParent = (cidr: string) =>
  err("conflict", `prefix ${cidr} has childprefixes, acquire ip not possible`);
export const releaseIPParse = (raw: string, parseError: string) =>
  err("invalid_input", `given ip:${raw} in not valid: ${parseError}`);

// Child prefixes
export const lengthTooSmall = (length: number, bits: number) =>
  err("invalid_input", `given length:${length} must be greater than prefix length:${bits}`);
export const lengthTooLarge = (length: number, bitlen: number) =>
  err("invalid_input", `given length:${length} must not be greater than ${bitlen}`);
export const childOnPrefixWithIPs = (cidr: string) =>
  err("conflict", `prefix ${cidr} has ips, acquire child prefix not possible`);
export const noChildAvailable = (parentRaw: string, length: number, free: string[]) =>
  err(
    "no_child_available",
    free.length === 0
      ? `no prefix found in ${parentRaw} with length:${length}`
      : `no prefix found in ${parentRaw} with length:${length}, but ${free.join(",")} ${free.length === 1 ? "is" : "are"} available`,
  );
export const specificChildNotAvailable = (childRaw: string, parentRaw: string) =>
  err("no_child_available", `specific prefix ${childRaw} is not available in prefix ${parentRaw}`);
export const unableToParseChildCidr = (raw: string, parseError: string) =>
  err("invalid_input", `unable to parse childCidr:${raw} ${parseError}`);
export const notAChild = (cidr: string) => err("conflict", `prefix:${JSON.stringify(cidr)} is no child prefix`);
export const releaseChildHasIPs = (cidr: string) => err("conflict", `prefix ${cidr} has ips, deletion not possible`);
export const releaseChildHasChildren = (cidr: string) =>
  err("conflict", `prefix ${cidr} has childprefixes, deletion not possible`);

// Dump and load
export const loadIntoNonEmpty = () => err("conflict", "prefixes exist, please drop existing data before loading");
export const unableToUnmarshal = (why: string) => err("invalid_input", `unable to unmarshal prefixes:${why}`);
export const invalidDump = (why: string) => err("invalid_input", `invalid dump: ${why}`);
/** Most addresses an unpaged ListIPs or a one-message Dump answers with (a message of a few MB). */
export const ONE_MESSAGE_MAX_ADDRESSES = 200_000;
export const tooLargeForOneMessage = (what: string, held: number, how: string) =>
  err("too_large", `${what} holds ${held} addresses, more than the ${ONE_MESSAGE_MAX_ADDRESSES} one message may carry: ${how}`);
export const invalidPageToken = (why: string) => err("invalid_input", `invalid page_token: ${why}`);

// Bulk calls, labels, overlap queries
export const notEnoughIPs = (cidr: string, count: number, free: bigint, acquired: number) =>
  err(
    "no_ip_available",
    `NoIPAvailableError: ${count} ips asked for but only ${free} left in prefix: ${cidr}, length of prefix.ips: ${acquired}`,
  );
export const notEnoughChildren = (parentRaw: string, length: number, count: number, available: number) =>
  err("no_child_available", `no prefix found in ${parentRaw} with length:${length} for ${count} child prefixes, only ${available} are available`);
export const ipListedTwice = (raw: string) => err("invalid_input", `given ip:${raw} is listed twice`);
export const prefixListedTwice = (raw: string) => err("invalid_input", `prefix ${raw} is listed twice`);
export const unableToParseOverlapping = (raw: string, parseError: string) =>
  err("invalid_input", `unable to parse overlapping cidr:${raw} ${parseError}`);
export const emptySelector = () => err("invalid_input", "invalid label selector: it must name at least one label");
