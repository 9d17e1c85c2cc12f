import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          include: ["test/net/**/*.test.ts", "test/core/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: { bindings: { IPAM_AUTH: "enabled", IPAM_TOKENS: JSON.stringify({ "test-admin": "*", "test-tenant": ["tenant-a"] }) } },
          }),
        ],
        test: { name: "workers", include: ["test/worker/**/*.test.ts"] },
      },
    ],
  },
});
