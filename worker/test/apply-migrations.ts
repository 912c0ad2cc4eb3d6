import { applyD1Migrations, env } from "cloudflare:test";

// Idempotent: the migrations table records what is applied, so every test file can run this.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
