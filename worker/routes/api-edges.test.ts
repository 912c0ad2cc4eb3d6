import { env } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type { CreateClusterResponse } from "../../protocol/api.ts";
import { createApp } from "../app.ts";
import { adminKey, BASE, call, createCluster, errorOf, json, putConfig, uniqueName } from "../test/http.ts";

// Issue #10's API items: immutable fields, wrong methods, and where connect commands point.

afterEach(async () => {
  await putConfig("agentValues: {}\n");
});

describe("PATCH /api/v1/clusters/:name", () => {
  it.each([
    [{ name: "renamed" }, "name"],
    [{ meshIp: "100.64.9.9" }, "meshIp"],
    [{ displayName: "ok", meshIp: "100.64.9.9" }, "meshIp"],
  ])("400s %j naming the immutable field", async (patch, field) => {
    const created = await createCluster({ name: uniqueName("imm") });
    const res = await call("PATCH", `/api/v1/clusters/${created.cluster.name}`, { json: patch });
    const error = await errorOf(res);
    expect(error).toMatchObject({ status: 400, code: "immutable_field" });
    expect(error.message).toContain(`"${field}"`);
    const after = await json(await call("GET", `/api/v1/clusters/${created.cluster.name}`));
    expect(after).toMatchObject({ name: created.cluster.name, local: false, meshIp: created.cluster.meshIp });
  });
});

describe("PATCH local and description", () => {
  it("marks a cluster local and describes it; a second local cluster is 409 and changes nothing", async () => {
    await env.DB.prepare("update clusters set local = 0").run();
    const first = await createCluster({ name: uniqueName("loc") });
    const second = await createCluster({ name: uniqueName("loc") });
    const res = await call("PATCH", `/api/v1/clusters/${first.cluster.name}`, {
      json: { local: true, description: "the hub" },
    });
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ local: true, description: "the hub" });
    const refused = await call("PATCH", `/api/v1/clusters/${second.cluster.name}`, {
      json: { local: true, description: "no" },
    });
    expect(await errorOf(refused)).toMatchObject({ status: 409, code: "local_cluster_exists" });
    expect(await json(await call("GET", `/api/v1/clusters/${second.cluster.name}`))).toMatchObject({
      local: false,
      description: "",
    });
    // Unmarking frees the mark for another cluster.
    await call("PATCH", `/api/v1/clusters/${first.cluster.name}`, { json: { local: false } });
    const moved = await call("PATCH", `/api/v1/clusters/${second.cluster.name}`, { json: { local: true } });
    expect(await json(moved)).toMatchObject({ local: true });
    await env.DB.prepare("update clusters set local = 0").run();
  });

  it("400s a local that is not a boolean", async () => {
    const created = await createCluster({ name: uniqueName("loc") });
    const res = await call("PATCH", `/api/v1/clusters/${created.cluster.name}`, { json: { local: "yes" } });
    expect((await errorOf(res)).status).toBe(400);
  });
});

describe("wrong method", () => {
  it.each([
    ["PUT", "/api/v1/clusters", "GET, POST"],
    ["DELETE", "/api/v1/config", "GET, PUT"],
    ["POST", "/api/v1/clusters/some-name", "DELETE, GET, PATCH"],
    ["GET", "/api/v1/agent/register", "POST"],
  ])("%s %s answers 405 with Allow: %s", async (method, path, allow) => {
    const res = await call(method, path);
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe(allow);
    expect(await errorOf(res)).toMatchObject({ code: "method_not_allowed" });
  });

  it("still 404s a path no route has", async () => {
    expect((await call("GET", "/api/v1/nothing-here")).status).toBe(404);
  });
});

describe("connect commands' platform URL", () => {
  function production(method: string, path: string, body?: unknown, host = "evil.example") {
    const headers = new Headers({ authorization: `Bearer ${adminKey()}`, host });
    if (body !== undefined) headers.set("content-type", "application/json");
    const init = { method, headers, body: body === undefined ? undefined : JSON.stringify(body) };
    return createApp().request(`http://${host}${path}`, init, { ...env, TETHER_DEV: undefined });
  }

  it("uses the configured platformUrl whatever the Host header says", async () => {
    await putConfig("platformUrl: https://tether.example.com\nagentValues: {}\n");
    const res = await production("POST", "/api/v1/clusters", { displayName: "U", name: uniqueName("url") });
    expect(res.status).toBe(201);
    const body = await json<CreateClusterResponse>(res);
    expect(body.connect.cli).toContain("--platform https://tether.example.com ");
    expect(JSON.stringify(body.connect)).not.toContain("evil.example");
  });

  it("outside local dev without a platformUrl refuses before creating anything (409)", async () => {
    const name = uniqueName("nourl");
    const res = await production("POST", "/api/v1/clusters", { displayName: "U", name });
    expect(await errorOf(res)).toMatchObject({ status: 409, code: "platform_url_unset" });
    expect((await call("GET", `/api/v1/clusters/${name}`)).status).toBe(404);
  });

  it("in local dev falls back to the request's origin", async () => {
    const created = await createCluster({ name: uniqueName("dev") });
    expect(created.connect.cli).toContain(`--platform ${BASE} `);
  });
});
