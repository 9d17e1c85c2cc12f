import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        // The address math, the IPAM core and the offline deploy checks (Terraform module, bundle, docs), in
        // plain Node.
        test: {
          name: "node",
          include: ["test/net/**/*.test.ts", "test/core/**/*.test.ts", "test/deploy/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
        },
      },
      {
        // The Worker and its Durable Objects, inside workerd.
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: { bindings: { IPAM_AUTH: "enabled", IPAM_TOKENS: JSON.stringify({ "test-admin": "*", "test-tenant": ["tenant-a"] }) } },
          }),
        ],
        test: { name: "workers", include: ["test/worker/**/*.test.ts"], testTimeout: 120_000 },
      },
      {
        // End to end: `npm run dev` on a private port driven by curl and the ipam CLI. Generous timeouts for a
        // loaded 2-core machine, no timing assertions; one file at a time, since two wrangler dev instances
        // starting at the same moment can collide on workerd's internal socket.
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
