import { env } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type { AgentValuesResponse, ConfigResponse, CreateClusterResponse } from "../../protocol/api.ts";
import { bodyText, call, createAccessKey, errorOf, json, putConfig, uniqueName } from "../test/http.ts";

const yamlHeaders = { "content-type": "application/yaml" };

afterEach(() => putConfig("agentValues: {}\n"));

describe("GET /api/v1/config", () => {
  it("defaults to an empty agentValues section", async () => {
    await env.DB.prepare("delete from platform_config").run();
    const res = await call("GET", "/api/v1/config");
    expect(res.status).toBe(200);
    expect(await json<ConfigResponse>(res)).toEqual({
      yaml: "agentValues: {}\n",
      values: { agentValues: {} },
    });
  });

  it.each([
    [{ headers: { accept: "application/yaml" } }, ""],
    [{ headers: { accept: "text/yaml, */*;q=0.1" } }, ""],
    [{}, "?format=yaml"],
  ])("serves the YAML text itself when asked (%j %s)", async (options, query) => {
    await putConfig("# platform values\nagentValues: {}\nreplicas: 2\n");
    const res = await call("GET", `/api/v1/config${query}`, options);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/yaml/);
    expect(await bodyText(res)).toBe("# platform values\nagentValues: {}\nreplicas: 2\n");
  });

  it("needs an admin key", async () => {
    expect((await call("GET", "/api/v1/config", { token: null })).status).toBe(401);
    const key = await createAccessKey("values:read");
    expect((await call("GET", "/api/v1/config", { token: key })).status).toBe(403);
  });
});

describe("PUT /api/v1/config", () => {
  it("stores YAML as sent, comments included", async () => {
    const text = "# keep me\npeering: mesh\nagentValues:\n  logLevel: info # inline\n";
    const res = await call("PUT", "/api/v1/config", { body: text, headers: yamlHeaders });
    expect(res.status).toBe(200);
    expect(await json<ConfigResponse>(res)).toEqual({
      yaml: text,
      values: { peering: "mesh", agentValues: { logLevel: "info" } },
    });
    expect((await json<ConfigResponse>(await call("GET", "/api/v1/config"))).yaml).toBe(text);
  });

  it.each(["text/yaml", "text/plain", "application/x-yaml"])("accepts YAML as %s", async (type) => {
    const res = await call("PUT", "/api/v1/config", { body: "a: 1\n", headers: { "content-type": type } });
    expect((await json<ConfigResponse>(res)).values).toEqual({ a: 1 });
  });

  it("accepts a JSON object and stores it as YAML", async () => {
    const res = await call("PUT", "/api/v1/config", { json: { agentValues: { mtu: 1280 }, peering: "hub" } });
    expect(res.status).toBe(200);
    const body = await json<ConfigResponse>(res);
    expect(body.values).toEqual({ agentValues: { mtu: 1280 }, peering: "hub" });
    expect(body.yaml).toBe("agentValues:\n  mtu: 1280\npeering: hub\n");
  });

  it.each([
    ["a: [1, 2\n", "invalid_yaml", { line: 2, column: 1 }],
    ["- just\n- a list\n", "invalid_yaml", { line: 1, column: 1 }],
    ["agentValues: [1]\n", "invalid_config", { key: "agentValues" }],
    ["agentValues: text\n", "invalid_config", { key: "agentValues" }],
    ["peering: star\n", "invalid_config", { key: "peering" }],
    ["platformUrl: ftp://x\n", "invalid_config", { key: "platformUrl" }],
    ["platformUrl: 12\n", "invalid_config", { key: "platformUrl" }],
  ])("rejects %j with 422 %s", async (text, code, details) => {
    const res = await call("PUT", "/api/v1/config", { body: text, headers: yamlHeaders });
    expect(res.status).toBe(422);
    const body = await json<{ error: { code: string; details: unknown } }>(res);
    expect(body.error.code).toBe(code);
    expect(body.error.details).toEqual(details);
  });

  it.each([
    ["[1, 2]", 422, "invalid_config"],
    ["{", 400, "malformed_json"],
    ['{"peering": "ring"}', 422, "invalid_config"],
  ])("rejects JSON %j with %i %s", async (text, status, code) => {
    const res = await call("PUT", "/api/v1/config", {
      body: text,
      headers: { "content-type": "application/json" },
    });
    expect(await errorOf(res)).toMatchObject({ status, code });
  });

  it("rejects other content types with 400", async () => {
    const res = await call("PUT", "/api/v1/config", {
      body: "a=1",
      headers: { "content-type": "multipart/form-data" },
    });
    expect(await errorOf(res)).toMatchObject({ status: 400, code: "unsupported_media_type" });
  });

  it("refuses JSON nested 800 levels deep with a clear 422, not a 500", async () => {
    const body = `{"agentValues":{},"deep":${"[".repeat(800)}${"]".repeat(800)}}`;
    const res = await call("PUT", "/api/v1/config", {
      body,
      headers: { "content-type": "application/json" },
    });
    expect(await errorOf(res)).toEqual({
      status: 422,
      code: "invalid_config",
      message: "The platform config is refused: values nest deeper than 64 levels.",
    });
  });

  it("refuses deep YAML with the limit as its message, not a stack overflow", async () => {
    const res = await call("PUT", "/api/v1/config", {
      body: `agentValues: {}
deep: ${"[".repeat(800)}${"]".repeat(800)}
`,
      headers: yamlHeaders,
    });
    const error = await errorOf(res);
    expect(error).toMatchObject({ status: 422, code: "invalid_yaml" });
    // The column is where parsing gave up, somewhere inside the nest.
    expect(error.message).toMatch(
      /^The platform config is not a valid YAML map \(line 2, column \d+\): values nest deeper than 64 levels$/,
    );
  });

  it("refuses agentValues whose aliases expand past 256 KiB, so no endpoint serves megabytes", async () => {
    const items = Array.from({ length: 20_000 }, (_, i) => i % 10).join(",");
    const aliases = Array.from({ length: 99 }, (_, i) => `  k${i}: *big`).join("\n");
    const res = await call("PUT", "/api/v1/config/agent-values", {
      body: `big: &big [${items}]\n${aliases.replaceAll("  k", "k")}\n`,
      headers: yamlHeaders,
    });
    const error = await errorOf(res);
    expect(error).toMatchObject({ status: 422, code: "invalid_yaml" });
    expect(error.message).toContain("values expand to more than 256 KiB (anchors and aliases included)");
    const after = await call("GET", "/api/v1/config/agent-values");
    expect((await json<AgentValuesResponse>(after)).values).toEqual({});
  });

  it("keeps the previous config when a PUT is rejected", async () => {
    await putConfig("agentValues: {}\nmarker: 1\n");
    await call("PUT", "/api/v1/config", { body: "peering: nope\n", headers: yamlHeaders });
    expect((await json<ConfigResponse>(await call("GET", "/api/v1/config"))).values).toEqual({
      agentValues: {},
      marker: 1,
    });
  });

  it("platformUrl replaces the request origin in connect commands", async () => {
    await putConfig("agentValues: {}\nplatformUrl: https://tether.example.com/\n");
    const res = await call("POST", "/api/v1/clusters", {
      json: { displayName: "U", name: uniqueName("url") },
    });
    const body = await json<CreateClusterResponse>(res);
    expect(body.connect.cli).toBe(
      `TETHER_PSK=${body.psk} tether agent up --platform https://tether.example.com --cluster ${body.cluster.name}`,
    );
    expect(body.connect.chartUrl).toMatch(/^https:\/\/tether\.example\.com\/charts\/tether-agent-\S+\.tgz$/);
    expect(body.connect.valuesUrl).toBe(
      `https://tether.example.com/clusters/agent-values/${body.cluster.name}?token=${body.valuesKey}`,
    );
  });
});

describe("GET /api/v1/config/agent-values", () => {
  it("serves the agentValues section alone, as JSON or YAML", async () => {
    await putConfig('peering: mesh\nagentValues:\n  logLevel: debug # chatty\n  stunServers: ["a:1"]\n');
    const res = await call("GET", "/api/v1/config/agent-values");
    expect(res.status).toBe(200);
    expect(await json<AgentValuesResponse>(res)).toEqual({
      yaml: "logLevel: debug\nstunServers:\n  - a:1\n",
      values: { logLevel: "debug", stunServers: ["a:1"] },
    });
    const yaml = await call("GET", "/api/v1/config/agent-values?format=yaml");
    expect(yaml.headers.get("content-type")).toMatch(/^application\/yaml/);
    expect(await bodyText(yaml)).toBe("logLevel: debug\nstunServers:\n  - a:1\n");
  });

  it("is {} when the section is empty or absent, and needs an admin key", async () => {
    await putConfig("peering: hub\n");
    expect(await json<AgentValuesResponse>(await call("GET", "/api/v1/config/agent-values"))).toEqual({
      yaml: "{}\n",
      values: {},
    });
    const valuesKey = await createAccessKey("values:read");
    const res = await call("GET", "/api/v1/config/agent-values", { token: valuesKey });
    expect(res.status).toBe(403);
  });
});

describe("PUT /api/v1/config/agent-values", () => {
  it("replaces only the agentValues section, keeping the rest of the text", async () => {
    await putConfig("# top comment\npeering: mesh # why\nagentValues:\n  old: true\nother: 1\n");
    const res = await call("PUT", "/api/v1/config/agent-values", {
      body: 'logLevel: debug\nstunServers: ["a:1", "b:1"]\n',
      headers: yamlHeaders,
    });
    expect(res.status).toBe(200);
    const body = await json<ConfigResponse>(res);
    expect(body.values).toEqual({
      peering: "mesh",
      agentValues: { logLevel: "debug", stunServers: ["a:1", "b:1"] },
      other: 1,
    });
    expect(body.yaml).toContain("# top comment");
    expect(body.yaml).toContain("peering: mesh # why");
  });

  it("accepts JSON and adds the section when missing", async () => {
    await putConfig("peering: hub\n");
    const res = await call("PUT", "/api/v1/config/agent-values", { json: { mtu: 1380 } });
    expect((await json<ConfigResponse>(res)).values).toEqual({ peering: "hub", agentValues: { mtu: 1380 } });
  });

  it.each([
    ["k: [\n", 422],
    ["- 1\n", 422],
  ])("rejects %j with %i", async (text, status) => {
    const res = await call("PUT", "/api/v1/config/agent-values", { body: text, headers: yamlHeaders });
    expect(res.status).toBe(status);
  });
});
