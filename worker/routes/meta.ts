import { sql } from "drizzle-orm";
import { Hono } from "hono";
import { API_VERSION, type HealthResponse, type VersionResponse } from "../../protocol/api.ts";
import type { AppEnv } from "../env.ts";

export const DERP_PROBE_BODY = "tether-derp-probe";

export const metaRoutes = new Hono<AppEnv>()
  .get("/version", (c) => {
    const body: VersionResponse = { version: c.env.TETHER_VERSION ?? "0.1.0", api: API_VERSION };
    return c.json(body);
  })
  .get("/healthz", async (c) => {
    try {
      await c.var.db.run(sql`select 1`);
      return c.json({ ok: true, db: "ok" } satisfies HealthResponse);
    } catch {
      return c.json({ ok: false, db: "error" } satisfies HealthResponse, 503);
    }
  })
  // Agents fetch this to learn whether the relay host is reachable at all (proxies, captive portals).
  .get("/derp/probe", (c) => c.text(DERP_PROBE_BODY));
