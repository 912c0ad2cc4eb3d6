import { Hono } from "hono";
import { chartRoutes } from "./charts/routes.ts";
import { createDb } from "./db/client.ts";
import { benchCountersEnabled, usage } from "./db/usage-counters.ts";
import type { AppEnv } from "./env.ts";
import { onError, onNotFound } from "./http/errors.ts";
import { methodAwareNotFound } from "./http/method-not-allowed.ts";
import { bodyLimit } from "./middleware/body-limit/index.ts";
import { openApiDocument } from "./openapi/document.ts";
import { accessKeyRoutes } from "./routes/access-keys.ts";
import { agentRoutes } from "./routes/agent.ts";
import { benchCounterRoutes } from "./routes/bench-counters.ts";
import { clusterRoutes } from "./routes/clusters.ts";
import { configRoutes } from "./routes/config.ts";
import { metaRoutes } from "./routes/meta.ts";
import { relayRoutes } from "./routes/relay.ts";
import { valuesRoutes } from "./routes/values.ts";
import { uiRoutes } from "./ui/routes.ts";
import { valuesCache } from "./values/values-cache.ts";

export interface AppOptions {
  /** Milliseconds since the epoch; injectable so tests can move time instead of sleeping. */
  now?: () => number;
}

export function createApp(options: AppOptions = {}): Hono<AppEnv> {
  const now = options.now ?? Date.now;
  const app = new Hono<AppEnv>();
  app.onError(onError);
  app.notFound(methodAwareNotFound(() => app.routes, onNotFound));
  app.use("*", async (c, next) => {
    usage.workerRequests++;
    c.set("now", now());
    c.set("db", createDb(c.env.DB, benchCountersEnabled(c.env)));
    await next();
  });
  app.use("*", bodyLimit());
  // The values endpoints keep what they read for a moment (values-cache.ts): any write to what
  // they serve (keys, clusters and their annotations, the platform config) drops it once done.
  for (const prefix of ["/api/v1/access-keys", "/api/v1/clusters", "/api/v1/config"]) {
    app.use(`${prefix}/*`, async (c, next) => {
      if (c.req.method === "GET" || c.req.method === "HEAD") return next();
      try {
        await next();
      } finally {
        valuesCache.invalidate();
      }
    });
  }
  app.route("/", metaRoutes);
  app.route("/__bench", benchCounterRoutes);
  // Public, like the API's shape itself: it holds schemas, never data.
  app.get("/api/v1/openapi.json", (c) => c.json(openApiDocument()));
  app.route("/api/v1/access-keys", accessKeyRoutes);
  app.route("/api/v1/clusters", clusterRoutes);
  app.route("/api/v1/config", configRoutes);
  app.route("/api/v1/agent", agentRoutes);
  app.route("/clusters", valuesRoutes);
  app.route("/charts", chartRoutes);
  app.route("/relay", relayRoutes);
  app.route("/ui", uiRoutes);
  // A browser pointed at the platform itself lands in the web UI.
  app.get("/", (c) => c.redirect("/ui", 302));
  return app;
}
