import { defineConfig } from "vitest/config";

// System tests need root, network namespaces and wireguard-go; run them with
// `npm run test:system` (test/system/run.sh checks the prerequisites first).
// One file at a time: each builds its own namespaces and wireguard-go, and the
// box has two cores.
export default defineConfig({
  test: {
    name: "system",
    environment: "node",
    include: ["test/system/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 120_000,
  },
});
