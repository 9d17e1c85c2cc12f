// Requests that are not an RPC call get a short body saying what to send, not an empty 404/405/415, and are
// counted in /metrics as `unimplemented` (never `unknown`, which means a server fault).
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN } from "./clients";

const API = "http://ipam.test/api.v1.IpamService";
const auth = { authorization: `Bearer ${ADMIN}` };

async function error(res: Response): Promise<{ status: number; code: string; message: string }> {
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const body = (await res.json()) as { code: string; message: string };
  return { status: res.status, code: body.code, message: body.message };
}

describe("requests that are no RPC call", () => {
  it("a POST without a Content-Type: 415, naming the content types served", async () => {
    const res = await SELF.fetch(`${API}/ListPrefixes`, { method: "POST", body: new Uint8Array([123, 125]), headers: auth });
    const e = await error(res);
    expect([e.status, e.code]).toEqual([415, "unimplemented"]);
    expect(e.message).toBe(
      "no Content-Type: send Content-Type: application/json (Connect JSON), application/proto (Connect binary) or application/grpc-web+proto (gRPC-Web); plain gRPC is not served",
    );
  });

  it("an unsupported Content-Type, plain gRPC included: 415, naming what was sent", async () => {
    for (const ct of ["text/plain", "application/grpc"]) {
      const res = await SELF.fetch(`${API}/ListPrefixes`, { method: "POST", body: "{}", headers: { ...auth, "content-type": ct } });
      const e = await error(res);
      expect([e.status, e.code]).toEqual([415, "unimplemented"]);
      expect(e.message).toMatch(new RegExp(`^unsupported Content-Type "${ct}": send Content-Type: application/json \\(Connect JSON\\)`));
    }
  });

  it.each(["GET", "PUT", "DELETE", "PATCH", "OPTIONS"])("%s on an RPC: 405 with Allow: POST and an example call", async (method) => {
    const res = await SELF.fetch(`${API}/ListPrefixes`, { method, headers: auth });
    expect(res.headers.get("allow")).toBe("POST");
    const e = await error(res);
    expect([e.status, e.code]).toEqual([405, "unimplemented"]);
    expect(e.message).toBe(
      `HTTP method ${method} is not served: call an RPC with POST and a body, e.g. curl -X POST -H 'Content-Type: application/json' -d '{}' <endpoint>/api.v1.IpamService/ListPrefixes`,
    );
  });

  it("HEAD on an RPC: 405 (and no body, as HEAD requires)", async () => {
    const res = await SELF.fetch(`${API}/ListPrefixes`, { method: "HEAD", headers: auth });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
  });

  it("an unknown RPC: 404, listing the RPCs there are", async () => {
    const e = await error(await SELF.fetch(`${API}/NoSuchRpc`, { method: "POST", body: "{}", headers: { ...auth, "content-type": "application/json" } }));
    expect([e.status, e.code]).toEqual([404, "unimplemented"]);
    expect(e.message).toMatch(/^no RPC "NoSuchRpc" in api\.v1\.IpamService; it has CreatePrefix, DeletePrefix, GetPrefix, .*, Version, ListIPs$/);
  });

  it("a path outside the API: 404 saying where the API is", async () => {
    const res = await SELF.fetch("http://ipam.test/nope");
    expect(res.status).toBe(404);
    expect(await res.text()).toBe("not found: the API is POST /api.v1.IpamService/<Rpc> (Connect or gRPC-Web); GET /health; GET /metrics\n");
  });

  it("counts them as unimplemented in /metrics, never as unknown", async () => {
    await SELF.fetch(`${API}/Version`, { method: "GET", headers: auth });
    await SELF.fetch(`${API}/Version`, { method: "POST", body: "{}", headers: auth });
    const metrics = await (await SELF.fetch("http://ipam.test/metrics", { headers: auth })).text();
    expect(metrics).toMatch(/^ipam_rpc_calls_total\{rpc="Version",code="unimplemented"\} [1-9]/m);
    expect(metrics).not.toMatch(/code="unknown"/);
  });
});
