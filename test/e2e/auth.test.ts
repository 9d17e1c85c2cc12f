// End to end with auth on: `IPAM_AUTH=enabled npm run dev` with tokens passed as a wrangler --var, and the
// `ipam` CLI sending them from --token or IPAM_TOKEN.
import { Agent, request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, groupMembers, startDevServer } from "./dev-server";
import { type CliResult, runCli } from "./run-cli";

const TOKENS = { "e2e-admin": "*", "e2e-tenant": ["tenant-a"] };

let dev: DevServer;
const ipam = (args: string[], token?: string) => runCli(args, { env: { IPAM_ENDPOINT: dev.url, IPAM_TOKEN: token } });

beforeAll(async () => {
  dev = await startDevServer({ env: { IPAM_AUTH: "enabled" }, args: ["--var", `IPAM_TOKENS:${JSON.stringify(TOKENS)}`] });
});

afterAll(async () => {
  await dev?.stop();
});

function post(agent: Agent, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${dev.url}/api.v1.IpamService/CreatePrefix`,
      { method: "POST", agent, headers: { "Content-Type": "application/json", Authorization: "Bearer wrong" } },
      (res) => {
        let text = "";
        res.on("data", (d) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

function result(r: CliResult) {
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

describe("ipam CLI with auth enabled", () => {
  it("is refused without a token or with an unknown one", async () => {
    expect(result(await ipam(["prefix", "list"]))).toEqual({
      code: 1,
      stdout: "",
      stderr: "unauthenticated: missing bearer token: send the header 'Authorization: Bearer <token>'\n",
    });
    expect(result(await ipam(["prefix", "list", "--token", "nope"]))).toEqual({ code: 1, stdout: "", stderr: "unauthenticated: invalid bearer token\n" });
  });

  it("sends --token and IPAM_TOKEN as a bearer token; --token wins", async () => {
    expect(result(await ipam(["namespace", "create", "tenant-a", "--token", "e2e-admin"]))).toEqual({ code: 0, stdout: 'namespace:"tenant-a" created\n', stderr: "" });
    expect(result(await ipam(["prefix", "create", "--cidr", "10.0.0.0/24", "--namespace", "tenant-a"], "e2e-tenant"))).toEqual({
      code: 0,
      stdout: 'prefix:"10.0.0.0/24" created\n',
      stderr: "",
    });
    expect(result(await ipam(["ip", "acquire", "--prefix", "10.0.0.0/24", "--namespace", "tenant-a"], "e2e-tenant"))).toEqual({
      code: 0,
      stdout: 'ip:"10.0.0.1" acquired\n',
      stderr: "",
    });
    expect(result(await ipam(["prefix", "list"], "e2e-tenant"))).toEqual({ code: 1, stdout: "", stderr: 'permission_denied: token has no access to namespace "root"\n' });
    expect(result(await ipam(["prefix", "list", "--token", "e2e-admin"], "e2e-tenant"))).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  it("keeps namespace management and backups to the all-namespaces token", async () => {
    const denied = await ipam(["namespace", "create", "tenant-b"], "e2e-tenant");
    expect({ code: denied.code, stdout: denied.stdout }).toEqual({ code: 1, stdout: "" });
    expect(denied.stderr).toMatch(/^permission_denied: /);
    const dump = await ipam(["backup", "create", "--namespace", "tenant-a"], "e2e-tenant");
    expect({ code: dump.code, stdout: dump.stdout }).toEqual({ code: 1, stdout: "" });
    expect(dump.stderr).toMatch(/^permission_denied: /);
    const adminDump = await ipam(["backup", "create", "--namespace", "tenant-a"], "e2e-admin");
    expect(adminDump.code).toBe(0);
    expect(JSON.parse(adminDump.stdout)).toHaveLength(1);
  });

  it("read the unread body, so the connection stays usable (no 'Failed to drain')", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const body = JSON.stringify({ cidr: "10.9.0.0/16", padding: "x".repeat(100_000) });
    for (let i = 0; i < 3; i++) {
      const res = await post(agent, body);
      expect(res.status).toBe(401);
      expect(JSON.parse(res.body)).toEqual({ code: "unauthenticated", message: "invalid bearer token" });
    }
    agent.destroy();
    expect(dev.output()).not.toContain("Failed to drain");
  });

  it("stops, leaving no process of its group behind", async () => {
    await dev.stop();
    expect(groupMembers(dev.pgid)).toEqual([]);
  });
});
