import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { buildChart } from "./scripts/build-chart.ts";
import { buildUi } from "./scripts/build-ui.ts";

// The admin bootstrap key the Worker tests authenticate with. Only ever a
// miniflare binding for tests; never a real deployment secret.
const TEST_ADMIN_ACCESS_KEY = "tak_test-admin-key-0000000000000000000000000000";

export default defineConfig(async () => {
  // The Worker serves the bundled web UI script; build it here too, so the workerd tests run on a
  // fresh clone without a separate step.
  await buildUi();
  // Likewise the packaged Helm chart served at /charts.
  await buildChart();
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          // TETHER_DEV: the tests act as a local platform; api-edges.test.ts unsets it to test the rest.
          bindings: { ADMIN_ACCESS_KEY: TEST_ADMIN_ACCESS_KEY, TEST_MIGRATIONS: migrations, TETHER_DEV: "1" },
        },
      }),
    ],
    test: {
      name: "workers",
      include: ["worker/**/*.test.ts", "durable-objects/**/*.test.ts"],
      // Browser code: its unit tests run in the Node project.
      exclude: ["worker/ui/browser/**"],
      setupFiles: ["./worker/test/apply-migrations.ts"],
      // All files share one D1 (one Miniflare per project); the platform config and the single
      // local cluster are global, so files take turns rather than racing over them.
      fileParallelism: false,
    },
  };
});
