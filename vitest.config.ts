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
    ],
  },
});
