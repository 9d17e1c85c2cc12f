// Runs the `ipam` CLI as a user would: a separate process, through bin/ipam.mjs (or `npx ipam`).
import { spawn } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "./dev-server";

export const BIN = join(REPO_ROOT, "bin", "ipam.mjs");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  stdin?: string;
  /** Run `npx --no ipam ...` instead of `node bin/ipam.mjs ...` (--no: never fetch a package named ipam). */
  viaNpx?: boolean;
}

export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const env: Record<string, string | undefined> = { ...process.env, ...opts.env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const [cmd, argv] = opts.viaNpx ? ["npx", ["--no", "--", "ipam", ...args]] : [process.execPath, [BIN, ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd: opts.cwd ?? REPO_ROOT, env: env as NodeJS.ProcessEnv, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.stdin ?? "");
  });
}

/** A CLI bound to one server (IPAM_ENDPOINT) and, optionally, a token in IPAM_TOKEN. */
export function cliFor(endpoint: string, token?: string) {
  return (args: string[], opts: CliOptions = {}) =>
    runCli(args, { ...opts, env: { IPAM_ENDPOINT: endpoint, IPAM_TOKEN: token, ...opts.env } });
}
