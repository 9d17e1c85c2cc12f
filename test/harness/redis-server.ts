// A private redis-server on a loopback port with a throw-away data directory. AOF with appendfsync always,
// so an acknowledged write survives kill -9 (the durability the store promises; docs/storage.md).
import { freePort, removeDir, requireCommand, type ServerProcess, serverProcess, startProcess, stopProcess, tempDir, waitForPort } from "./process";

export interface RedisServer extends ServerProcess {
  port: number;
  dataDir: string;
  /** Starts it again on the same port and data directory (after kill()). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedisServer(opts: { dataDir?: string; port?: number } = {}): Promise<RedisServer> {
  const bin = requireCommand("redis-server", "redis-server", ["/usr/bin/redis-server"]);
  const port = opts.port ?? (await freePort());
  const dataDir = opts.dataDir ?? tempDir("redis");
  const owned = opts.dataDir === undefined;
  const args = [
    "--port", String(port), "--bind", "127.0.0.1", "--dir", dataDir, "--save", "",
    "--appendonly", "yes", "--appendfsync", "always", "--daemonize", "no", "--protected-mode", "no",
  ];
  let child = startProcess(bin, args, { label: "redis-server" });
  let proc = serverProcess(child);
  const up = async () => {
    try {
      await waitForPort(port, child, "redis-server");
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${child.output()}`);
    }
  };
  await up();
  return {
    port,
    dataDir,
    get pid() {
      return proc.pid;
    },
    pause: () => proc.pause(),
    resume: () => proc.resume(),
    kill: () => proc.kill(),
    async restart() {
      await proc.kill();
      child = startProcess(bin, args, { label: "redis-server" });
      proc = serverProcess(child);
      await up();
    },
    async stop() {
      await stopProcess(child);
      if (owned) removeDir(dataDir);
    },
  };
}
