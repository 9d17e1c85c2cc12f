// Connect JSON calls for the service benchmark: one POST per unary call, on keep-alive connections to
// 127.0.0.1 only. Two interchangeable clients: Node's fetch (undici) and node:http with a keep-alive Agent.
import { Agent, request } from "node:http";

export interface Answer {
  status: number;
  body: string;
}

export type Call = (rpc: string, message: unknown, headers?: Record<string, string>) => Promise<Answer>;

export type ClientKind = "http" | "fetch";

const PATH = "/api.v1.IpamService/";

export function makeClient(kind: ClientKind, baseUrl: string, connections: number, token?: string): { call: Call; close(): void } {
  const url = new URL(baseUrl);
  if (url.hostname !== "127.0.0.1") throw new Error(`the benchmark only talks to 127.0.0.1, not ${url.hostname}`);
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  return kind === "fetch" ? fetchClient(baseUrl, headers) : httpClient(url, headers, connections);
}

function fetchClient(baseUrl: string, headers: Record<string, string>) {
  const call: Call = async (rpc, message, extra) => {
    const res = await fetch(baseUrl + PATH + rpc, { method: "POST", headers: { ...headers, ...extra }, body: JSON.stringify(message) });
    return { status: res.status, body: await res.text() };
  };
  return { call, close() {} };
}

function httpClient(url: URL, headers: Record<string, string>, connections: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
  const call: Call = (rpc, message, extra) =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify(message);
      const req = request(
        { host: url.hostname, port: url.port, method: "POST", path: PATH + rpc, agent, headers: { ...headers, ...extra, "content-length": Buffer.byteLength(body) } },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (d: string) => (text += d));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  return { call, close: () => agent.destroy() };
}
