import { defineConfig } from "vitest/config";

// Two worlds: Node-side code (agent, CLI, end-to-end) runs in Node; the Worker
// and Durable Objects run inside workerd via vitest.workers.config.ts.
// System tests (root, namespaces, wireguard-go) live in vitest.system.config.ts
// and run from `npm run test:system`.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          environment: "node",
          include: [
            "agent/**/*.test.ts",
            "protocol/**/*.test.ts",
            "bench/**/*.test.ts",
            "scripts/**/*.test.ts",
            // Parser fuzzing: a small count here, FUZZ_RUNS=1000000 under `npm run fuzz`.
            "test/fuzz/**/*.test.ts",
            // The web UI's pure helpers; the page itself is tested in chromium (test/e2e/ui.test.ts).
            "worker/ui/browser/**/*.test.ts",
            "test/net/**/*.test.ts",
          ],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          // Each end-to-end file starts its own platform and agent processes, and some time path
          // switches; run one file at a time so they do not starve each other on a small machine.
          name: "e2e",
          environment: "node",
          include: ["test/e2e/**/*.test.ts"],
          // TETHER_USE_DIST=1: the tests run the bundle, built fresh here.
          globalSetup: ["test/e2e/global-setup.ts"],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      "./vitest.workers.config.ts",
    ],
  },
});
