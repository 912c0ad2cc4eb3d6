import { describe, expect, it } from "vitest";
import { createApp } from "../app.ts";
import { call, json } from "../test/http.ts";

type Doc = { openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };

const METHODS = ["get", "post", "put", "patch", "delete"];

/** Hono's "/api/v1/clusters/:name" as OpenAPI's "/api/v1/clusters/{name}". */
function openApiPath(path: string): string {
  return path.replace(/:(\w+)/g, "{$1}").replace(/\/$/, "") || "/";
}

describe("GET /api/v1/openapi.json", () => {
  it("is served without a key, as OpenAPI 3.1", async () => {
    const res = await call("GET", "/api/v1/openapi.json", { token: null });
    expect(res.status).toBe(200);
    const doc = await json<Doc>(res);
    expect(doc.openapi).toBe("3.1.0");
  });

  it("documents exactly the Worker's /api/v1 and values routes, each with its 4xx answers", async () => {
    const doc = await json<Doc>(await call("GET", "/api/v1/openapi.json", { token: null }));
    const routed = new Set(
      createApp()
        .routes.filter((r) => r.method !== "ALL" && !r.path.includes("*"))
        .filter((r) => r.path.startsWith("/api/v1/") || r.path.startsWith("/clusters/"))
        .filter((r) => r.path !== "/api/v1/openapi.json")
        .map((r) => `${r.method} ${openApiPath(r.path)}`),
    );
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, item]) =>
        Object.keys(item)
          .filter((m) => METHODS.includes(m))
          .map((m) => `${m.toUpperCase()} ${path}`),
      ),
    );
    expect([...documented].sort()).toEqual([...routed].sort());
    for (const item of Object.values(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (!METHODS.includes(method)) continue;
        expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(["400", "405", "413"]));
      }
    }
  });

  it("carries the request schemas' limits (the same zod schemas the routes use)", async () => {
    const doc = await json<Doc & { paths: Record<string, Record<string, { requestBody?: unknown }>> }>(
      await call("GET", "/api/v1/openapi.json", { token: null }),
    );
    const heartbeat = JSON.stringify(doc.paths["/api/v1/agent/heartbeat"]?.post?.requestBody);
    expect(heartbeat).toContain('"maxItems":1024');
    expect(heartbeat).toContain("version");
    const register = JSON.stringify(doc.paths["/api/v1/agent/register"]?.post);
    expect(register).toContain('"429"');
  });
});
