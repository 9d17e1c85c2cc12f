// The MongoDB wire-protocol stand-in (test/harness/mongo-standin/) as a child process on a private loopback
// port, so the fault tests can stop it (kill -STOP) and kill it (kill -9) like a real server. Its data
// directory keeps every acknowledged commit across a restart. Every REFUSED line it prints is collected.
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { freePort, removeDir, type RestartableServer, restartableServer, startProcess, tempDir, waitForPort } from "./process";

const MAIN = fileURLToPath(new URL("./mongo-standin/main.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const REFUSED_LINE = "mongo-standin REFUSED:";

export interface MongoStandinProcess extends RestartableServer {
  port: number;
  dataDir: string;
  user: string;
  password: string;
  /** mongodb://ipam:<password>@127.0.0.1:<port>/?replicaSet=rs0 (no replicaSet for a standalone one). */
  uri: string;
  /** The REFUSED lines printed so far (what the stand-in does not implement and was asked for). */
  complaints(): string[];
  /** Makes it crash (as kill -9) in the middle of the next big batch, between two of its write commands. */
  armCrash(): void;
}

export async function startMongoStandin(opts: { dataDir?: string; standalone?: boolean } = {}): Promise<MongoStandinProcess> {
  const port = await freePort();
  const dataDir = opts.dataDir ?? tempDir("mongo-standin");
  const owned = opts.dataDir === undefined;
  const password = randomBytes(18).toString("base64url");
  const args = ["--import", "tsx", MAIN, "--port", String(port), "--data-dir", dataDir, ...(opts.standalone ? ["--standalone"] : [])];
  const complaints: string[] = [];
  const start = () => {
    const child = startProcess(process.execPath, args, {
      label: "mongo-standin",
      cwd: ROOT,
      env: { ...process.env, MONGO_STANDIN_PASSWORD: password },
    });
    let partial = "";
    child.stderr?.on("data", (d: Buffer) => {
      const lines = (partial + d.toString()).split("\n");
      partial = lines.pop() ?? "";
      for (const l of lines) if (l.includes(REFUSED_LINE)) complaints.push(l);
    });
    return child;
  };
  const server = await restartableServer("mongo-standin", start, (child) => waitForPort(port, child, "mongo-standin", 60_000), () => owned && removeDir(dataDir));
  return Object.assign(server, {
    port,
    dataDir,
    user: "ipam",
    password,
    uri: `mongodb://ipam:${password}@127.0.0.1:${port}/${opts.standalone ? "" : "?replicaSet=rs0"}`,
    complaints: () => [...complaints],
    armCrash: () => process.kill(server.pid, "SIGUSR2"),
  });
}
