// The Store over PostgreSQL or CockroachDB through the Neon serverless driver (@neondatabase/serverless),
// over one WebSocket connection kept by the store (postgres-session.ts). Tables: migrations/ (applied at
// first use, postgres-migrations.ts); statements: postgres-sql.ts; layout and reasoning: docs/storage.md
// ("PostgreSQL and CockroachDB").
//
// Every write is one fenced statement (one round trip), except a batch that both puts and deletes rows of
// one table, which is one transaction of two statements (still one round trip over the WebSocket session,
// sent as one query). A serialization failure (SQLSTATE 40001,
// CockroachDB's "restart transaction") means nothing was written: CommitRefusedError, and the runner reloads
// and runs the batch again.

import { secretsOf, type StoreConfig } from "./config";
import { StoreNotReadyError, storeFailure } from "./failure";
import { MIGRATIONS, psqlCommand, SCHEMA_VERSION, VERSION_STATEMENT } from "./postgres-migrations";
import { NeonWsSession, type PgSession } from "./postgres-session";
import {
  commitPlan,
  createStatement,
  deleteStatement,
  FENCED_MARKER,
  LIST_STATEMENT,
  loadStatement,
  stateStatement,
} from "./postgres-sql";
import { collapseChanges, extraRecord, ipRecord, prefixRecord } from "./records";
import {
  CommitRefusedError,
  type ExtraRecord,
  FencingError,
  InvalidChangeError,
  type NamespaceSnapshot,
  type NamespaceState,
  type Store,
  type StoreCounters,
  type StoredChange,
  type StoredRecord,
} from "./types";

export type PostgresConfig = Extract<StoreConfig, { kind: "postgres" }>;

export interface PostgresCounters extends StoreCounters {
  /** Queries sent to the server (a transaction is one). */
  roundTrips: number;
}

export interface PostgresStoreOptions {
  /** Another transport behind the same statements (the bench's HTTP mode); default: a Neon WebSocket session. */
  session?: PgSession;
}

/** Databases whose schema this isolate has found up to date, so each new store skips the check. */
const readyDatabases = new Set<string>();

const sqlstate = (e: unknown): string | undefined => {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
};

const UNDEFINED_TABLE = "42P01";
const SERIALIZATION_FAILURE = "40001";

export class PostgresStore implements Store {
  readonly backend = "postgres";
  private readonly config: PostgresConfig;
  private readonly secrets: string[];
  private readonly session: PgSession;
  private readonly counted = { commits: 0, changes: 0 };
  private schema: Promise<void> | undefined;

  constructor(config: PostgresConfig, opts: PostgresStoreOptions = {}) {
    this.config = config;
    this.secrets = secretsOf(config);
    this.session =
      opts.session ??
      new NeonWsSession({ databaseUrl: config.databaseUrl, wsProxy: config.wsProxy, timeoutMs: config.timeoutMs, idleMs: config.idleMs });
  }

  get counters(): PostgresCounters {
    return { ...this.counted, roundTrips: this.session.roundTrips };
  }

  async load(namespace: string): Promise<NamespaceSnapshot> {
    const rows = await this.run("load", () => this.session.query("postgres load", loadStatement(namespace)));
    let exists = false;
    let version = 0;
    const records: StoredRecord[] = [];
    const extras: StoredRecord[] = []; // after the core's records
    for (const r of rows) {
      const kind = r[0];
      const [a, b, data] = [r[1] as string, r[2] as string, r[3] as string | null];
      if (kind === "n") {
        exists = a === "1";
        version = Number(b);
      } else if (kind === "p") records.push(prefixRecord(a, b, data));
      else if (kind === "i") records.push(ipRecord(a, b, data));
      else extras.push(extraRecord(a as ExtraRecord["kind"], b, data));
    }
    for (const x of extras) records.push(x);
    return { exists, version, records: exists ? records : [] };
  }

  async commit(namespace: string, expectedVersion: number, changes: readonly StoredChange[]): Promise<number> {
    const collapsed = collapseChanges(changes);
    checkText(changes);
    const plan = commitPlan(namespace, expectedVersion, collapsed);
    const version = await this.run("commit", async () => {
      try {
        if (plan.kind === "statement") {
          const rows = await this.session.query("postgres commit", plan.stmt);
          return rows.length > 0 ? Number(rows[0][0]) : undefined;
        }
        const results = await this.session.transaction("postgres commit", plan.stmts);
        return Number(results[0][0][0]);
      } catch (e) {
        if (sqlstate(e) === "22P02" && String((e as Error).message).includes(FENCED_MARKER)) return undefined;
        throw e;
      }
    });
    if (version === undefined) throw await this.fenced(namespace, expectedVersion);
    this.counted.commits++;
    this.counted.changes += changes.length;
    return version;
  }

  async createNamespace(namespace: string): Promise<NamespaceState & { created: boolean }> {
    const rows = await this.run("create namespace", () => this.session.query("postgres create namespace", createStatement(namespace)));
    if (rows.length > 0) return { exists: true, version: Number(rows[0][0]), created: true };
    // It existed already (the common case of an idempotent create): read its version.
    const state = await this.state(namespace);
    if (!state.exists) throw new CommitRefusedError(`namespace ${JSON.stringify(namespace)}: create raced with a delete`);
    return { ...state, created: false };
  }

  async deleteNamespace(namespace: string, expectedVersion: number): Promise<number> {
    const rows = await this.run("delete namespace", () =>
      this.session.query("postgres delete namespace", deleteStatement(namespace, expectedVersion)),
    );
    if (rows.length === 0) throw await this.fenced(namespace, expectedVersion);
    return Number(rows[0][0]);
  }

  async listNamespaces(): Promise<string[]> {
    const rows = await this.run("list namespaces", () => this.session.query("postgres list namespaces", LIST_STATEMENT));
    return rows.map((r) => r[0] as string).sort();
  }

  async ping(): Promise<void> {
    await this.run("ping", () => this.session.query("postgres ping", { text: "SELECT 1", params: [] }));
  }

  async close(): Promise<void> {
    await this.session.close();
  }

  /** Applies the migrations this database lacks (or says how to), once per store and isolate. */
  async ensureSchema(): Promise<void> {
    if (readyDatabases.has(this.config.databaseUrl)) return;
    this.schema ??= this.migrate().then(
      () => void readyDatabases.add(this.config.databaseUrl),
      (e: unknown) => {
        this.schema = undefined; // the next call checks again
        throw e;
      },
    );
    return this.schema;
  }

  private async migrate(): Promise<void> {
    let current = await this.schemaVersion();
    if (current >= SCHEMA_VERSION) return;
    if (!this.config.autoMigrate) throw this.notReady(current);
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      try {
        await this.session.script(`postgres migration ${m.name}`, m.sql);
      } catch (e) {
        // Another isolate may have applied it at the same moment (a duplicate table or key): look again.
        current = await this.schemaVersion();
        if (current >= m.version) continue;
        throw e;
      }
    }
  }

  private async schemaVersion(): Promise<number> {
    try {
      const rows = await this.session.query("postgres schema version", { text: VERSION_STATEMENT, params: [] });
      return Number(rows[0][0]);
    } catch (e) {
      if (sqlstate(e) === UNDEFINED_TABLE) return 0;
      throw e;
    }
  }

  private notReady(current: number): StoreNotReadyError {
    const have = current === 0 ? "has no IPAM tables" : `has IPAM schema version ${current}`;
    return new StoreNotReadyError(
      `postgres: the database ${have}, this release needs version ${SCHEMA_VERSION}, and IPAM_AUTO_MIGRATE is false: ` +
        `apply the migrations with \`${psqlCommand(current)}\` (from the repository), or set IPAM_AUTO_MIGRATE=true`,
    );
  }

  private async state(namespace: string): Promise<NamespaceState> {
    const rows = await this.run("read namespace", () => this.session.query("postgres read namespace", stateStatement(namespace)));
    return rows.length === 0 ? { exists: false, version: 0 } : { exists: rows[0][0] === true, version: Number(rows[0][1]) };
  }

  private async fenced(namespace: string, expectedVersion: number): Promise<FencingError> {
    return new FencingError(namespace, expectedVersion, await this.state(namespace));
  }

  /** Runs `work` after the schema check, turning the database's errors into the store's. */
  private async run<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      await this.ensureSchema();
      return await work();
    } catch (e) {
      throw this.failure(what, e);
    }
  }

  private failure(what: string, e: unknown): Error {
    const code = sqlstate(e);
    if (code === SERIALIZATION_FAILURE) {
      return new CommitRefusedError(`postgres: ${what} refused by the database (SQLSTATE 40001, serialization failure); nothing was written`);
    }
    if (code === UNDEFINED_TABLE) {
      readyDatabases.delete(this.config.databaseUrl);
      this.schema = undefined;
      if (!this.config.autoMigrate) return this.notReady(0);
    }
    return storeFailure(this.backend, what, e, this.secrets);
  }
}

/** PostgreSQL text cannot hold NUL (and JSONB refuses \u0000): refuse such a batch before writing anything. */
function checkText(changes: readonly StoredChange[]): void {
  for (const c of changes) {
    const r = c.record as unknown as Record<string, unknown>;
    for (const k in r) {
      const v = r[k];
      const text = typeof v === "string" ? v : JSON.stringify(v);
      if (text !== undefined && (text.includes("\0") || text.includes("\\u0000"))) {
        throw new InvalidChangeError(`record field ${k} contains a NUL character, which PostgreSQL cannot store`);
      }
    }
  }
}
