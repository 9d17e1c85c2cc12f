// The Connect client `ipam` talks through: Connect protocol, JSON, over Node's fetch (undici, HTTP/1.1 as a
// Worker serves it), with the bearer token on every call, an Idempotency-Key on every mutating call, and a few
// retries of calls whose outcome is unknown (./retry.ts).
//
// Why connect-web's transport and not connect-node's: connect-node writes the request headers and body
// separately, so when the server answers early (an auth failure, before reading the body) and closes the
// connection, the body write fails with EPIPE and the real answer is lost. Node's fetch sends a small body
// with the headers and reads the early answer.
import { type Client, type Interceptor, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { IpamService } from "../gen/api/v1/ipam_pb";
import type { Connection } from "./args";
import { retrying } from "./retry";

export type IpamClient = Client<typeof IpamService>;

/** Generous: a namespace's first call may wait for its Durable Object to load. */
const TIMEOUT_MS = 60_000;

export function connect(conn: Connection): IpamClient {
  const interceptors: Interceptor[] = [retrying()];
  if (conn.token) {
    const header = `Bearer ${conn.token}`;
    interceptors.push((next) => (req) => {
      req.header.set("Authorization", header);
      return next(req);
    });
  }
  const transport = createConnectTransport({
    baseUrl: conn.endpoint,
    useBinaryFormat: false,
    defaultTimeoutMs: TIMEOUT_MS,
    interceptors,
  });
  return createClient(IpamService, transport);
}
