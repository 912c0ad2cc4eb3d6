import { describe, expect, it } from "vitest";
import { call, json } from "../test/http.ts";

describe("public meta routes", () => {
  it("GET /version reports the version and API level", async () => {
    const res = await call("GET", "/version", { token: null });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ version: "0.1.0", api: "v1" });
  });

  it("GET /healthz checks D1", async () => {
    const res = await call("GET", "/healthz", { token: null });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ ok: true, db: "ok" });
  });

  it("GET /derp/probe answers the probe string as text", async () => {
    const res = await call("GET", "/derp/probe", { token: null });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await res.text()).toBe("tether-derp-probe");
  });

  it.each([
    ["GET", "/nope"],
    ["GET", "/api/v1"],
    ["GET", "/api/v2/clusters"],
    ["GET", "/../../etc/passwd"],
  ])("%s %s is a JSON 404", async (method, path) => {
    const res = await call(method, path, { token: null });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const body = await json<{ error: { code: string; message: string } }>(res);
    expect(body.error.code).toBe("not_found");
    expect(body.error.message).toMatch(/^No route for /);
  });

  it("POST /version is a JSON 405 that allows GET", async () => {
    const res = await call("POST", "/version", { token: null });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET");
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  });
});
