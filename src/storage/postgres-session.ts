// One connection to PostgreSQL/CockroachDB over the Neon serverless driver's WebSocket transport, kept
// for the life of the store (a namespace object keeps its store, so a connection serves every batch of its
// namespace). Work runs one unit at a time (a statement, or a transaction's statements), each under the
// store's deadline; a unit that times out or loses the connection drops it, since its state is unknown, and
// the next unit connects afresh. Nothing here retries.
//
// NEON_WS_PROXY (a self-hosted proxy speaking Neon's wsproxy protocol) switches the driver off Neon's
// defaults: that proxy, ws:// only for a loopback host, and no connect pipelining (which assumes cleartext
// password auth; with SCRAM it fails with 08P01).

import { Client } from "@neondatabase/serverless";
import { withDeadline } from "./failure";
import { inlineParameters } from "./postgres-literals";

export interface SqlStatement {
  text: string;
  params: unknown[];
}

/** What the store needs from a connection (the bench plugs in Neon's HTTP transport behind the same shape). */
export interface PgSession {
  /** One statement, one round trip; rows as arrays, in column order. */
  query(what: string, stmt: SqlStatement): Promise<unknown[][]>;
  /** The statements in one transaction, in order, in one round trip; the rows of each. A failing statement rolls all back. */
  transaction(what: string, stmts: SqlStatement[]): Promise<unknown[][][]>;
  /** A parameterless multi-statement script (a migration file), one round trip. */
  script(what: string, text: string): Promise<void>;
  /** Statements (or scripts) sent to the server so far. */
  readonly roundTrips: number;
  close(): Promise<void>;
}

export interface WsSessionOptions {
  databaseUrl: string;
  /** host:port/path of a self-hosted wsproxy; undefined for Neon's own. */
  wsProxy?: string;
  timeoutMs: number;
  /**
   * Closes the connection after this long without work. An open WebSocket keeps its Durable Object active
   * (and billed, and not evictable), and holds a server connection; an idle namespace should do neither.
   */
  idleMs?: number;
}

export const DEFAULT_IDLE_MS = 5_000;

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])(:\d+)?$/i;

/** Whether a NEON_WS_PROXY value names a loopback host (ws://); anything else gets wss://. */
export function isLoopbackProxy(proxy: string): boolean {
  return LOOPBACK.test(proxy.split("/")[0]);
}

type Live = { client: Client; dead: boolean };

export class NeonWsSession implements PgSession {
  private live: Live | undefined;
  private turn: Promise<unknown> = Promise.resolve();
  private sent = 0;
  private busy = 0;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly opts: WsSessionOptions) {}

  get roundTrips(): number {
    return this.sent;
  }

  query(what: string, stmt: SqlStatement): Promise<unknown[][]> {
    return this.exclusive(what, async (client) => {
      this.sent++;
      return (await client.query({ text: stmt.text, values: stmt.params, rowMode: "array" })).rows as unknown[][];
    });
  }

  /** One round trip: the statements, their parameters written in, as one implicit transaction. */
  transaction(what: string, stmts: SqlStatement[]): Promise<unknown[][][]> {
    const text = stmts.map(inlineParameters).join(";\n");
    return this.exclusive(what, async (client) => {
      this.sent++;
      const results = (await client.query({ text, rowMode: "array" })) as unknown as { rows: unknown[][] } | { rows: unknown[][] }[];
      return (Array.isArray(results) ? results : [results]).map((r) => r.rows);
    });
  }

  script(what: string, text: string): Promise<void> {
    return this.exclusive(what, async (client) => {
      this.sent++;
      await client.query(text);
    });
  }

  async close(): Promise<void> {
    this.clearIdle();
    const live = this.live;
    this.live = undefined;
    if (!live) return;
    live.dead = true;
    await withDeadline(this.opts.timeoutMs, "postgres close", () => live.client.end(), () => destroy(live)).catch(() => destroy(live));
  }

  /** Runs `work` alone on the connection, under the deadline; drops the connection if its state is unknown. */
  private exclusive<T>(what: string, work: (client: Client) => Promise<T>): Promise<T> {
    this.busy++;
    this.clearIdle();
    const run = this.turn.then(() => {
      let live: Live | undefined;
      return withDeadline(
        this.opts.timeoutMs,
        what,
        async () => {
          live = await this.connection();
          try {
            return await work(live.client);
          } catch (e) {
            if (!isServerError(e)) this.drop(live);
            throw e;
          }
        },
        () => this.drop(live ?? this.live),
      );
    });
    this.turn = run.catch(() => {});
    return run.finally(() => {
      if (--this.busy === 0) this.armIdle();
    });
  }

  private armIdle(): void {
    this.clearIdle();
    if (!this.live) return;
    const timer = setTimeout(() => {
      if (this.idleTimer === timer && this.busy === 0) void this.close().catch(() => {});
    }, this.opts.idleMs ?? DEFAULT_IDLE_MS);
    (timer as { unref?: () => void }).unref?.();
    this.idleTimer = timer;
  }

  private clearIdle(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private async connection(): Promise<Live> {
    if (this.live && !this.live.dead) return this.live;
    const client = new Client(this.opts.databaseUrl);
    const live: Live = { client, dead: false };
    const cfg = client.neonConfig;
    if (this.opts.wsProxy !== undefined) {
      cfg.wsProxy = this.opts.wsProxy;
      cfg.useSecureWebSocket = !isLoopbackProxy(this.opts.wsProxy);
      cfg.pipelineConnect = false;
    }
    coalesceInMicrotask(cfg);
    // Without listeners a lost connection is an unhandled error event (workerd reports "Network connection
    // lost" after every end()); the unit in flight sees its own error.
    client.on("error", () => (live.dead = true));
    client.on("end", () => (live.dead = true));
    this.live = live;
    try {
      await client.connect();
    } catch (e) {
      this.drop(live);
      throw connectFailure(e);
    }
    return live;
  }

  private drop(live: Live | undefined): void {
    if (!live) return;
    live.dead = true;
    if (this.live === live) this.live = undefined;
    destroy(live);
  }
}

/**
 * One WebSocket message per statement. node-postgres writes a statement as five protocol messages in one
 * turn; the driver sends each as its own message, or with coalesceWrites batches them in a setTimeout(0),
 * which costs more than the round trip itself. Measured in workerd against the relay: 0.38-0.59 ms per
 * query one message each, 1.7-2.1 ms with the timer, 0.20-0.34 ms batched in a microtask. Needs the
 * driver's Socket.rawWrite (1.x); without it the driver's own uncoalesced writes are used.
 */
function coalesceInMicrotask(socket: object): void {
  const s = socket as { rawWrite?: unknown; coalesceWrites: boolean; ws?: { send(data: Uint8Array): void } };
  s.coalesceWrites = false;
  if (typeof s.rawWrite !== "function") return;
  let pending: Uint8Array[] | undefined;
  s.rawWrite = (data: Uint8Array) => {
    if (pending) {
      pending.push(data);
      return;
    }
    pending = [data];
    queueMicrotask(() => {
      const parts = pending!;
      pending = undefined;
      let size = 0;
      for (const p of parts) size += p.length;
      const out = parts.length === 1 ? parts[0] : new Uint8Array(size);
      if (parts.length > 1) {
        let at = 0;
        for (const p of parts) (out.set(p, at), (at += p.length));
      }
      s.ws?.send(out);
    });
  };
}

/** A WebSocket that could not open fails with an ErrorEvent, not an Error: say what it was. */
function connectFailure(e: unknown): unknown {
  if (e instanceof Error) return e;
  const event = e as { type?: unknown; message?: unknown } | null;
  const detail = typeof event?.message === "string" && event.message !== "" ? `: ${event.message}` : "";
  return new Error(`the WebSocket to the database proxy failed (${String(event?.type ?? "error")} event${detail})`);
}

function destroy(live: Live): void {
  const stream = (live.client as unknown as { connection?: { stream?: { ws?: { readyState?: number }; destroy(): void } } }).connection?.stream;
  // Closing a socket the peer is already closing makes workerd report "Network connection lost".
  if (!stream || (stream.ws && stream.ws.readyState !== 1)) return;
  try {
    stream.destroy();
  } catch {
    // already closed
  }
}

/**
 * An error the server sent for one statement (it has a SQLSTATE and a severity): the connection is still
 * usable, unless the server ended the session (FATAL/PANIC), which the "end" event reports.
 */
function isServerError(e: unknown): boolean {
  const x = e as { code?: unknown; severity?: unknown } | null;
  return typeof x?.code === "string" && /^[0-9A-Z]{5}$/.test(x.code) && typeof x.severity === "string";
}
