import { defineConfig } from "vitest/config";

// Kubernetes tests: the chart with the real helm, and a real etcd + kube-apiserver (built from
// pinned Go modules by test/k8s/tools.sh, which test/k8s/run.sh calls first). One file at a time:
// each starts its own control plane or platform, and the box has two cores.
export default defineConfig({
  test: {
    name: "k8s",
    environment: "node",
    include: ["test/k8s/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
