#!/usr/bin/env node
// npm run dev [-- wrangler dev options]: the Worker on Durable Object storage (persisted under
// .wrangler/state), on 127.0.0.1:8787 unless --port/--ip are given, with auth disabled for local use.
import { execFileSync, spawn } from "node:child_process";

const args = process.argv.slice(2);
const has = (flag) => args.some((a) => a === flag || a.startsWith(`${flag}=`));

let revision = "";
try {
  revision = execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
} catch {
  // not a git checkout: Version answers an empty revision
}

const authOn = process.env.IPAM_AUTH === "enabled";
const wranglerArgs = ["wrangler", "dev", "--local"];
if (!has("--port")) wranglerArgs.push("--port", "8787");
if (!has("--ip")) wranglerArgs.push("--ip", "127.0.0.1");
if (!authOn) wranglerArgs.push("--var", "IPAM_AUTH:disabled");
if (revision) wranglerArgs.push("--var", `GIT_REVISION:${revision}`);
wranglerArgs.push(...args);

if (!authOn) {
  console.warn(
    "\n*** WARNING: auth is DISABLED (IPAM_AUTH=disabled): every caller may use every namespace. ***\n" +
      "*** Local development only. For tokens: IPAM_AUTH=enabled npm run dev, with IPAM_TOKENS in .dev.vars. ***\n",
  );
}

const child = spawn("npx", wranglerArgs, {
  stdio: "inherit",
  env: {
    ...process.env,
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_SEND_METRICS: "false",
    X_LOCAL_OBSERVABILITY: "false",
  },
});
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
