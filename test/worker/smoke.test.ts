import { SELF } from "cloudflare:test";
import { expect, it } from "vitest";
it("reaches a namespace object", async () => {
  expect(await (await SELF.fetch("http://x/")).text()).toBe("pong");
});
