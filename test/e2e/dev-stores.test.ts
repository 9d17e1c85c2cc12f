// `npm run dev -- --store <backend>` as a user runs it: it starts the database and the stand-in for the
// provider's front door, wires wrangler dev to them, serves the seed's curl call and allocations, keeps
// state across a restart with --data-dir, and stops everything it started on SIGTERM to its own process.
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { BACKENDS } from "../harness/backends";
import { removeDir, tempDir } from "../harness/process";
import { type DevServer, groupMembers, startDevServer } from "./dev-server";

const run = promisify(execFile);
const only = process.env.BACKEND;
const external = BACKENDS.filter((b) => b !== "durable-object" && (!only || only === b));

async function rpc(dev: DevServer, method: string, body: unknown): Promise<unknown> {
  const { stdout } = await run("curl", ["-s", "-X", "POST", "-H", "Content-Type: application/json", "-d", JSON.stringify(body), `${dev.url}/api.v1.IpamService/${method}`]);
  return JSON.parse(stdout);
}

/** Every process descending from `root` (from /proc), whatever its process group. */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] !== "Z") parent.set(Number(entry), Number(fields[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const [child, p] of parent) if (p === pid) (out.push(child), walk(child));
  };
  walk(root);
  return out;
}

/** The command line of a process (from /proc). */
const cmdline = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return "";
  }
};

let dev: DevServer | undefined;
afterEach(async () => {
  await dev?.stop();
  dev = undefined;
});

describe.each(external)("npm run dev -- --store %s", (store) => {
  it("serves the seed's call and allocations from the real database, and keeps them with --data-dir", async () => {
    const data = tempDir(`dev-${store}`);
    try {
      dev = await startDevServer({ args: ["--store", store, "--data-dir", data] });
      expect(dev.output()).toContain(`store ${store}:`);
      const { stdout } = await run("curl", ["-X", "POST", "-d", "{}", "-H", "Content-Type: application/json", `${dev.url}/api.v1.IpamService/ListPrefixes`]);
      expect(JSON.parse(stdout)).toEqual({});
      expect(await rpc(dev, "CreatePrefix", { cidr: "10.0.0.0/16" })).toEqual({ prefix: { cidr: "10.0.0.0/16" } });
      expect(await rpc(dev, "AcquireIP", { prefixCidr: "10.0.0.0/16" })).toEqual({ ip: { ip: "10.0.0.1", parentPrefix: "10.0.0.0/16" } });
      await dev.stop();
      // A new dev server (new Durable Objects, same database): the state comes back from the store.
      dev = await startDevServer({ args: ["--store", store, "--data-dir", data] });
      expect(await rpc(dev, "AcquireIP", { prefixCidr: "10.0.0.0/16" })).toEqual({ ip: { ip: "10.0.0.2", parentPrefix: "10.0.0.0/16" } });
    } finally {
      await dev?.stop();
      removeDir(data);
    }
  });
});

describe.each(["durable-object", ...external])("npm run dev -- --store %s, stopped", (store) => {
  it("SIGTERM to npm run dev's own process stops wrangler, workerd and the database", async () => {
    dev = await startDevServer({ args: store === "durable-object" ? [] : ["--store", store] });
    const script = groupMembers(dev.pgid).find((pid) => /^\S*node --import tsx scripts\/dev\.ts/.test(cmdline(pid)));
    expect(script).toBeDefined();
    const started = descendants(script!);
    const alive = () => [script!, ...started].filter((pid) => cmdline(pid) !== "");
    expect(started.some((pid) => /workerd/.test(cmdline(pid)))).toBe(true);
    process.kill(script!, "SIGTERM");
    for (let i = 0; i < 150 && alive().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(alive().map(cmdline)).toEqual([]);
  });
});

describe("npm run dev -- --store", () => {
  it("refuses an unknown store, naming the choices", async () => {
    const r = await run("npm", ["run", "--silent", "dev", "--", "--store", "cassandra"], { cwd: new URL("../..", import.meta.url).pathname }).catch((e: { code: number; stderr: string }) => e);
    expect((r as { code: number }).code).toBe(2);
    expect((r as { stderr: string }).stderr).toContain(`--store must be one of ${BACKENDS.join(", ")}`);
  });
});
