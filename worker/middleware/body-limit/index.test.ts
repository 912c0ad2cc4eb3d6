import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../../env.ts";
import { onError } from "../../http/errors.ts";
import { bodyLimit } from "./index.ts";

function appWithLimit(limit: number) {
  const app = new Hono<AppEnv>();
  app.onError(onError);
  app.use("*", bodyLimit(limit));
  app.post("/", (c) => c.json({ bytes: c.var.body.byteLength }));
  app.get("/", (c) => c.json({ bytes: c.var.body.byteLength }));
  return app;
}

function streamOf(chunks: number[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const n of chunks) controller.enqueue(new Uint8Array(n));
      controller.close();
    },
  });
}

describe("bodyLimit", () => {
  const app = appWithLimit(1024);

  it("passes a body at exactly the limit and exposes its bytes", async () => {
    const res = await app.request("/", { method: "POST", body: new Uint8Array(1024) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ bytes: 1024 });
  });

  it("gives an empty body to bodiless requests", async () => {
    const res = await app.request("/");
    expect(await res.json()).toEqual({ bytes: 0 });
  });

  it("rejects by Content-Length before reading, saying the limit", async () => {
    const res = await app.request("/", {
      method: "POST",
      body: "x",
      headers: { "content-length": "1025" },
    });
    expect(res.status).toBe(413);
    const body = (await res.json()) as { error: { code: string; message: string; details: unknown } };
    expect(body.error.code).toBe("body_too_large");
    expect(body.error.message).toBe("The request body is larger than the 1 KiB limit.");
    expect(body.error.details).toEqual({ limitBytes: 1024 });
  });

  it("counts bytes actually read when there is no Content-Length (chunked)", async () => {
    const res = await app.request("/", {
      method: "POST",
      body: streamOf([600, 600]),
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
  });

  it("accepts a chunked body under the limit", async () => {
    const res = await app.request("/", {
      method: "POST",
      body: streamOf([500, 500]),
      duplex: "half",
    } as RequestInit);
    expect(await res.json()).toEqual({ bytes: 1000 });
  });

  it("rejects a non-numeric Content-Length with 400", async () => {
    const res = await app.request("/", { method: "POST", body: "x", headers: { "content-length": "12abc" } });
    expect(res.status).toBe(400);
  });

  it("defaults to 256 KiB", async () => {
    const big = new Hono<AppEnv>();
    big.onError(onError);
    big.use("*", bodyLimit());
    big.post("/", (c) => c.text("ok"));
    expect((await big.request("/", { method: "POST", body: new Uint8Array(256 * 1024) })).status).toBe(200);
    const res = await big.request("/", { method: "POST", body: new Uint8Array(256 * 1024 + 1) });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("256 KiB");
  });
});
