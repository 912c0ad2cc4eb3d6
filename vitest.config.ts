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
            "test/e2e/**/*.test.ts",
            "bench/**/*.test.ts",
          ],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      "./vitest.workers.config.ts",
    ],
  },
});
