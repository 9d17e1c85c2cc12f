// A private redis-server on a loopback port with a throw-away data directory. AOF with appendfsync always,
// so an acknowledged write survives kill -9 (the durability the store promises; docs/storage.md).
import { freePort, removeDir, requireCommand, type RestartableServer, restartableServer, startProcess, tempDir, waitForPort } from "./process";

export interface RedisServer extends RestartableServer {
  port: number;
  dataDir: string;
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
  const server = await restartableServer(
    "redis-server",
    () => startProcess(bin, args, { label: "redis-server" }),
    (child) => waitForPort(port, child, "redis-server"),
    () => owned && removeDir(dataDir),
  );
  return Object.assign(server, { port, dataDir });
}
