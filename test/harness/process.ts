// Starting and stopping the real servers the store tests use: free loopback ports, throw-away directories,
// child processes in their own process group, and waiting until a server answers.
import { type ChildProcess, execFileSync, spawn, type SpawnOptions } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A TCP port nothing listens on right now (the kernel's choice). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `ipam-${tag}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** The path of `command`, or an error naming the Debian package that provides it. */
export function requireCommand(command: string, debianPackage: string, candidates: string[] = []): string {
  for (const c of candidates) {
    try {
      execFileSync("test", ["-x", c]);
      return c;
    } catch {
      // not there
    }
  }
  try {
    return execFileSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" }).trim();
  } catch {
    throw new Error(`${command} is not installed: install the Debian package ${debianPackage} (apt-get install -y ${debianPackage})`);
  }
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port. */
export async function waitForPort(port: number, child: ChildProcess | undefined, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before listening on port ${port}`);
    }
    const up = await new Promise<boolean>((resolve) => {
      const s = createConnection({ host: "127.0.0.1", port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (up) return;
    if (Date.now() > deadline) throw new Error(`${what} did not listen on port ${port} within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** A server process started by the harness, with the signals the fault tests send it. */
export interface ServerProcess {
  readonly pid: number;
  /** kill -STOP: the process stops answering but keeps its connections. */
  pause(): void;
  /** kill -CONT. */
  resume(): void;
  /** kill -9, and wait until it is gone. */
  kill(): Promise<void>;
}

export function startProcess(command: string, args: string[], opts: SpawnOptions & { label: string }): ChildProcess & { output(): string } {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...opts }) as ChildProcess & { output(): string };
  let out = "";
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 20_000) out = out.slice(-10_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  child.output = () => out;
  child.on("error", () => {}); // reported through exitCode / waitForPort
  return child;
}

export function serverProcess(child: ChildProcess): ServerProcess {
  const pid = child.pid!;
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(pid, s);
    } catch {
      // already gone
    }
  };
  return {
    pid,
    pause: () => signal("SIGSTOP"),
    resume: () => signal("SIGCONT"),
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once("exit", r));
      signal("SIGCONT");
      signal("SIGKILL");
      await gone;
    },
  };
}

/** Resolves once the kernel reports `pid` stopped (state T, after kill -STOP), so a paused server answers nothing. */
export async function waitUntilStopped(pid: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let state = "";
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
    } catch {
      return; // gone
    }
    if (state === "T" || state === "t") return;
    if (Date.now() > deadline) throw new Error(`process ${pid} did not stop within ${timeoutMs} ms (state ${state})`);
    await sleep(5);
  }
}

/** Stops a child gracefully (SIGTERM, then SIGKILL after `graceMs`). */
export async function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once("exit", r));
  try {
    process.kill(child.pid!, "SIGCONT");
    child.kill("SIGTERM");
  } catch {
    return;
  }
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await gone;
  clearTimeout(timer);
}

/** A server process that can also be restarted on the same data, and stopped for good. */
export interface RestartableServer extends ServerProcess {
  /** Starts it again with the same arguments and data (after kill()). */
  restart(): Promise<void>;
  /** Stops it gracefully, then runs `cleanup` (e.g. removes a throw-away data directory). */
  stop(): Promise<void>;
}

/**
 * Starts a server with `start` and waits until `ready` resolves (its output is added to any error), and keeps
 * doing so on restart(). `what` names it in errors.
 */
export async function restartableServer(
  what: string,
  start: () => ChildProcess & { output(): string },
  ready: (child: ChildProcess & { output(): string }) => Promise<void>,
  cleanup: () => void = () => {},
): Promise<RestartableServer> {
  let child = start();
  let proc = serverProcess(child);
  const up = async () => {
    try {
      await ready(child);
    } catch (e) {
      throw new Error(`${what}: ${(e as Error).message}\n${child.output()}`);
    }
  };
  await up();
  return {
    get pid() {
      return proc.pid;
    },
    pause: () => proc.pause(),
    resume: () => proc.resume(),
    kill: () => proc.kill(),
    async restart() {
      await proc.kill();
      child = start();
      proc = serverProcess(child);
      await up();
    },
    async stop() {
      await stopProcess(child);
      cleanup();
    },
  };
}
