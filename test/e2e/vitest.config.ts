// End-to-end tests (npm run test:e2e): they start `npm run dev` themselves and drive it with curl and the
// `ipam` CLI, in plain Node. Kept out of the root vitest.config.ts projects so `npm test` stays fast and
// needs no wrangler dev.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: fileURLToPath(new URL("../..", import.meta.url)),
    include: ["test/e2e/**/*.test.ts"],
    environment: "node",
    // Generous: a loaded 2-core machine; each CLI call is a fresh Node process. No timing assertions.
    testTimeout: 180_000,
    hookTimeout: 300_000,
    teardownTimeout: 60_000,
  },
});
