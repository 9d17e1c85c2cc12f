import { SELF } from "cloudflare:test";
import { expect, it } from "vitest";

it("/health answers without a token", async () => {
  const res = await SELF.fetch("http://x/health");
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ status: "ok" });
});
