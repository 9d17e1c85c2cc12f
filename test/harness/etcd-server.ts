// A private single-member etcd on loopback client and peer ports with a throw-away data directory and etcd's
// default limits (--max-txn-ops 128, --max-request-bytes 1.5 MiB). etcd fsyncs its WAL before it answers,
// so an acknowledged write survives kill -9. enableAuth() turns on etcd's auth with a user that may only use
// the ipam/ prefix, the way docs/storage.md ("etcd") tells operators to run it.
import { freePort, removeDir, requireCommand, type RestartableServer, restartableServer, sleep, startProcess, tempDir, waitForPort } from "./process";

export interface EtcdServer extends RestartableServer {
  /** http://127.0.0.1:<client port>, the JSON gateway's base URL. */
  url: string;
  dataDir: string;
}

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

/** POSTs to the gateway; throws with etcd's message on an error answer. */
export async function etcdPost(url: string, path: string, body: unknown, token?: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: token } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`etcd ${path}: HTTP ${res.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

async function waitHealthy(url: string, child: { exitCode: number | null; signalCode: string | null; output(): string }): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`etcd exited (${child.exitCode ?? child.signalCode})\n${child.output()}`);
    try {
      const res = await fetch(`${url}/health`);
      const body = (await res.json()) as { health?: string };
      if (body.health === "true") return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`etcd at ${url} was not healthy within 60 s\n${child.output()}`);
    await sleep(100);
  }
}

export async function startEtcdServer(opts: { dataDir?: string } = {}): Promise<EtcdServer> {
  const bin = requireCommand("etcd", "etcd-server", ["/usr/bin/etcd"]);
  const clientPort = await freePort();
  const peerPort = await freePort();
  const dataDir = opts.dataDir ?? tempDir("etcd");
  const owned = opts.dataDir === undefined;
  const url = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const args = [
    "--name", "ipam-test", "--data-dir", dataDir,
    "--listen-client-urls", url, "--advertise-client-urls", url,
    "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", `ipam-test=${peer}`,
    "--logger", "zap", "--log-level", "warn",
  ];
  const server = await restartableServer(
    "etcd",
    () => startProcess(bin, args, { label: "etcd" }),
    async (child) => {
      await waitForPort(clientPort, child, "etcd");
      await waitHealthy(url, child);
    },
    () => owned && removeDir(dataDir),
  );
  return Object.assign(server, { url, dataDir });
}

export interface EtcdAuth {
  rootPassword: string;
  user: string;
  password: string;
}

/** Adds root and a user whose role may read and write ipam/ only, and enables auth. */
export async function enableAuth(url: string, auth: EtcdAuth): Promise<void> {
  await etcdPost(url, "/v3/auth/user/add", { name: "root", password: auth.rootPassword });
  await etcdPost(url, "/v3/auth/user/grant", { user: "root", role: "root" });
  await etcdPost(url, "/v3/auth/role/add", { name: "ipam-rw" });
  await etcdPost(url, "/v3/auth/role/grant", { name: "ipam-rw", perm: { permType: "READWRITE", key: b64("ipam/"), range_end: b64("ipam0") } });
  await etcdPost(url, "/v3/auth/user/add", { name: auth.user, password: auth.password });
  await etcdPost(url, "/v3/auth/user/grant", { user: auth.user, role: "ipam-rw" });
  await etcdPost(url, "/v3/auth/enable", {});
}

/** A root token, for the harness's own admin requests. */
export async function rootToken(url: string, auth: EtcdAuth): Promise<string> {
  const out = await etcdPost(url, "/v3/auth/authenticate", { name: "root", password: auth.rootPassword });
  return String(out.token);
}

/** Deletes every key under `prefix`. */
export async function deletePrefix(url: string, prefix: string, token?: string): Promise<void> {
  const end = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
  await etcdPost(url, "/v3/kv/deleterange", { key: b64(prefix), range_end: b64(end) }, token);
}

export async function etcdVersion(url: string): Promise<string> {
  const res = await fetch(`${url}/version`);
  return ((await res.json()) as { etcdserver?: string }).etcdserver ?? "?";
}
