// Layer 5, the service: api.v1.IpamService's RPCs as core commands, core failures as Connect codes.
// No Cloudflare imports; the Worker supplies the backend, the caller's access and the version per call.
export { createIpamService, ADMIN_RPCS, mayUse } from "./service";
export { codeFor, toConnectError, type Failure, type RpcName } from "./errors";
export * from "./context";
export type { IpamBackend, Outcome } from "./backend";
export { MAX_CHILD_LENGTH, namespaceOf, validNamespace } from "./requests";
