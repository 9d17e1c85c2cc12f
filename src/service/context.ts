// What the service needs from the layer that hosts it (the Worker), passed per call as Connect context values.
// Nothing here knows Cloudflare: the host fills these in from its bindings and the request's credentials.

import { createContextKey } from "@connectrpc/connect";
import type { IpamBackend } from "./backend";

/** What the caller's credentials allow. `all` is the "*" grant: every namespace and the admin RPCs. */
export interface Access {
  readonly all: boolean;
  /** Namespaces a scoped token may use (ignored when `all`). */
  readonly namespaces: ReadonlySet<string>;
}

export const NO_ACCESS: Access = Object.freeze({ all: false, namespaces: new Set<string>() });
export const FULL_ACCESS: Access = Object.freeze({ all: true, namespaces: new Set<string>() });

/** Facts about one call that the host logs and counts once the call is over. */
export interface CallRecord {
  /** The namespace the call addressed, once known (after the request was parsed). */
  namespace?: string;
  /** The Connect code the service answered with ("ok" on success), when the implementation ran. */
  code?: string;
  /** The error message, when the implementation failed. */
  error?: string;
}

export interface VersionInfo {
  version: string;
  revision: string;
}

/** The store behind the service. Without one every call fails with `unavailable`. */
export const kBackend = createContextKey<IpamBackend | undefined>(undefined, { description: "ipam backend" });
/** The caller's grant; the default grants nothing. */
export const kAccess = createContextKey<Access>(NO_ACCESS, { description: "ipam access" });
/** Where the service notes the call's namespace and outcome for the host's logs and metrics. */
export const kCall = createContextKey<CallRecord | undefined>(undefined, { description: "ipam call record" });
/** What the Version RPC answers. */
export const kVersion = createContextKey<VersionInfo>({ version: "", revision: "" }, { description: "ipam version" });
