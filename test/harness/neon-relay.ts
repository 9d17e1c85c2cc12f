// Stands in for Neon's front door: a WebSocket-to-TCP relay speaking the protocol of Neon's wsproxy, which
// @neondatabase/serverless uses with neonConfig.wsProxy = "<host:port>/v1". A client opens
// ws://<relay>/v1?address=<host>:<port>; the relay connects to that address (only the one PostgreSQL port
// it was started for) and pipes bytes both ways: each WebSocket message is raw PostgreSQL wire protocol.
// The database behind it is real; the relay adds no protocol of its own.
import { createRequire } from "node:module";
import { connect, type Socket } from "node:net";
import type * as WsModule from "ws";

// Node's own resolution: the Worker projects' Vite resolves "ws" to its browser stub.
const { WebSocket, WebSocketServer } = createRequire(import.meta.url)("ws") as typeof WsModule;
type RawData = WsModule.RawData;

export interface NeonRelay {
  /** What NEON_WS_PROXY is set to: host:port/v1, no scheme. */
  proxy: string;
  port: number;
  /** WebSocket connections accepted so far, for tests. */
  connections(): number;
  close(): Promise<void>;
}

export async function startNeonRelay(opts: { postgresPort: number; port?: number }): Promise<NeonRelay> {
  const allowed = new Set([`127.0.0.1:${opts.postgresPort}`, `localhost:${opts.postgresPort}`]);
  const server = new WebSocketServer({ host: "127.0.0.1", port: opts.port ?? 0, path: "/v1" });
  const open = new Set<{ ws: WsModule.WebSocket; tcp: Socket }>();
  let accepted = 0;

  server.on("connection", (ws, req) => {
    const address = new URL(req.url ?? "/", "http://relay").searchParams.get("address") ?? "";
    if (!allowed.has(address)) {
      ws.close(1008, `address ${address} is not allowed by this relay`);
      return;
    }
    accepted++;
    const port = Number(address.slice(address.lastIndexOf(":") + 1));
    const tcp = connect({ host: "127.0.0.1", port });
    const pair = { ws, tcp };
    open.add(pair);
    const pending: Buffer[] = [];
    let connected = false;
    tcp.setNoDelay(true);
    tcp.on("connect", () => {
      connected = true;
      for (const b of pending.splice(0)) tcp.write(b);
    });
    tcp.on("data", (d) => ws.readyState === WebSocket.OPEN && ws.send(d));
    tcp.on("error", () => {}); // followed by close
    tcp.on("close", () => {
      open.delete(pair);
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(1000);
    });
    ws.on("message", (m: RawData) => {
      const b = Array.isArray(m) ? Buffer.concat(m) : Buffer.from(m as ArrayBuffer);
      if (connected) tcp.write(b);
      else pending.push(b);
    });
    ws.on("error", () => {}); // followed by close
    ws.on("close", () => {
      open.delete(pair);
      tcp.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const port = (server.address() as { port: number }).port;
  return {
    proxy: `127.0.0.1:${port}/v1`,
    port,
    connections: () => accepted,
    async close() {
      for (const { ws, tcp } of open) {
        ws.terminate();
        tcp.destroy();
      }
      await new Promise((r) => server.close(r));
    },
  };
}
