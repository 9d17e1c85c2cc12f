// The CLI's retry interceptor: one Idempotency-Key per mutating call, kept across its retries; only
// unavailable and deadline_exceeded are retried, a few times; reads carry no key; namespace changes are not
// retried.
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ATTEMPTS, retrying } from "../../src/cli/retry";

function call(rpc: string, failures: Code[]) {
  const keys: (string | null)[] = [];
  const req = { method: { name: rpc }, header: new Headers() };
  const next = async () => {
    keys.push(req.header.get("Idempotency-Key"));
    const code = failures.shift();
    if (code !== undefined) throw new ConnectError("failed", code);
    return { ok: true };
  };
  const run = () => (retrying(async () => {})(next as never) as unknown as (r: unknown) => Promise<unknown>)(req);
  return { run, keys };
}

describe("ipam CLI retries", () => {
  it("retries a mutating call whose outcome is unknown with the same key", async () => {
    const c = call("AcquireIP", [Code.Unavailable, Code.DeadlineExceeded]);
    expect(await c.run()).toEqual({ ok: true });
    expect(c.keys.length).toBe(3);
    expect(new Set(c.keys).size).toBe(1);
    expect(c.keys[0]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("gives up after a few attempts, and does not retry other errors", async () => {
    const down = call("ReleaseIP", [Code.Unavailable, Code.Unavailable, Code.Unavailable, Code.Unavailable]);
    await expect(down.run()).rejects.toThrow(/failed/);
    expect(down.keys.length).toBe(ATTEMPTS);
    const bad = call("CreatePrefix", [Code.InvalidArgument]);
    await expect(bad.run()).rejects.toThrow(/failed/);
    expect(bad.keys.length).toBe(1);
  });

  it("a fresh key per call; none on reads; namespace changes sent once", async () => {
    const a = call("AcquireIP", []);
    const b = call("AcquireIP", []);
    await a.run();
    await b.run();
    expect(a.keys[0]).not.toBe(b.keys[0]);
    const read = call("ListPrefixes", [Code.Unavailable]);
    await read.run();
    expect(read.keys).toEqual([null, null]);
    const del = call("DeleteNamespace", [Code.Unavailable]);
    await expect(del.run()).rejects.toThrow(/failed/);
    expect(del.keys).toEqual([null]);
  });
});
