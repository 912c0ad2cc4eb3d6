import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv } from "ajv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { type Platform, startPlatform } from "../helpers/platform.ts";
import { CHART_DIR, CONNECT_SETS, helm, helmOk, type K8sObject, parseManifests, pick } from "./helm.ts";

/**
 * The platform's values URLs as helm --values layers, with the real helm against a real local
 * platform: layering the sources renders what the effective URL renders, and the effective values
 * pass the chart's values.schema.json.
 */
describe("helm --values with the platform's values URLs", () => {
  let platform: Platform;
  let workDir: string;
  let key: string;
  const validate = new Ajv({ allErrors: true, strict: false });
  let schemaCheck: ReturnType<Ajv["compile"]>;

  async function api(method: string, path: string, body?: unknown, contentType = "application/json") {
    const res = await fetch(`${platform.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${platform.adminKey}`, "content-type": contentType },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text;
  }

  const url = (cluster: string, source?: string) =>
    `${platform.url}/clusters/${cluster}?token=${key}${source ? `&source=${source}` : ""}`;

  async function template(valuesArgs: string[]): Promise<{ text: string; objects: K8sObject[] }> {
    const text = await helmOk([
      "template",
      "tether-agent",
      CHART_DIR,
      "-n",
      "tether",
      ...CONNECT_SETS,
      ...valuesArgs,
    ]);
    return { text, objects: parseManifests(text) };
  }

  const agentValuesOf = (objects: K8sObject[]) =>
    parse((pick(objects, "ConfigMap") as K8sObject & { data: Record<string, string> }).data["values.yaml"]!);

  async function setAnnotation(cluster: string, values: unknown) {
    await api("PATCH", `/api/v1/clusters/${cluster}`, {
      annotations: { "loft.sh/agent-values": stringify(values) },
    });
  }

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), "tether-values-layering-"));
    schemaCheck = validate.compile(JSON.parse(await readFile(join(CHART_DIR, "values.schema.json"), "utf8")));
    await helmOk(["version", "--short"]); // builds helm once, before the platform starts
    platform = await startPlatform();
    await api("POST", "/api/v1/clusters", { displayName: "Staging", name: "staging" });
    await api("POST", "/api/v1/clusters", { displayName: "Prod", name: "prod" });
    key = (
      JSON.parse(await api("POST", "/api/v1/access-keys", { name: "helm", scope: "values:read" })) as {
        key: string;
      }
    ).key;
  }, 900_000);
  afterAll(async () => {
    await platform?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  }, 60_000);

  it("with agentValues set: platform-config then cluster-annotation renders what the effective URL renders", async () => {
    await api("PUT", "/api/v1/config/agent-values", {
      logLevel: "warn",
      relay: { mode: "always" },
      mtu: 1380,
      persistentKeepalive: 25,
      stunServers: ["stun.example.test:3478"],
      expose: [{ port: 443, target: "kubernetes.default.svc:443" }],
    });
    await setAnnotation("staging", {
      relay: { mode: "never" },
      logLevel: "debug",
      stunServers: ["stun2.example.test:3478", "stun3.example.test:19302"],
      forward: [{ listen: "127.0.0.1:6443", to: "prod:443" }],
    });
    const layered = await template([
      "--values",
      url("staging", "platform-config"),
      "--values",
      url("staging", "cluster-annotation"),
    ]);
    const effective = await template(["--values", url("staging")]);
    expect(layered.text).toBe(effective.text);
    expect(agentValuesOf(effective.objects)).toEqual({
      logLevel: "debug",
      relay: { mode: "never" },
      mtu: 1380,
      persistentKeepalive: 25,
      stunServers: ["stun2.example.test:3478", "stun3.example.test:19302"],
      expose: [{ port: 443, target: "kubernetes.default.svc:443" }],
      forward: [{ listen: "127.0.0.1:6443", to: "prod:443" }],
    });
    // The agent's --log-level follows the merged value too.
    const deploy = pick(effective.objects, "Deployment") as K8sObject & {
      spec: { template: { spec: { containers: Array<{ args: string[] }> } } };
    };
    expect(deploy.spec.template.spec.containers[0]!.args.slice(-2)).toEqual(["--log-level", "debug"]);
  });

  it("the effective values of every cluster validate against values.schema.json", async () => {
    for (const cluster of ["staging", "prod"]) {
      const values = parse(await (await fetch(url(cluster))).text());
      const ok = schemaCheck(values);
      expect(schemaCheck.errors ?? [], cluster).toEqual([]);
      expect(ok).toBe(true);
    }
  });

  it("values the schema refuses: the platform refuses the annotation (422), and helm refuses the same values, on the same field", async () => {
    const bad = { relay: { mode: "sometimes" } };
    const res = await fetch(`${platform.url}/api/v1/clusters/prod`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${platform.adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ annotations: { "loft.sh/agent-values": stringify(bad) } }),
    });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      "relay.mode: must be one of auto, always, never",
    );
    // Nothing was stored: the values URL still serves schema-valid values.
    expect(schemaCheck(parse(await (await fetch(url("prod"))).text()))).toBe(true);
    // The chart's own schema (the same one) refuses the same values in helm.
    expect(schemaCheck(bad)).toBe(false);
    expect(schemaCheck.errors?.map((e) => e.instancePath)).toContain("/relay/mode");
    const file = join(workDir, "bad-values.yaml");
    await writeFile(file, stringify(bad));
    const r = await helm(["template", "tether-agent", CHART_DIR, ...CONNECT_SETS, "--values", file]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("values don't meet the specifications of the schema");
    expect(r.stderr).toMatch(/relay/);
  });

  it("with empty agentValues: the platform config file then cluster-annotation renders what the effective URL renders", async () => {
    // agentValues empty: agents inherit the platform config itself, which source=platform-config
    // does not serve ({}), so that layer alone would drop the platform's keys.
    await api(
      "PUT",
      "/api/v1/config",
      "agentValues: {}\npeering: hub\nlogLevel: warn\nmtu: 1300\nrelay:\n  mode: always\n",
      "application/yaml",
    );
    await setAnnotation("staging", { relay: { mode: "never" } });
    const effective = await template(["--values", url("staging")]);
    expect(agentValuesOf(effective.objects)).toEqual({
      logLevel: "warn",
      mtu: 1300,
      relay: { mode: "never" },
    });

    const wrongLayers = await template([
      "--values",
      url("staging", "platform-config"),
      "--values",
      url("staging", "cluster-annotation"),
    ]);
    expect(agentValuesOf(wrongLayers.objects)).toEqual({ relay: { mode: "never" } });

    // What a user layers instead: the platform config as a file (admin key), then the annotation.
    const configFile = join(workDir, "platform-config.yaml");
    await writeFile(configFile, await api("GET", "/api/v1/config?format=yaml"));
    const layered = await template([
      "--values",
      configFile,
      "--values",
      url("staging", "cluster-annotation"),
    ]);
    expect(layered.text).toBe(effective.text);
    expect(schemaCheck(parse(await (await fetch(url("staging"))).text()))).toBe(true);
  });
});
