// Stands in for Upstash's front door: the Upstash REST API (what @upstash/redis speaks) in front of a real
// redis-server. POST / with a command as a JSON array answers {"result"}; /pipeline and /multi-exec take
// an array of commands and answer one {"result"} or {"error"} each. Bearer-token auth, optional base64
// encoding of results (Upstash-Encoding: base64), Redis errors as HTTP 400 {"error"}.
import { createServer, type IncomingMessage, type Server } from "node:http";
import { createClient } from "redis";

export interface UpstashBridge {
  url: string;
  token: string;
  /** Requests answered, for tests. */
  requests(): number;
  close(): Promise<void>;
}

type Reply = string | number | null | Reply[];

function encode(reply: unknown, base64: boolean): Reply {
  if (reply === null || reply === undefined) return null;
  if (typeof reply === "number") return reply;
  if (typeof reply === "bigint") return Number(reply);
  if (Array.isArray(reply)) return reply.map((r) => encode(r, base64));
  if (reply instanceof Uint8Array) return base64 ? Buffer.from(reply).toString("base64") : Buffer.from(reply).toString("utf8");
  const s = String(reply);
  return base64 && s !== "OK" ? Buffer.from(s, "utf8").toString("base64") : s;
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

const isCommand = (c: unknown): c is (string | number)[] =>
  Array.isArray(c) && c.length > 0 && c.every((a) => typeof a === "string" || typeof a === "number");

export async function startUpstashBridge(opts: { redisPort: number; port?: number; token?: string }): Promise<UpstashBridge> {
  const token = opts.token ?? `bridge-${crypto.randomUUID()}`;
  const redis = createClient({ socket: { host: "127.0.0.1", port: opts.redisPort, reconnectStrategy: () => 200 }, RESP: 2, disableOfflineQueue: true });
  redis.on("error", () => {}); // reconnects by itself; commands meanwhile fail and answer 500
  await redis.connect();
  let count = 0;
  const server: Server = createServer(async (req, res) => {
    const reply = (status: number, payload: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(payload));
    };
    try {
      if (req.headers.authorization !== `Bearer ${token}`) return reply(401, { error: "Unauthorized" });
      if (req.method !== "POST") return reply(405, { error: "only POST is supported by this bridge" });
      const base64 = String(req.headers["upstash-encoding"] ?? "").toLowerCase() === "base64";
      const parsed = JSON.parse(await body(req)) as unknown;
      const path = (req.url ?? "/").split("?")[0];
      count++;
      const args = (c: (string | number)[]) => c.map(String);
      if (path === "/") {
        if (!isCommand(parsed)) return reply(400, { error: "ERR the body must be a command as a JSON array" });
        try {
          return reply(200, { result: encode(await redis.sendCommand(args(parsed)), base64) });
        } catch (e) {
          return isRedisError(e) ? reply(400, { error: (e as Error).message }) : reply(500, { error: String(e) });
        }
      }
      if (path === "/pipeline" || path === "/multi-exec") {
        if (!Array.isArray(parsed) || !parsed.every(isCommand)) return reply(400, { error: "ERR the body must be an array of commands" });
        if (path === "/multi-exec") {
          const multi = redis.multi();
          for (const c of parsed) multi.addCommand(args(c));
          const results = (await multi.exec()) as unknown[];
          return reply(200, results.map((r) => (r instanceof Error ? { error: r.message } : { result: encode(r, base64) })));
        }
        const results = await Promise.all(
          parsed.map((c) =>
            redis.sendCommand(args(c)).then(
              (r) => ({ result: encode(r, base64) }),
              (e: unknown) => {
                if (!isRedisError(e)) throw e;
                return { error: (e as Error).message };
              },
            ),
          ),
        );
        return reply(200, results);
      }
      return reply(404, { error: `unknown path ${path}` });
    } catch (e) {
      if (!res.headersSent) reply(500, { error: `bridge: ${(e as Error).message}` });
    }
  });
  const port = await new Promise<number>((resolve) => server.listen(opts.port ?? 0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    requests: () => count,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** A reply error from Redis itself (as opposed to a lost connection). */
function isRedisError(e: unknown): boolean {
  return e instanceof Error && e.constructor.name === "ErrorReply";
}
