import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PlatformClient } from "./platform-client.ts";
import { ApiError, NetworkError } from "./platform-errors.ts";

// A loopback server that echoes what it received, or misbehaves on purpose, so
// the client's edge cases (which the real platform never produces) get exercised.
type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;
const routes: Record<string, Handler> = {
  "/echo": (req, body, res) => {
    res.setHeader("content-type", "application/json");
    res.end(
      JSON.stringify({
        method: req.method,
        url: req.url,
        auth: req.headers.authorization ?? null,
        contentType: req.headers["content-type"] ?? null,
        accept: req.headers.accept ?? null,
        body,
      }),
    );
  },
  "/envelope": (_req, _body, res) => {
    res.statusCode = 422;
    res.setHeader("content-type", "application/json");
    res.end(
      JSON.stringify({ error: { code: "invalid_values", message: "Bad.", details: { line: 1, column: 2 } } }),
    );
  },
  "/html-error": (_req, _body, res) => {
    res.statusCode = 502;
    res.end("<html>Bad gateway</html>");
  },
  "/not-json": (_req, _body, res) => {
    res.end("plain");
  },
  "/no-content": (_req, _body, res) => {
    res.statusCode = 204;
    res.end();
  },
  "/slow": () => {
    // Never answers; the client's timeout must fire.
  },
};

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString("utf8");
    });
    req.on("end", () => {
      const path = new URL(req.url ?? "/", "http://x").pathname;
      const handler = routes[path];
      if (handler) handler(req, body, res);
      else {
        res.statusCode = 404;
        res.end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe("PlatformClient", () => {
  it("sends the bearer key, JSON bodies and query parameters (skipping undefined ones)", async () => {
    const client = new PlatformClient({ baseUrl: `${base}/`, accessKey: "tak_abc" });
    const echo = await client.json<Record<string, unknown>>("/echo", {
      method: "POST",
      body: { a: 1 },
      query: { limit: 5, cursor: undefined, name: "a b" },
    });
    expect(echo).toEqual({
      method: "POST",
      url: "/echo?limit=5&name=a+b",
      auth: "Bearer tak_abc",
      contentType: "application/json",
      accept: "application/json",
      body: '{"a":1}',
    });
  });

  it("sends strings verbatim with the given content type and no auth header without a key", async () => {
    const client = new PlatformClient({ baseUrl: base });
    const echo = await client.json<Record<string, unknown>>("/echo", {
      method: "PUT",
      body: "a: 1\n",
      contentType: "application/yaml",
      accept: "application/yaml",
    });
    expect(echo).toMatchObject({ auth: null, contentType: "application/yaml", body: "a: 1\n" });
    expect(echo.accept).toBe("application/yaml");
  });

  it("turns the error envelope into an ApiError with details", async () => {
    const client = new PlatformClient({ baseUrl: base });
    const err = await client.request("/envelope").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      status: 422,
      code: "invalid_values",
      message: "Bad.",
      details: { line: 1, column: 2 },
    });
  });

  it("reports a non-envelope error page by status only", async () => {
    const err = await new PlatformClient({ baseUrl: base }).request("/html-error").catch((e: unknown) => e);
    expect(err).toMatchObject({
      status: 502,
      code: "http_error",
      message: "platform answered with HTTP 502",
    });
  });

  it("rejects a 2xx body that is not JSON when JSON was expected, and maps 204 to undefined", async () => {
    const client = new PlatformClient({ baseUrl: base });
    await expect(client.json("/not-json")).rejects.toThrow("body that is not JSON");
    await expect(client.json("/no-content")).resolves.toBeUndefined();
  });

  it("times out with a one-line NetworkError", async () => {
    const client = new PlatformClient({ baseUrl: base, timeoutMs: 200 });
    const err = await client.request("/slow").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as Error).message).toBe(`platform at ${base} did not answer within 200 ms`);
  });

  it("names the socket error when nothing listens", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const err = await new PlatformClient({ baseUrl: `http://127.0.0.1:${port}` })
      .request("/x")
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as Error).message).toBe(`cannot reach platform at http://127.0.0.1:${port}: ECONNREFUSED`);
  });

  it("refuses URLs that are not http(s)", () => {
    expect(() => new PlatformClient({ baseUrl: "ftp://x" })).toThrow("must start with http:// or https://");
    expect(() => new PlatformClient({ baseUrl: "not a url" })).toThrow("is not a valid URL");
  });
});
