import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpTimeoutError, httpRequest } from "./http-request.ts";

describe("httpRequest", () => {
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString();
    });
    req.on("end", () => {
      if (req.url === "/slow") return; // never answers
      if (req.url === "/big") {
        res.end("x".repeat(5000));
        return;
      }
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ method: req.method, body, auth: req.headers.authorization ?? null }));
    });
  });
  let base = "";
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it("sends method, headers and body, and returns status and text", async () => {
    const r = await httpRequest(new URL(`${base}/x`), {
      method: "POST",
      headers: { authorization: "Bearer k" },
      body: "héllo",
      env: {},
    });
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(r.text)).toEqual({ method: "POST", body: "héllo", auth: "Bearer k" });
  });

  it("times out and caps response size", async () => {
    await expect(httpRequest(new URL(`${base}/slow`), { timeoutMs: 100, env: {} })).rejects.toBeInstanceOf(
      HttpTimeoutError,
    );
    await expect(httpRequest(new URL(`${base}/big`), { maxResponseBytes: 1000, env: {} })).rejects.toThrow(
      /exceeds 1000 bytes/,
    );
  });

  it("fails cleanly when nothing listens", async () => {
    await expect(httpRequest(new URL("http://127.0.0.1:1/"), { env: {} })).rejects.toMatchObject({
      code: "ECONNREFUSED",
    });
  });
});
