// Stands in for Neon's HTTP query endpoint ("/sql", what neon() and its transaction() call) in front of a
// real PostgreSQL, for bench/postgres-modes.ts. Protocol as the driver speaks it: POST with headers
// Neon-Connection-String, Neon-Raw-Text-Output and Neon-Array-Mode (and Neon-Batch-Isolation-Level,
// -Read-Only, -Deferrable for a transaction); body {query, params} or {queries: [...]}; answer
// {fields: [{name, dataTypeID}], rows: [[text]], rowCount, command} or {results: [...]}, an error as HTTP 400
// {message, code, ...}. Values stay text: the driver parses them by type OID. Connections are pooled per
// connection string, as Neon's proxy does; only the one PostgreSQL port it was started for is reachable.
import { createServer, type IncomingMessage } from "node:http";
import pg from "pg";

export interface NeonHttpShim {
  /** What neonConfig.fetchEndpoint is set to. */
  endpoint: string;
  close(): Promise<void>;
}

const ISOLATION: Record<string, string> = {
  ReadUncommitted: "READ UNCOMMITTED",
  ReadCommitted: "READ COMMITTED",
  RepeatableRead: "REPEATABLE READ",
  Serializable: "SERIALIZABLE",
};

const asText = { getTypeParser: () => (v: string) => v } as unknown as pg.CustomTypesConfig;

interface Query {
  query: string;
  params?: unknown[];
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

const answer = (r: pg.QueryResult<unknown[]>) => ({
  fields: r.fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID })),
  rows: r.rows,
  rowCount: r.rowCount,
  command: r.command,
});

export async function startNeonHttpShim(opts: { postgresPort: number }): Promise<NeonHttpShim> {
  const pools = new Map<string, pg.Pool>();
  const poolFor = (connection: string) => {
    const u = new URL(connection);
    if (!["127.0.0.1", "localhost"].includes(u.hostname) || Number(u.port) !== opts.postgresPort) {
      throw Object.assign(new Error(`this shim only reaches 127.0.0.1:${opts.postgresPort}`), { code: "08001" });
    }
    let pool = pools.get(connection);
    if (!pool) {
      pool = new pg.Pool({ connectionString: connection, max: 16 });
      pool.on("error", () => {});
      pools.set(connection, pool);
    }
    return pool;
  };
  const run = (c: pg.PoolClient, q: Query) => c.query<unknown[]>({ text: q.query, values: q.params ?? [], rowMode: "array", types: asText });

  const server = createServer(async (req, res) => {
    const reply = (status: number, payload: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(payload));
    };
    try {
      const connection = String(req.headers["neon-connection-string"] ?? "");
      const request = JSON.parse(await body(req)) as Query | { queries: Query[] };
      const client = await poolFor(connection).connect();
      try {
        if ("queries" in request) {
          const level = ISOLATION[String(req.headers["neon-batch-isolation-level"] ?? "")];
          const readOnly = req.headers["neon-batch-read-only"] === "true" ? " READ ONLY" : "";
          const deferrable = req.headers["neon-batch-deferrable"] === "true" ? " DEFERRABLE" : "";
          await client.query(`BEGIN${level ? ` ISOLATION LEVEL ${level}` : ""}${readOnly}${deferrable}`);
          try {
            const results = [];
            for (const q of request.queries) results.push(answer(await run(client, q)));
            await client.query("COMMIT");
            reply(200, { results });
          } catch (e) {
            await client.query("ROLLBACK").catch(() => {});
            throw e;
          }
        } else {
          reply(200, answer(await run(client, request)));
        }
      } finally {
        client.release();
      }
    } catch (e) {
      const err = e as Error & Record<string, unknown>;
      const fields = ["code", "severity", "detail", "hint", "position", "where", "schema", "table", "column", "constraint", "routine"];
      reply(400, { message: err.message, ...Object.fromEntries(fields.filter((f) => err[f] !== undefined).map((f) => [f, err[f]])) });
    }
  });
  const port = await new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));
  return {
    endpoint: `http://127.0.0.1:${port}/sql`,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await Promise.all([...pools.values()].map((p) => p.end().catch(() => {})));
    },
  };
}
