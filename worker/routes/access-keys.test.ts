import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { AccessKey, CreateAccessKeyResponse, ListAccessKeysResponse } from "../../protocol/api.ts";
import { call, callAndSettle, callAt, createAccessKey, errorOf, json } from "../test/http.ts";

describe("POST /api/v1/access-keys", () => {
  it("creates a key, shows it once, and the key works", async () => {
    const res = await call("POST", "/api/v1/access-keys", { json: { name: "ci", scope: "admin" } });
    expect(res.status).toBe(201);
    const body = await json<CreateAccessKeyResponse>(res);
    expect(body.key).toMatch(/^tak_[A-Za-z0-9_-]{43}$/);
    expect(body.accessKey).toEqual({
      id: expect.stringMatching(/^ak_/),
      name: "ci",
      scope: "admin",
      cluster: null,
      createdAt: expect.any(String),
      expiresAt: null,
      lastUsedAt: null,
      disabled: false,
    });
    expect((await call("GET", "/api/v1/clusters", { token: body.key })).status).toBe(200);
  });

  it("sets expiresAt from expiresInSeconds", async () => {
    const now = Date.UTC(2030, 0, 1);
    const res = await callAt(now, "POST", "/api/v1/access-keys", {
      json: { name: "short", scope: "values:read", expiresInSeconds: 3600 },
    });
    const body = await json<CreateAccessKeyResponse>(res);
    expect(body.accessKey.createdAt).toBe("2030-01-01T00:00:00.000Z");
    expect(body.accessKey.expiresAt).toBe("2030-01-01T01:00:00.000Z");
  });

  it.each([
    [{}, "name"],
    [{ name: "", scope: "admin" }, "name"],
    [{ name: "x".repeat(65), scope: "admin" }, "name"],
    [{ name: "x", scope: "root" }, "scope"],
    [{ name: "x" }, "scope"],
    [{ name: "x", scope: "admin", expiresInSeconds: 0 }, "expiresInSeconds"],
    [{ name: "x", scope: "admin", expiresInSeconds: -5 }, "expiresInSeconds"],
    [{ name: "x", scope: "admin", expiresInSeconds: 1.5 }, "expiresInSeconds"],
    [{ name: "x", scope: "admin", expiresInSeconds: "60" }, "expiresInSeconds"],
    [{ name: 42, scope: "admin" }, "name"],
  ])("rejects %j with 400 naming %s", async (payload, field) => {
    const res = await call("POST", "/api/v1/access-keys", { json: payload });
    expect(res.status).toBe(400);
    const body = await json<{ error: { code: string; details: { issues: { path: string }[] } } }>(res);
    expect(body.error.code).toBe("invalid_request");
    expect(body.error.details.issues.map((i) => i.path)).toContain(field);
  });

  it.each([
    ["{", "application/json", 400, "malformed_json"],
    ["", "application/json", 400, "missing_body"],
    ['"just a string"', "application/json", 400, "invalid_request"],
    ["[1,2]", "application/json", 400, "invalid_request"],
    ["null", "application/json", 400, "invalid_request"],
    ['{"name":"x","scope":"admin"}', "text/html", 400, "unsupported_media_type"],
    ['{"name":"x","scope":"admin"}', "application/x-www-form-urlencoded", 400, "unsupported_media_type"],
  ])("body %j as %s -> %i %s", async (body, type, status, code) => {
    const res = await call("POST", "/api/v1/access-keys", { body, headers: { "content-type": type } });
    expect(await errorOf(res)).toMatchObject({ status, code });
  });

  it("accepts a JSON body sent as text/plain (fetch's default for strings) or with no Content-Type", async () => {
    const text = '{"name":"bare","scope":"admin"}';
    expect((await call("POST", "/api/v1/access-keys", { body: text })).status).toBe(201);
    const bytes = new TextEncoder().encode(text);
    const res = await call("POST", "/api/v1/access-keys", { body: bytes });
    expect(res.status).toBe(201);
  });
});

describe("GET /api/v1/access-keys", () => {
  it("lists keys without the key or its hash", async () => {
    await createAccessKey("values:read", { name: "listed" });
    const res = await call("GET", "/api/v1/access-keys");
    expect(res.status).toBe(200);
    const body = await json<ListAccessKeysResponse>(res);
    const listed = body.items.find((k) => k.name === "listed");
    expect(listed?.scope).toBe("values:read");
    for (const item of body.items) {
      expect(Object.keys(item).sort()).toEqual(
        ["cluster", "createdAt", "disabled", "expiresAt", "id", "lastUsedAt", "name", "scope"].sort(),
      );
    }
    const text = JSON.stringify(body);
    expect(text).not.toMatch(/tak_/);
    expect(text).not.toMatch(/[0-9a-f]{64}/);
  });

  it("records lastUsedAt when a key is used", async () => {
    const res = await call("POST", "/api/v1/access-keys", { json: { name: "used", scope: "admin" } });
    const created = await json<CreateAccessKeyResponse>(res);
    // The write finishes under waitUntil, after the response.
    expect((await callAndSettle("GET", "/api/v1/clusters", { token: created.key })).status).toBe(200);
    const list = await json<ListAccessKeysResponse>(await call("GET", "/api/v1/access-keys"));
    const item = list.items.find((k: AccessKey) => k.id === created.accessKey.id);
    expect(item?.lastUsedAt).not.toBeNull();
  });
});

describe("DELETE /api/v1/access-keys/:id", () => {
  it("disables the key: 204, then the key is refused with 401", async () => {
    const created = await json<CreateAccessKeyResponse>(
      await call("POST", "/api/v1/access-keys", { json: { name: "doomed", scope: "admin" } }),
    );
    expect((await call("DELETE", `/api/v1/access-keys/${created.accessKey.id}`)).status).toBe(204);
    expect(await errorOf(await call("GET", "/api/v1/clusters", { token: created.key }))).toMatchObject({
      status: 401,
      code: "invalid_credential",
      message: "The access key was deleted.",
    });
    const list = await json<ListAccessKeysResponse>(await call("GET", "/api/v1/access-keys"));
    expect(list.items.find((k) => k.id === created.accessKey.id)?.disabled).toBe(true);
  });

  it("404s for an unknown id", async () => {
    expect(await errorOf(await call("DELETE", "/api/v1/access-keys/ak_nope"))).toMatchObject({
      status: 404,
      code: "not_found",
    });
  });
});

describe("access key authentication", () => {
  it("refuses an expired key with 401 expired_credential", async () => {
    const created = await json<CreateAccessKeyResponse>(
      await call("POST", "/api/v1/access-keys", {
        json: { name: "brief", scope: "admin", expiresInSeconds: 60 },
      }),
    );
    expect(
      (await callAt(Date.now() + 30_000, "GET", "/api/v1/clusters", { token: created.key })).status,
    ).toBe(200);
    expect(
      await errorOf(await callAt(Date.now() + 61_000, "GET", "/api/v1/clusters", { token: created.key })),
    ).toEqual({
      status: 401,
      code: "expired_credential",
      message: "The access key has expired.",
    });
  });

  it("refuses a values:read key on the admin API with 403", async () => {
    const key = await createAccessKey("values:read");
    for (const [method, path] of [
      ["GET", "/api/v1/clusters"],
      ["GET", "/api/v1/access-keys"],
      ["POST", "/api/v1/access-keys"],
      ["GET", "/api/v1/config"],
    ] as const) {
      const options = method === "POST" ? { token: key, json: {} } : { token: key };
      expect(await errorOf(await call(method, path, options))).toMatchObject({
        status: 403,
        code: "insufficient_scope",
      });
    }
  });

  it.each([
    [null, "missing_credential"],
    ["", "invalid_credential"],
    [`tak_${"A".repeat(43)}`, "invalid_credential"],
    ["not-even-a-key", "invalid_credential"],
    [`tac_${"A".repeat(43)}`, "invalid_credential"],
  ])("token %j -> 401 %s", async (token, code) => {
    const res = await call("GET", "/api/v1/clusters", {
      token: token === "" ? null : token,
      headers: token === "" ? { authorization: "Bearer" } : {},
    });
    expect(await errorOf(res)).toMatchObject({ status: 401, code });
  });

  it.each(["Basic dXNlcjpwYXNz", "Bearer a b", "Token abc"])(
    "malformed Authorization %j -> 401",
    async (header) => {
      const res = await call("GET", "/api/v1/clusters", { token: null, headers: { authorization: header } });
      expect(await errorOf(res)).toMatchObject({ status: 401, code: "invalid_credential" });
    },
  );

  it("accepts the scheme case-insensitively", async () => {
    const key = env.ADMIN_ACCESS_KEY ?? "";
    const res = await call("GET", "/api/v1/clusters", {
      token: null,
      headers: { authorization: `bearer ${key}` },
    });
    expect(res.status).toBe(200);
  });

  it("does not accept ?token= on the admin API", async () => {
    const res = await call("GET", `/api/v1/clusters?token=${env.ADMIN_ACCESS_KEY}`, { token: null });
    expect(res.status).toBe(401);
  });
});
