import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// BACKEND=<name> npm test runs the Worker suites against that store backend only (like go-ipam's
// BACKEND=... make test); without it every backend runs. test/harness/backends.ts starts each one.
const EXTERNAL_BACKENDS = ["redis", "postgres", "etcd", "mongodb"];
const only = process.env.BACKEND;
const backends = only ? [only] : ["durable-object", ...EXTERNAL_BACKENDS];

// The suites that exercise storage through the Worker; the others (mapping, runner, smoke) do not touch a store.
const STORE_SUITES = [
  "test/worker/api.test.ts",
  "test/worker/auth.test.ts",
  "test/worker/directory.test.ts",
  "test/worker/health.test.ts",
  "test/worker/error-accounting.test.ts",
  "test/worker/idempotency.test.ts",
  "test/worker/namespace-object.test.ts",
  "test/worker/storage.test.ts",
  "test/worker/features.test.ts",
  "test/worker/paging.test.ts",
  "test/worker/stores/**/*.test.ts",
];

const TOKENS = JSON.stringify({ "test-admin": "*", "test-tenant": ["tenant-a"] });

function workersProject(backend: string) {
  const external = backend !== "durable-object";
  return {
    // The Worker and its Durable Objects, inside workerd, persisting to `backend`.
    plugins: [
      cloudflareTest(({ inject }) => ({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            IPAM_AUTH: "enabled",
            IPAM_TOKENS: TOKENS,
            IPAM_CALL_LOG: "off", // quiet runs; the tests that read the call log turn it on for their calls
            ...inject<Record<string, string>>("storeVars"),
          },
        },
      })),
    ],
    test: {
      name: external ? `workers-${backend}` : "workers",
      include: external ? STORE_SUITES : ["test/worker/**/*.test.ts"],
      globalSetup: ["test/harness/global-setup.ts"],
      setupFiles: ["test/worker/setup-store.ts"],
      // One store server is shared by the project's files: one file at a time, each starting from a wiped store.
      fileParallelism: !external,
      testTimeout: 120_000,
      hookTimeout: 120_000,
    },
  };
}

// MongoDB: the vitest pool cannot load the driver (require("bson") recursion), so these tests run in Node and
// start the Worker inside workerd themselves (wrangler's createTestHarness, test/mongodb/harness.ts), against a
// real server when MONGODB_URI is set and the wire-protocol stand-in otherwise.
function mongodbProject() {
  return {
    test: {
      name: "workers-mongodb",
      include: ["test/mongodb/**/*.test.ts"],
      environment: "node",
      globalSetup: ["test/harness/global-setup.ts"],
      setupFiles: ["test/mongodb/setup.ts"],
      fileParallelism: false,
      testTimeout: 180_000,
      hookTimeout: 300_000,
    },
  };
}

export default defineConfig({
  test: {
    projects: [
      {
        // The address math, the IPAM core and the offline deploy checks (Terraform module, bundle, docs), in
        // plain Node.
        test: {
          name: "node",
          include: ["test/net/**/*.test.ts", "test/core/**/*.test.ts", "test/storage/**/*.test.ts", "test/harness/**/*.test.ts", "test/deploy/**/*.test.ts", "test/cli/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
        },
      },
      ...backends.map((b) => (b === "mongodb" ? mongodbProject() : workersProject(b))),
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
