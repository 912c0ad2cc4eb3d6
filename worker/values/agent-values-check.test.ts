import { afterEach, describe, expect, it } from "vitest";
import {
  AGENT_VALUES_ANNOTATION,
  type Cluster,
  type EffectiveValuesResponse,
  type InvalidValuesDetails,
} from "../../protocol/api.ts";
import { call, createCluster, type ErrorJson, json, putConfig, uniqueName } from "../test/http.ts";

const yamlHeaders = { "content-type": "application/yaml" };

afterEach(() => putConfig("agentValues: {}\n"));

async function invalidValues(res: Response): Promise<{ status: number; body: ErrorJson }> {
  return { status: res.status, body: await json<ErrorJson>(res) };
}

describe("agent values are checked against the agent values schema on write", () => {
  it("refuses PUT /config/agent-values with 422 invalid_values, the dotted path and the reason", async () => {
    const res = await call("PUT", "/api/v1/config/agent-values", {
      body: "relay:\n  mode: sometimes\n",
      headers: yamlHeaders,
    });
    expect(await invalidValues(res)).toEqual({
      status: 422,
      body: {
        error: {
          code: "invalid_values",
          message: "relay.mode: must be one of auto, always, never",
          details: { issues: [{ path: "relay.mode", message: "must be one of auto, always, never" }] },
        },
      },
    });
  });

  it("lists every issue, array indices as .N, and stores nothing", async () => {
    await putConfig("agentValues:\n  mtu: 1280\n");
    const res = await call("PUT", "/api/v1/config/agent-values", {
      json: {
        mtu: "big",
        stunServers: ["nope"],
        expose: [{ port: 443, target: "web:443" }, { port: 0, target: "web:80" }, { target: "x:1" }],
        forward: [{ listen: "localhost:80", to: "staging:443" }],
        persistentKeepalive: 5000,
      },
    });
    expect(res.status).toBe(422);
    const details = (await json<ErrorJson>(res)).error.details as InvalidValuesDetails;
    expect(details.issues).toEqual([
      { path: "persistentKeepalive", message: "must be at most 3600" },
      { path: "mtu", message: "must be a whole number" },
      { path: "stunServers.0", message: 'must be "host:port"' },
      { path: "expose.1.port", message: "must be at least 1" },
      { path: "expose.2.port", message: "is required" },
      { path: "forward.0.listen", message: 'must be a port (0-65535) or "IPv4:port"' },
    ]);
    const kept = await json<{ values: Record<string, unknown> }>(
      await call("GET", "/api/v1/config/agent-values"),
    );
    expect(kept.values).toEqual({ mtu: 1280 });
  });

  it("allows keys the agent does not know (they may be for other components)", async () => {
    const res = await call("PUT", "/api/v1/config/agent-values", {
      json: { mtu: 1300, image: { tag: "1.2.3" }, relay: { mode: "never", region: "eu" } },
    });
    expect(res.status).toBe(200);
  });

  it("checks agentValues inside PUT /config, with the path from the document's top", async () => {
    const res = await call("PUT", "/api/v1/config", {
      body: "peering: hub\nagentValues:\n  logLevel: loud\n",
      headers: yamlHeaders,
    });
    const { status, body } = await invalidValues(res);
    expect(status).toBe(422);
    expect(body.error.details).toEqual({
      issues: [{ path: "agentValues.logLevel", message: "must be one of debug, info, warn, error" }],
    });
  });

  it("checks the whole config when agentValues is empty, since agents then inherit the document", async () => {
    const res = await call("PUT", "/api/v1/config", {
      body: "peering: hub\nmtu: 9000\n",
      headers: yamlHeaders,
    });
    const { status, body } = await invalidValues(res);
    expect(status).toBe(422);
    expect(body.error.message).toBe("mtu: must be at most 1420");
  });

  it("refuses a cluster created with a bad agent-values annotation", async () => {
    const name = uniqueName("vals");
    const res = await call("POST", "/api/v1/clusters", {
      json: {
        displayName: "V",
        name,
        annotations: { [AGENT_VALUES_ANNOTATION]: "relay: { mode: sometimes }\n" },
      },
    });
    expect((await invalidValues(res)).body.error).toEqual({
      code: "invalid_values",
      message: "relay.mode: must be one of auto, always, never",
      details: { issues: [{ path: "relay.mode", message: "must be one of auto, always, never" }] },
    });
    expect((await call("GET", `/api/v1/clusters/${name}`)).status).toBe(404);
  });

  it("refuses a PATCH that sets a bad annotation, and keeps the old one", async () => {
    const name = uniqueName("vals");
    await createCluster({ name, annotations: { [AGENT_VALUES_ANNOTATION]: "mtu: 1300\n" } });
    const res = await call("PATCH", `/api/v1/clusters/${name}`, {
      json: { annotations: { [AGENT_VALUES_ANNOTATION]: 'mtu: "big"\n' } },
    });
    expect((await invalidValues(res)).body.error.message).toBe("mtu: must be a whole number");
    const cluster = await json<Cluster>(await call("GET", `/api/v1/clusters/${name}`));
    expect(cluster.annotations[AGENT_VALUES_ANNOTATION]).toBe("mtu: 1300\n");
  });

  it("still answers a YAML syntax error as before (line and column), not as invalid_values", async () => {
    const res = await call("PUT", "/api/v1/config/agent-values", { body: "a: [1\n", headers: yamlHeaders });
    expect(res.status).toBe(422);
    expect((await json<ErrorJson>(res)).error.code).not.toBe("invalid_values");
  });
});

describe("the values URL in JSON names the keys the agent does not use", () => {
  it("answers {yaml, values, unusedKeys} for Accept: application/json and ?format=json", async () => {
    const name = uniqueName("unused");
    await putConfig("agentValues:\n  mtu: 1300\n  image:\n    tag: v1\n");
    await createCluster({
      name,
      annotations: {
        [AGENT_VALUES_ANNOTATION]:
          "relay:\n  mode: never\n  region: eu\nexpose:\n  - { port: 80, target: web:80, note: x }\n",
      },
    });
    const expected: EffectiveValuesResponse = {
      yaml: "mtu: 1300\nimage:\n  tag: v1\nrelay:\n  mode: never\n  region: eu\nexpose:\n  - port: 80\n    target: web:80\n    note: x\n",
      values: {
        mtu: 1300,
        image: { tag: "v1" },
        relay: { mode: "never", region: "eu" },
        expose: [{ port: 80, target: "web:80", note: "x" }],
      },
      unusedKeys: ["image", "relay.region", "expose.0.note"],
    };
    const byHeader = await call("GET", `/clusters/${name}`, { headers: { accept: "application/json" } });
    expect(byHeader.status).toBe(200);
    // Said as JSON, so a client that goes by content-type (the web UI) reads it as JSON.
    expect(byHeader.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await json<EffectiveValuesResponse>(byHeader)).toEqual(expected);
    const byQuery = await call("GET", `/clusters/${name}?format=json`);
    expect(await json<EffectiveValuesResponse>(byQuery)).toEqual(expected);
    const layer = await call("GET", `/clusters/${name}?format=json&source=platform-config`);
    expect((await json<EffectiveValuesResponse>(layer)).unusedKeys).toEqual(["image"]);
    // Helm's form is unchanged.
    const plain = await call("GET", `/clusters/${name}`);
    expect(plain.headers.get("content-type")).toMatch(/^application\/yaml/);
  });
});
