import { Hono } from "hono";
import { benchCountersEnabled, usage } from "../db/usage-counters.ts";
import type { AppEnv } from "../env.ts";
import { HttpError } from "../http/errors.ts";

/**
 * GET /__bench/counters: the isolate's usage counters, for the fleet bench. Not found unless the
 * platform runs with TETHER_BENCH_COUNTERS=1 (only a bench's local platform does); the numbers
 * say how busy the platform is and nothing more, but a deployment has no use for them.
 */
export const benchCounterRoutes = new Hono<AppEnv>().get("/counters", (c) => {
  if (!benchCountersEnabled(c.env)) throw new HttpError(404, "not_found", "Not found.");
  return c.json({ ...usage });
});
