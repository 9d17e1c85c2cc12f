// A private PostgreSQL cluster (initdb) on a loopback port with a throw-away data directory, SCRAM password
// auth only (so the Neon driver's pipelineConnect=false path is what runs), default durability (fsync on).
// initdb and postgres refuse to run as root: as root, both run as the `postgres` system user, which owns
// the directory. The fault signals go to the postmaster and every backend it forked, as a machine pause or
// crash would hit them all.
import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { freePort, removeDir, requireCommand, sleep, startProcess, tempDir, waitForPort } from "./process";

export interface PostgresServer {
  port: number;
  /** postgres://postgres:<password>@127.0.0.1:<port>/postgres */
  adminUrl: string;
  user: string;
  password: string;
  version: string;
  /** kill -STOP on the postmaster and its backends: connections stay open and nothing answers. */
  pause(): void;
  resume(): void;
  /** kill -9 on the postmaster and its backends, and wait until they are gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data directory (crash recovery replays the WAL). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function binDir(): string {
  const versions = (() => {
    try {
      return readdirSync("/usr/lib/postgresql").filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    } catch {
      return [];
    }
  })();
  const initdb = requireCommand("initdb", "postgresql", versions.map((v) => `/usr/lib/postgresql/${v}/bin/initdb`));
  return initdb.slice(0, -"/initdb".length);
}

/** As root: the uid/gid of the `postgres` system user (Debian's package creates it). */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    return { uid, gid };
  } catch {
    throw new Error("running as root needs the `postgres` system user: install the Debian package postgresql");
  }
}

/** The pids of `pid` and of every process below it. */
function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return out;
}

function signalTree(pid: number, signal: NodeJS.Signals): void {
  for (const p of processTree(pid)) {
    try {
      process.kill(p, signal);
    } catch {
      // already gone
    }
  }
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Resolves once a login succeeds: the port opens before recovery ends ("the database system is starting up"). */
async function acceptsLogins(port: number, user: string, password: string, child: { exitCode: number | null }, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = new pg.Client({ host: "127.0.0.1", port, user, password, database: "postgres" });
    c.on("error", () => {});
    try {
      await c.connect();
      await c.end();
      return;
    } catch (e) {
      await c.end().catch(() => {});
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`postgres does not accept logins: ${(e as Error).message}`);
      await sleep(100);
    }
  }
}

export async function startPostgresServer(opts: { dataDir?: string; port?: number } = {}): Promise<PostgresServer> {
  const bin = binDir();
  const ids = runAs();
  const base = opts.dataDir ?? tempDir("postgres");
  const owned = opts.dataDir === undefined;
  const data = join(base, "data");
  const sockets = join(base, "sockets");
  const user = "postgres";
  const asUser = ids ? { uid: ids.uid, gid: ids.gid } : {};

  const fresh = !existsSync(join(data, "PG_VERSION"));
  const passwordFile = join(base, "harness-password"); // so a kept data directory can be started again
  mkdirSync(sockets, { recursive: true });
  if (ids) {
    chownSync(base, ids.uid, ids.gid);
    chownSync(sockets, ids.uid, ids.gid);
  }
  let password: string;
  if (fresh) {
    password = `pw-${crypto.randomUUID()}`;
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    if (ids) chownSync(passwordFile, ids.uid, ids.gid);
    try {
      execFileSync(
        join(bin, "initdb"),
        ["-D", data, "-U", user, "--pwfile", passwordFile, "--auth", "scram-sha-256", "-E", "UTF8", "--locale", "C", "--no-sync"],
        { ...asUser, stdio: ["ignore", "pipe", "pipe"], cwd: base },
      );
    } catch (e) {
      throw new Error(`initdb failed: ${(e as { stderr?: Buffer }).stderr?.toString() ?? e}`);
    }
  } else {
    password = readFileSync(passwordFile, "utf8").trim();
  }

  const port = opts.port ?? (await freePort());
  const args = [
    "-D", data, "-p", String(port), "-k", sockets, "-c", "listen_addresses=127.0.0.1",
    "-c", "max_connections=300", "-c", "shared_buffers=64MB", "-c", "log_min_messages=fatal",
  ];
  let child = startProcess(join(bin, "postgres"), args, { label: "postgres", ...asUser, cwd: base });
  const up = async () => {
    try {
      await waitForPort(port, child, "postgres", 60_000);
      await acceptsLogins(port, user, password, child);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${child.output()}`);
    }
  };
  try {
    await up();
  } catch (e) {
    await kill();
    if (owned) removeDir(base);
    throw e;
  }
  const version = execFileSync(join(bin, "postgres"), ["--version"], { encoding: "utf8" }).trim().replace(/^postgres \(PostgreSQL\) /, "");

  async function kill(): Promise<void> {
    const pid = child.pid!;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const tree = processTree(pid);
    const gone = new Promise((r) => child.once("exit", r));
    for (const p of tree) {
      try {
        process.kill(p, "SIGCONT");
        process.kill(p, "SIGKILL");
      } catch {
        // gone
      }
    }
    await gone;
    // The backends are not our children: wait until the kernel has reaped them, or the restart finds their
    // shared memory still attached.
    for (let i = 0; i < 600 && tree.some(isAlive); i++) await sleep(50);
  }

  return {
    port,
    adminUrl: `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    user,
    password,
    version,
    pause: () => signalTree(child.pid!, "SIGSTOP"),
    resume: () => signalTree(child.pid!, "SIGCONT"),
    kill,
    async restart() {
      await kill();
      child = startProcess(join(bin, "postgres"), args, { label: "postgres", ...asUser, cwd: base });
      await up();
    },
    async stop() {
      signalTree(child.pid!, "SIGCONT");
      if (child.exitCode === null && child.signalCode === null) {
        // SIGINT is PostgreSQL's fast shutdown (SIGTERM would wait for every client to disconnect).
        const gone = new Promise((r) => child.once("exit", r));
        child.kill("SIGINT");
        const timer = setTimeout(() => void kill(), 30_000);
        await gone;
        clearTimeout(timer);
      }
      if (owned) removeDir(base);
    },
  };
}
