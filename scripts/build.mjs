#!/usr/bin/env node
// npm run build [-- --outdir DIR] [-- --config wrangler.mongodb.toml]: the Worker bundle that `npm run deploy` would upload, built offline by
// `wrangler deploy --dry-run --outdir`, for the Terraform module (terraform/) to deploy. Writes DIR/index.js
// (the one module the Worker is made of), its source map, and DIR/GIT_REVISION (the commit it was built
// from, shown by the Version RPC); prints the bundle's size, gzip size and SHA-256 (compare the hash with
// `content_sha256` in `terraform plan`).
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { gzipSync } from "node:zlib";

// Cloudflare's limits on a Worker's compressed size, "3 MB" (Workers Free) and "10 MB" (Workers Paid), read
// as decimal megabytes so the check errs on the safe side.
const FREE_PLAN_GZIP_LIMIT = 3_000_000;
const PAID_PLAN_GZIP_LIMIT = 10_000_000;

const args = process.argv.slice(2);
const at = args.indexOf("--outdir");
const outdir = resolve(at >= 0 ? args[at + 1] : "dist");
// --config wrangler.mongodb.toml: the build with the MongoDB driver (README "MongoDB").
const configAt = args.indexOf("--config");
const config = configAt >= 0 ? ["--config", args[configAt + 1]] : [];
const shown = relative(process.cwd(), outdir) || ".";

// A stale module from an earlier build must not end up next to the new one.
rmSync(outdir, { recursive: true, force: true });
const wrangler = spawnSync("npx", ["wrangler", "deploy", "--dry-run", "--outdir", outdir, ...config], {
  stdio: ["ignore", "pipe", "inherit"],
  encoding: "utf8",
  env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
});
if (wrangler.status !== 0) {
  process.stdout.write(wrangler.stdout ?? "");
  console.error(`build: wrangler deploy --dry-run failed (exit ${wrangler.status})`);
  process.exit(1);
}

const modules = readdirSync(outdir).filter((f) => /\.(m?js|cjs|wasm)$/.test(f));
if (modules.length !== 1 || modules[0] !== "index.js") {
  console.error(`build: expected one module, ${shown}/index.js; wrangler wrote ${modules.join(", ")}. The Terraform module uploads a single module.`);
  process.exit(1);
}

let revision = "";
try {
  revision = execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
} catch {
  // not a git checkout: the Version RPC answers an empty revision
}
writeFileSync(join(outdir, "GIT_REVISION"), `${revision}\n`);

const bundle = readFileSync(join(outdir, "index.js"));
const gzip = gzipSync(bundle).length;
const sha256 = createHash("sha256").update(bundle).digest("hex");
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log(`${shown}/index.js: ${kib(bundle.length)}, gzip ${kib(gzip)} (Cloudflare's limit: 3 MB gzip on Workers Free, 10 MB on Paid)`);
console.log(`sha256 ${sha256}`);
console.log(`revision ${revision || "(none)"}`);
if (gzip > PAID_PLAN_GZIP_LIMIT) {
  console.error("build: the bundle is over Cloudflare's 10 MB limit and cannot be deployed");
  process.exit(1);
}
if (gzip > FREE_PLAN_GZIP_LIMIT) console.warn("build: WARNING: over the Workers Free plan's 3 MB limit; deploying needs Workers Paid");
