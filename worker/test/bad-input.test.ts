import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { call, createCluster, randomPublicKey, registerAgent, uniqueName } from "./http.ts";

const JSON_ROUTES: [string, string][] = [
  ["POST", "/api/v1/access-keys"],
  ["POST", "/api/v1/clusters"],
  ["POST", "/api/v1/agent/register"],
  ["PUT", "/api/v1/config"],
];

async function expectCleanError(res: Response, allowed: number[]): Promise<void> {
  expect(allowed).toContain(res.status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const body = (await res.json()) as { error?: { code?: unknown; message?: unknown } };
  expect(typeof body.error?.code).toBe("string");
  expect(typeof body.error?.message).toBe("string");
  expect(JSON.stringify(body)).not.toMatch(/\bat .+\.(ts|js):\d+/);
}

describe("bad input never yields a 500 or a stack trace", () => {
  it("random bytes as request bodies", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...JSON_ROUTES),
        fc.uint8Array({ minLength: 1, maxLength: 512 }),
        fc.constantFrom("application/json", "application/yaml", "text/plain", undefined),
        async ([method, path], bytes, type) => {
          const res = await call(method, path, {
            body: bytes,
            headers: type === undefined ? {} : { "content-type": type },
            token: path.includes("/agent/") ? null : undefined,
          });
          if (res.status < 300) {
            // Only the config accepts arbitrary maps; random bytes that happen to parse as one are fine there.
            expect(path).toBe("/api/v1/config");
            await res.arrayBuffer();
            return;
          }
          await expectCleanError(res, [400, 404, 422]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("random JSON values as bodies", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...JSON_ROUTES.slice(0, 3)),
        fc.jsonValue({ maxDepth: 3 }),
        async ([method, path], value) => {
          const res = await call(method, path, {
            json: value,
            token: path.includes("/agent/") ? null : undefined,
          });
          await expectCleanError(res, [400, 404]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("random heartbeat bodies from a real agent", async () => {
    const created = await createCluster({ name: uniqueName("fuzzhb") });
    const agent = await registerAgent(created.cluster.name, created.psk, { publicKey: randomPublicKey() });
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (value) => {
        const res = await call("POST", "/api/v1/agent/heartbeat", { token: agent.credential, json: value });
        await expectCleanError(res, [400]);
      }),
      { numRuns: 40 },
    );
  });

  it.each([
    "/api/v1/clusters/%2e%2e",
    "/api/v1/clusters/..%2f..%2fetc%2fpasswd",
    "/api/v1/clusters/a%00b",
    "/api/v1/clusters/%E2%80%AE",
    "/api/v1/clusters/%ZZ",
    `/api/v1/clusters/${"a".repeat(5000)}`,
    "/clusters/%2e%2e%2fapi?token=x",
  ])("path-traversal-ish names: GET %s", async (path) => {
    const res = await call("GET", path);
    await expectCleanError(res, [400, 401, 404]);
  });

  it("huge bodies on every JSON route -> 413", async () => {
    const huge = `{"x":"${"a".repeat(257 * 1024)}"}`;
    for (const [method, path] of [
      ...JSON_ROUTES,
      ["PUT", "/api/v1/config/agent-values"] as [string, string],
    ]) {
      const res = await call(method, path, {
        body: huge,
        headers: { "content-type": "application/json" },
        token: path.includes("/agent/") ? null : undefined,
      });
      await expectCleanError(res, [413]);
    }
  });

  it("invalid UTF-8 is a 400, not a mangled value", async () => {
    const bytes = new Uint8Array([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
    const res = await call("POST", "/api/v1/access-keys", {
      body: bytes,
      headers: { "content-type": "application/json" },
    });
    await expectCleanError(res, [400]);
  });
});
