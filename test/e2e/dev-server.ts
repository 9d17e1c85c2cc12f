// Starts `npm run dev` (wrangler dev + workerd) on a free port with throw-away Durable Object storage, and
// stops it again: the whole process group, checked until no member (npm, wrangler, workerd) is left.
// Used by the end-to-end tests and by bench/service.ts.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, sleep } from "../harness/process";

export { freePort };

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface DevServer {
  port: number;
  /** The process group of npm run dev and everything it started. */
  pgid: number;
  /** http://127.0.0.1:<port> */
  url: string;
  /** Everything npm run dev printed so far (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
}

export interface DevOptions {
  /** More `wrangler dev` arguments, e.g. ["--log-level", "warn"]. */
  args?: string[];
  /** More environment for npm run dev, e.g. { IPAM_AUTH: "enabled" }. */
  env?: Record<string, string>;
  /** How long to wait for /health (default 180 s: a loaded 2-core machine can be slow to bundle and boot). */
  startupTimeoutMs?: number;
}



/** Process ids whose process group is `pgid` (from /proc; Linux). */
export function groupMembers(pgid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses, so split after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) === pgid && fields[0] !== "Z") pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // nothing left in the group
  }
}

export async function startDevServer(opts: DevOptions = {}): Promise<DevServer> {
  const timeout = opts.startupTimeoutMs ?? 180_000;
  let lastError: Error | undefined;
  // A port can be taken between freePort() and wrangler's bind: try again on another.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const state = mkdtempSync(join(tmpdir(), "ipam-e2e-state-"));
    const child = spawn("npm", ["run", "dev", "--", "--port", String(port), "--persist-to", state, ...(opts.args ?? [])], {
      cwd: REPO_ROOT,
      detached: true, // its own process group, so stop() reaches npm, wrangler and both workerd processes
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...opts.env },
    });
    const server = devServer(child, port, state);
    try {
      await waitForHealth(server, child, timeout);
      return server;
    } catch (e) {
      lastError = e as Error;
      await server.stop();
    }
  }
  throw lastError ?? new Error("npm run dev did not start");
}

function devServer(child: ChildProcess, port: number, state: string): DevServer {
  let output = "";
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => (output += d));
  const pgid = child.pid!;
  let stopped: Promise<void> | undefined;
  const stop = async () => {
    signalGroup(pgid, "SIGTERM");
    for (let waited = 0; groupMembers(pgid).length > 0; waited += 100) {
      if (waited === 15_000) signalGroup(pgid, "SIGKILL");
      if (waited > 30_000) throw new Error(`processes of group ${pgid} survived SIGKILL: ${groupMembers(pgid).join(" ")}`);
      await sleep(100);
    }
    rmSync(state, { recursive: true, force: true });
  };
  return {
    port,
    pgid,
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    stop: () => (stopped ??= stop()),
  };
}

async function waitForHealth(server: DevServer, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`npm run dev exited (${child.exitCode ?? child.signalCode}) before answering:\n${server.output()}`);
    }
    try {
      const r = await fetch(`${server.url}/health`, { signal: AbortSignal.timeout(5_000) });
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`npm run dev did not answer /health on port ${server.port} within ${timeoutMs} ms:\n${server.output()}`);
    await sleep(250);
  }
}
