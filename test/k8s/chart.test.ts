import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CHART_DIR, CONNECT_SETS, helm, helmOk, type K8sObject, parseManifests, pick } from "./helm.ts";

/** `helm template` of the chart as `-n tether`, with the connect values plus `extra`. */
async function render(extra: string[] = []): Promise<K8sObject[]> {
  return parseManifests(
    await helmOk(["template", "tether-agent", CHART_DIR, "-n", "tether", ...CONNECT_SETS, ...extra]),
  );
}

interface Container {
  args: string[];
  env: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>;
  securityContext: Record<string, unknown>;
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  ports: Array<{ name: string; containerPort: number }>;
  resources: Record<string, unknown>;
  image: string;
  volumeMounts: Array<{ name: string; mountPath: string }>;
}

function podSpec(objects: K8sObject[]): Record<string, unknown> & { containers: Container[] } {
  const deploy = pick(objects, "Deployment", "tether-agent") as K8sObject & {
    spec: { template: { spec: Record<string, unknown> & { containers: Container[] } } };
  };
  return deploy.spec.template.spec;
}

describe("the tether-agent chart with the real helm", () => {
  beforeAll(async () => {
    // Builds helm once into the tools cache (minutes the first time).
    await helmOk(["version", "--short"]);
  }, 900_000);

  it("passes helm lint --strict with the values a connect command gives", async () => {
    const r = await helm(["lint", CHART_DIR, "--strict", ...CONNECT_SETS]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("1 chart(s) linted, 0 chart(s) failed");
  });

  it("renders every object with the standard labels in the release namespace", async () => {
    const objects = await render();
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      "ClusterRole/tether-tether-agent",
      "ClusterRoleBinding/tether-tether-agent",
      "ConfigMap/tether-agent-values",
      "Deployment/tether-agent",
      "Role/tether-agent",
      "RoleBinding/tether-agent",
      "Secret/tether-agent-psk",
      "Secret/tether-agent-state",
      "ServiceAccount/tether-agent",
    ]);
    for (const o of objects) {
      expect(o.metadata.labels).toMatchObject({
        "app.kubernetes.io/name": "tether-agent",
        "app.kubernetes.io/instance": "tether-agent",
        "app.kubernetes.io/managed-by": "Helm",
        "app.kubernetes.io/version": "0.1.0",
      });
      if (!o.kind.startsWith("Cluster")) expect(o.metadata.namespace).toBe("tether");
    }
    const psk = pick(objects, "Secret", "tether-agent-psk") as K8sObject & { data: Record<string, string> };
    expect(Buffer.from(psk.data.psk!, "base64").toString()).toBe("tpsk_test-psk-value");
    // The chart creates the state Secret but never writes its data (the agent does).
    expect(pick(objects, "Secret", "tether-agent-state")).not.toHaveProperty("data");
  });

  it("grants only the state Secret in its namespace and get on kube-system", async () => {
    const objects = await render();
    expect((pick(objects, "Role") as K8sObject & { rules: unknown }).rules).toEqual([
      {
        apiGroups: [""],
        resources: ["secrets"],
        resourceNames: ["tether-agent-state"],
        verbs: ["get", "update", "patch"],
      },
    ]);
    expect((pick(objects, "ClusterRole") as K8sObject & { rules: unknown }).rules).toEqual([
      { apiGroups: [""], resources: ["namespaces"], resourceNames: ["kube-system"], verbs: ["get"] },
    ]);
    for (const kind of ["RoleBinding", "ClusterRoleBinding"]) {
      expect((pick(objects, kind) as K8sObject & { subjects: unknown }).subjects).toEqual([
        { kind: "ServiceAccount", name: "tether-agent", namespace: "tether" },
      ]);
    }
  });

  it("runs the agent locked down, with probes on its health port and the PSK from the Secret", async () => {
    const spec = podSpec(await render());
    expect(spec.serviceAccountName).toBe("tether-agent");
    expect(spec.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    });
    const [agent] = spec.containers;
    expect(agent!.image).toBe("ghcr.io/tether-dev/tether-agent:0.1.0");
    expect(agent!.args).toEqual([
      "agent",
      "up",
      "--platform",
      "https://platform.example.test",
      "--cluster",
      "staging",
      "--health-listen",
      "0.0.0.0:8081",
      "--state",
      "/var/run/tether",
    ]);
    expect(agent!.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(agent!.ports).toEqual([{ name: "health", containerPort: 8081, protocol: "TCP" }]);
    expect(agent!.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "health" });
    expect(agent!.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "health" });
    expect(agent!.env).toContainEqual({
      name: "TETHER_PSK",
      valueFrom: { secretKeyRef: { name: "tether-agent-psk", key: "psk" } },
    });
    expect(agent!.env.map((e) => e.name)).not.toContain("HTTPS_PROXY");
    expect(agent!.resources).toEqual({
      requests: { cpu: "50m", memory: "96Mi" },
      limits: { memory: "256Mi" },
    });
    expect(agent!.volumeMounts.map((m) => m.mountPath).sort()).toEqual(["/tmp", "/var/run/tether"]);
  });

  it("takes proxy, scheduling, image, log level and an existing PSK Secret from values", async () => {
    const objects = await render([
      "--set",
      "proxy.httpsProxy=http://proxy.corp:3128",
      "--set",
      "proxy.noProxy=10.0.0.0/8\\,.svc",
      "--set",
      "nodeSelector.kubernetes\\.io/os=linux",
      "--set-json",
      'tolerations=[{"key":"dedicated","operator":"Equal","value":"infra","effect":"NoSchedule"}]',
      "--set-json",
      'affinity={"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"zone","operator":"In","values":["a"]}]}]}}}',
      "--set",
      "image.tag=9.9.9",
      "--set",
      "logLevel=debug",
      "--set",
      "existingSecret=my-psk",
      "--set",
      "existingSecretKey=token",
      "--set",
      "health.port=9000",
    ]);
    expect(objects.some((o) => o.metadata.name === "tether-agent-psk")).toBe(false);
    const spec = podSpec(objects);
    const [agent] = spec.containers;
    expect(agent!.image).toBe("ghcr.io/tether-dev/tether-agent:9.9.9");
    expect(agent!.args.slice(-4)).toEqual(["--state", "/var/run/tether", "--log-level", "debug"]);
    expect(agent!.args).toContain("0.0.0.0:9000");
    expect(agent!.env).toContainEqual({ name: "HTTPS_PROXY", value: "http://proxy.corp:3128" });
    expect(agent!.env).toContainEqual({ name: "NO_PROXY", value: "10.0.0.0/8,.svc" });
    expect(agent!.env).toContainEqual({
      name: "TETHER_PSK",
      valueFrom: { secretKeyRef: { name: "my-psk", key: "token" } },
    });
    expect(spec.nodeSelector).toEqual({ "kubernetes.io/os": "linux" });
    expect(spec.tolerations).toEqual([
      { key: "dedicated", operator: "Equal", value: "infra", effect: "NoSchedule" },
    ]);
    expect(spec.affinity).toHaveProperty("nodeAffinity");
    const values = pick(objects, "ConfigMap") as K8sObject & { data: Record<string, string> };
    expect(parse(values.data["values.yaml"]!)).toEqual({ logLevel: "debug" });
  });

  it("packages with helm package, and the .tgz renders what the directory renders", async () => {
    const out = await mkdtemp(join(tmpdir(), "tether-chart-package-"));
    try {
      const printed = await helmOk(["package", CHART_DIR, "-d", out]);
      const tgz = join(out, "tether-agent-0.1.0.tgz");
      expect(printed).toContain(`Successfully packaged chart and saved it to: ${tgz}`);
      const args = ["-n", "tether", ...CONNECT_SETS];
      expect(await helmOk(["template", "tether-agent", tgz, ...args])).toBe(
        await helmOk(["template", "tether-agent", CHART_DIR, ...args]),
      );
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it("says which value is missing", async () => {
    const noPsk = await helm([
      "template",
      "t",
      CHART_DIR,
      "--set",
      "platform.url=https://p.test,cluster.name=a",
    ]);
    expect(noPsk.code).not.toBe(0);
    expect(noPsk.stderr).toContain(
      "cluster.psk is required (or name a Secret that holds it in existingSecret)",
    );
    const noUrl = await helm(["template", "t", CHART_DIR, "--set", "cluster.name=a,cluster.psk=x"]);
    expect(noUrl.code).not.toBe(0);
    expect(noUrl.stderr).toContain("platform.url is required");
  });

  it("refuses values that break values.schema.json, and allows unknown top-level keys", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["--set", "relay.mode=sometimes"], /relay\/mode|relay\.mode/],
      [["--set", "mtu=9000"], /mtu/],
      [["--set", "logLevel=loud"], /logLevel/],
      [["--set-json", 'stunServers=["no-port"]'], /stunServers/],
      [["--set-json", 'expose=[{"port":0,"target":"svc:443"}]'], /expose/],
      [["--set-json", 'forward=[{"listen":"127.0.0.1:6443","to":"Bad_Name:443"}]'], /forward/],
      [["--set", "platform.url=ftp://p.test"], /platform/],
      [["--set", "image.pullPolicy=Sometimes"], /pullPolicy/],
    ];
    for (const [args, field] of cases) {
      const r = await helm(["template", "t", CHART_DIR, ...CONNECT_SETS, ...args]);
      expect(r.code, `${args.join(" ")} should be refused`).not.toBe(0);
      expect(r.stderr).toContain("values don't meet the specifications of the schema");
      expect(r.stderr).toMatch(field);
    }
    const ok = await render([
      "--set",
      "peering=hub",
      "--set",
      "relay.mode=never",
      "--set",
      "mtu=1280",
      "--set-json",
      'forward=[{"listen":6443,"to":"staging:443"},{"listen":"127.0.0.1:8080","to":"100.64.0.3:80"}]',
      "--set-json",
      'expose=[{"port":443,"target":"kubernetes.default.svc:443"}]',
      "--set-json",
      'stunServers=["stun.example.test:3478"]',
    ]);
    const values = pick(ok, "ConfigMap") as K8sObject & { data: Record<string, string> };
    expect(parse(values.data["values.yaml"]!)).toEqual({
      relay: { mode: "never" },
      mtu: 1280,
      forward: [
        { listen: 6443, to: "staging:443" },
        { listen: "127.0.0.1:8080", to: "100.64.0.3:80" },
      ],
      expose: [{ port: 443, target: "kubernetes.default.svc:443" }],
      stunServers: ["stun.example.test:3478"],
    });
  });
});
