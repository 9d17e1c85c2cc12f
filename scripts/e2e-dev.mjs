#!/usr/bin/env node
// End to end against `npm run dev`: start it on a spare port with throw-away storage, run the seed's curl
// call verbatim (and a few more), stop it. Exit code 0 when everything answered as expected.
//   npm run e2e:dev            (port 8797; E2E_PORT=N for another)
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const port = Number(process.env.E2E_PORT ?? 8797);
const state = mkdtempSync(join(tmpdir(), "ipam-e2e-"));
const dev = spawn("npm", ["run", "dev", "--", "--port", String(port), "--persist-to", state], {
  detached: true,
  stdio: ["ignore", "pipe", "pipe"],
});
let output = "";
dev.stdout.on("data", (d) => (output += d));
dev.stderr.on("data", (d) => (output += d));

const exited = new Promise((resolve) => dev.on("exit", resolve));
const signalGroup = (sig) => {
  try {
    process.kill(-dev.pid, sig); // the process group we started: npm, wrangler, workerd
  } catch {
    // already gone
  }
};
const stop = async () => {
  signalGroup("SIGTERM");
  const timer = new Promise((r) => setTimeout(r, 10_000, "timeout"));
  if ((await Promise.race([exited, timer])) === "timeout") signalGroup("SIGKILL");
  await new Promise((r) => setTimeout(r, 500)); // let wrangler's children close their files
  rmSync(state, { recursive: true, force: true });
};

const curl = (rpc, body) =>
  execFileSync(
    "curl",
    ["-sS", "-X", "POST", "-d", body, "-H", "Content-Type: application/json", `localhost:${port}/api.v1.IpamService/${rpc}`],
    { encoding: "utf8" },
  );

const checks = [];
const check = (name, ok, detail) => {
  checks.push(ok);
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${ok ? "" : `: ${detail}`}`);
};

try {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/health`);
      if (r.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`npm run dev did not come up on port ${port}:\n${output}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  // The seed's call, verbatim.
  const seed = curl("ListPrefixes", "{}");
  check("seed: curl -X POST -d '{}' -H 'Content-Type: application/json' .../ListPrefixes", seed.trim() === "{}", seed);
  const created = curl("CreatePrefix", '{"cidr":"192.169.0.1/24"}');
  check("CreatePrefix masks host bits", created.includes('"cidr":"192.169.0.0/24"'), created);
  const ip = curl("AcquireIP", '{"prefix_cidr":"192.169.0.0/24"}');
  check("AcquireIP (snake_case in) gives the lowest free address", ip.includes('"ip":"192.169.0.1"'), ip);
  const usage = curl("PrefixUsage", '{"cidr":"192.169.0.0/24"}');
  check("PrefixUsage: uint64 as strings", usage.includes('"availableIps":"256"') && usage.includes('"acquiredIps":"3"'), usage);
  const version = curl("Version", "{}");
  check("Version answers the package version and git revision", /"version":"\d+\.\d+\.\d+/.test(version), version);
  const bad = curl("CreatePrefix", '{"cidr":"10.0.0.0/33"}');
  check("bad input is invalid_argument", bad.includes('"code":"invalid_argument"'), bad);
  check("npm run dev warned that auth is disabled", /auth is DISABLED/.test(output), output);
} catch (e) {
  check("run", false, e instanceof Error ? e.message : String(e));
} finally {
  await stop();
}
const failed = checks.filter((c) => !c).length;
console.log(`${checks.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
