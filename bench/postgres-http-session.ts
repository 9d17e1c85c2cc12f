// The Postgres store's statements over Neon's HTTP transport (neon() and its non-interactive transaction()),
// for bench/postgres-modes.ts to measure against the WebSocket session the store uses. Each statement is one
// fetch; a transaction's statements travel in ONE fetch. The fetch endpoint is a global of the driver
// (neonConfig.fetchEndpoint), set by the caller.
import { neon } from "@neondatabase/serverless";
import { withDeadline } from "../src/storage/failure";
import type { PgSession, SqlStatement } from "../src/storage/postgres-session";

export class NeonHttpSession implements PgSession {
  private sent = 0;
  private readonly sql: ReturnType<typeof neon<true, false>>;

  constructor(
    databaseUrl: string,
    private readonly timeoutMs: number,
  ) {
    this.sql = neon<true, false>(databaseUrl, { arrayMode: true, fullResults: false });
  }

  get roundTrips(): number {
    return this.sent;
  }

  query(what: string, stmt: SqlStatement): Promise<unknown[][]> {
    this.sent++;
    // `await` inside: the driver's query object is a lazy thenable that sends the query again on every
    // then(), and withDeadline subscribes to the work twice.
    return withDeadline(this.timeoutMs, what, async (signal) => (await this.sql.query(stmt.text, stmt.params, { arrayMode: true, fetchOptions: { signal } })) as unknown[][]);
  }

  transaction(what: string, stmts: SqlStatement[]): Promise<unknown[][][]> {
    this.sent++;
    return withDeadline(this.timeoutMs, what, async (signal) => {
      const queries = stmts.map((s) => this.sql.query(s.text, s.params));
      return (await this.sql.transaction(queries, { arrayMode: true, fetchOptions: { signal } })) as unknown[][][];
    });
  }

  async script(): Promise<void> {
    throw new Error("the HTTP transport runs one statement per query: migrate over the WebSocket session first");
  }

  async close(): Promise<void> {}
}
