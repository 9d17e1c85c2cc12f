// GET /health as a load balancer uses it: 200 when the Worker reaches its objects and its store; 503 with the
// reason when the store is down or a setting is wrong; never a secret; no token needed.
import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type { Env } from "../../worker/env";
import worker from "../../worker/index";
import { backend, describeOnExternalStores, storeFault } from "./backend";

async function healthWith(overrides: Partial<Env>): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request("http://x/health"), { ...env, ...overrides } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** Polls /health until its status is `status` (the answer is cached for a few seconds). */
async function untilHealth(status: number, ms = 30_000): Promise<Record<string, unknown>> {
  const until = Date.now() + ms;
  for (;;) {
    const res = await SELF.fetch("http://x/health");
    const body = (await res.json()) as Record<string, unknown>;
    if (res.status === status) return body;
    if (Date.now() > until) throw new Error(`/health stayed ${res.status}: ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe("/health", () => {
  it("answers 200 with the store it reached, without a token", async () => {
    const body = await untilHealth(200);
    expect(body).toMatchObject({ status: "ok", store: backend, objects: true, storeReachable: true });
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("a malformed setting answers 503 misconfigured, naming the setting and never its value", async () => {
    const secret = "never-show-this-9931";
    const res = await healthWith({ IPAM_STORE: "redis", UPSTASH_REDIS_REST_URL: `nope:${secret}`, UPSTASH_REDIS_REST_TOKEN: secret });
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(text).not.toContain(secret);
    expect(JSON.parse(text)).toMatchObject({ status: "misconfigured", store: "redis", problem: expect.stringContaining("UPSTASH_REDIS_REST_URL is not a valid URL") });
    const unknown = await healthWith({ IPAM_STORE: `x-${secret}` });
    expect(await unknown.text()).not.toContain(secret);
  });
});

describeOnExternalStores("/health with the store down", () => {
  afterEach(async () => {
    await storeFault("resume");
  });

  it("answers 503 while the store is stopped, and 200 again once it is back", async () => {
    await untilHealth(200);
    await storeFault("pause");
    expect(await untilHealth(503)).toMatchObject({ status: "unavailable", store: backend, objects: true, storeReachable: false });
    await storeFault("resume");
    await untilHealth(200);
  });
});
