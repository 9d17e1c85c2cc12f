// npm run dev [-- --store <backend>] [-- --data-dir DIR] [-- wrangler dev options]
//
// The Worker under `wrangler dev` on 127.0.0.1:8787 (unless --port/--ip are given), auth disabled for local
// use. By default namespaces live in Durable Object storage (persisted under .wrangler/state). With
// --store redis|postgres|etcd|mongodb it first starts that database on a private port (throw-away data unless
// --data-dir keeps it) with the stand-in for the provider's front door, and wires wrangler dev to them, the
// way go-ipam's `docker compose up` does. SIGINT, SIGTERM or SIGHUP stop everything it started.
import { execFileSync, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type BackendName, BACKENDS, isBackendName, type RunningBackend, startBackend } from "../test/harness/backends";

const args = process.argv.slice(2);
const has = (flag: string) => args.some((a) => a === flag || a.startsWith(`${flag}=`));

/** Removes `--name value` (or `--name=value`) from args and returns the value. */
function take(flag: string): string | undefined {
  const i = args.findIndex((a) => a === flag || a.startsWith(`${flag}=`));
  if (i < 0) return undefined;
  const [a] = args.splice(i, 1);
  if (a.includes("=")) return a.slice(flag.length + 1);
  const [v] = args.splice(i, 1);
  if (v === undefined) fail(`${flag} needs a value`);
  return v;
}

function fail(message: string): never {
  console.error(`npm run dev: ${message}`);
  process.exit(2);
}

const store = take("--store") ?? "durable-object";
const dataDir = take("--data-dir");
if (!isBackendName(store)) fail(`--store must be one of ${BACKENDS.join(", ")}`);

let revision = "";
try {
  revision = execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
} catch {
  // not a git checkout: Version answers an empty revision
}

let backend: RunningBackend | undefined;
try {
  backend = await startBackend(store as BackendName, { dataDir });
} catch (e) {
  fail(`could not start the ${store} store: ${(e as Error).message}`);
}
if (store !== "durable-object") console.warn(`npm run dev: store ${store}: ${backend.description}${dataDir ? `, data kept in ${dataDir}` : ", throw-away data"}`);

const authOn = process.env.IPAM_AUTH === "enabled";
const wranglerArgs = ["dev", "--local"];
// Only the MongoDB build bundles the MongoDB driver (wrangler.mongodb.toml; README "MongoDB").
if (store === "mongodb" && !has("--config") && !has("-c")) wranglerArgs.push("--config", "wrangler.mongodb.toml");
if (!has("--port")) wranglerArgs.push("--port", "8787");
if (!has("--ip")) wranglerArgs.push("--ip", "127.0.0.1");
if (!authOn) wranglerArgs.push("--var", "IPAM_AUTH:disabled");
if (revision) wranglerArgs.push("--var", `GIT_REVISION:${revision}`);
for (const [k, v] of Object.entries(backend.vars)) wranglerArgs.push("--var", `${k}:${v}`);
wranglerArgs.push(...args);

if (!authOn) {
  console.warn(
    "\n*** WARNING: auth is DISABLED (IPAM_AUTH=disabled): every caller may use every namespace. ***\n" +
      "*** Local development only. For tokens: IPAM_AUTH=enabled npm run dev, with IPAM_TOKENS in .dev.vars. ***\n",
  );
}

const wranglerBin = fileURLToPath(new URL("../node_modules/wrangler/bin/wrangler.js", import.meta.url));
// Its own process group, so stopping reaches wrangler and both of its workerd processes.
const child = spawn(process.execPath, [wranglerBin, ...wranglerArgs], {
  stdio: "inherit",
  detached: true,
  env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", X_LOCAL_OBSERVABILITY: "false" },
});

let stopping: Promise<void> | undefined;
function stop(code: number): Promise<void> {
  stopping ??= (async () => {
    const group = child.pid!;
    const signal = (s: NodeJS.Signals) => {
      try {
        process.kill(-group, s);
      } catch {
        // the group is gone
      }
    };
    signal("SIGTERM");
    const gone = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once("exit", r));
    const force = setTimeout(() => signal("SIGKILL"), 5_000);
    await gone;
    clearTimeout(force);
    signal("SIGKILL"); // whatever of the group outlived wrangler (workerd)
    await backend?.stop().catch(() => {});
    process.exit(code);
  })();
  return stopping;
}

for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(sig, () => void stop(0));
child.on("exit", (code, signal) => void stop(code ?? (signal ? 1 : 0)));
