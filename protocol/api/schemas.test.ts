import { describe, expect, it } from "vitest";
import { z } from "zod";
import * as api from "../api.ts";

// Every schema the API module exports, found by shape, so a new one is covered without a list.
const schemas = Object.entries(api as Record<string, unknown>).filter(
  (entry): entry is [string, z.ZodType] => entry[1] instanceof z.ZodType,
);

describe("protocol/api schemas", () => {
  it("exports the request and response schemas under their type names", () => {
    const names = schemas.map(([name]) => name);
    for (const name of [
      "ApiErrorBody",
      "CreateAccessKeyRequest",
      "CreateClusterRequest",
      "PatchClusterRequest",
      "ListClustersResponse",
      "RegisterRequest",
      "RegisterResponse",
      "HeartbeatRequest",
      "HeartbeatResponse",
      "Netmap",
      "ConfigResponse",
    ]) {
      expect(names).toContain(name);
    }
  });

  // The same schemas are meant to feed an OpenAPI document; a schema JSON Schema cannot express
  // (a transform, say) would break that, so each one must convert.
  it.each(schemas)("%s converts to JSON Schema", (_name, schema) => {
    const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "throw" });
    expect(json).toHaveProperty("$schema");
  });

  it("request schemas keep the Worker's limits", () => {
    expect(api.CreateClusterRequest.safeParse({ displayName: "x", name: "Bad_Name" }).success).toBe(false);
    expect(api.CreateClusterRequest.safeParse({ displayName: "x", name: "" }).success).toBe(true);
    expect(api.CreateAccessKeyRequest.safeParse({ name: "k", scope: "root" }).success).toBe(false);
    const heartbeat = { version: "1.0.0", endpoints: ["192.0.2.1:51820"], peers: [], listenPort: 65536 };
    expect(api.HeartbeatRequest.safeParse(heartbeat).success).toBe(false);
    expect(api.HeartbeatRequest.safeParse({ ...heartbeat, listenPort: 51820 }).success).toBe(true);
    expect(api.HeartbeatRequest.safeParse({ ...heartbeat, listenPort: 51820, version: "1" }).success).toBe(
      false,
    );
    const key = `${"A".repeat(42)}B=`;
    expect(api.WireguardPublicKey.safeParse(key).success).toBe(false);
    expect(api.WireguardPublicKey.safeParse(`${"A".repeat(42)}A=`).success).toBe(true);
  });
});
