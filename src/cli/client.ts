// The Connect client `ipam` talks through: Connect protocol, JSON, HTTP/1.1 (what a Worker serves), with the
// bearer token on every call.
import { type Client, type Interceptor, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { IpamService } from "../gen/api/v1/ipam_pb";
import type { Connection } from "./args";

export type IpamClient = Client<typeof IpamService>;

/** Generous: a namespace's first call may wait for its Durable Object to load. */
const TIMEOUT_MS = 60_000;

export function connect(conn: Connection): IpamClient {
  const interceptors: Interceptor[] = [];
  if (conn.token) {
    const header = `Bearer ${conn.token}`;
    interceptors.push((next) => (req) => {
      req.header.set("Authorization", header);
      return next(req);
    });
  }
  const transport = createConnectTransport({
    baseUrl: conn.endpoint,
    httpVersion: "1.1",
    useBinaryFormat: false,
    defaultTimeoutMs: TIMEOUT_MS,
    interceptors,
  });
  return createClient(IpamService, transport);
}
