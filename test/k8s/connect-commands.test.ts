import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import type { CreateClusterResponse } from "../../protocol/api.ts";
import { type Platform, startPlatform } from "../helpers/platform.ts";
import { runTether } from "../helpers/run-cli.ts";
import { applyObjects } from "./apply.ts";
import { type ControlPlane, startControlPlane } from "./control-plane.ts";
import { helmOk, type K8sObject, parseManifests } from "./helm.ts";
import { kubectlGet } from "./kubectl-get.ts";
import { runPrinted as runPrintedCommand } from "./run-printed.ts";

const NS = "tether";
const SELECTOR = "app.kubernetes.io/name=tether-agent";

interface Deployment {
  spec: {
    template: {
      spec: {
        containers: Array<{
          args: string[];
          env: Array<{ name: string; valueFrom?: unknown; value?: string }>;
        }>;
      };
    };
  };
}

/**
 * The connect commands exactly as `tether cluster add --json` prints them, run by /bin/sh with the
 * real helm (the only substitutions: `helm` found on PATH is the one test/k8s/tools.sh built, and
 * KUBECONFIG points at a real kube-apiserver) against a real local platform that serves the chart
 * and the values URL. kubectl is not among the tools, so the kubectl form's `helm template` half runs
 * for real and its output is applied through the API server as `kubectl apply` would.
 */
describe("the printed connect commands, run as printed", () => {
  let platform: Platform;
  let cp: ControlPlane;
  let workDir: string;
  let created: CreateClusterResponse;

  const runPrinted = (command: string) => runPrintedCommand(command, { workDir, kubeconfig: cp.kubeconfig });

  async function platformGet(path: string, token: string): Promise<{ status: number; text: string }> {
    const res = await fetch(`${platform.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, text: await res.text() };
  }

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), "tether-k8s-connect-"));
    cp = await startControlPlane();
    platform = await startPlatform();
  }, 900_000);
  afterAll(async () => {
    await platform?.stop();
    await cp?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  }, 60_000);

  it("tether cluster add --json prints Helm, kubectl and CLI forms for the platform's chart", async () => {
    const admin = ["--platform", platform.url, "--access-key", platform.adminKey];
    const values = "logLevel: debug\nstunServers: ['127.0.0.1:3478']\n";
    const set = await runTether([...admin, "values", "set"], { stdin: values });
    expect(set.code, set.stderr).toBe(0);
    const add = await runTether([
      ...admin,
      "--json",
      "cluster",
      "add",
      "staging",
      "--display-name",
      "Staging",
    ]);
    expect(add.code, add.stderr).toBe(0);
    created = JSON.parse(add.stdout) as CreateClusterResponse;
    const annotate = await runTether([...admin, "values", "set", "staging"], { stdin: "mtu: 1380\n" });
    expect(annotate.code, annotate.stderr).toBe(0);
    expect(
      created.connect.helm.startsWith(`helm upgrade --install tether-agent ${platform.url}/charts/`),
    ).toBe(true);
  });

  it("the Helm command installs the served chart into the API server with the platform's values", async () => {
    const out = await runPrinted(created.connect.helm);
    expect(out).toContain("STATUS: deployed");
    expect(out).toContain(`kubectl get pods -n ${NS} -l ${SELECTOR}`);

    const deploy = (await cp.admin.json(
      "GET",
      `/apis/apps/v1/namespaces/${NS}/deployments/tether-agent`,
    )) as Deployment;
    const container = deploy.spec.template.spec.containers[0]!;
    expect(container.args.slice(0, 6)).toEqual([
      "agent",
      "up",
      "--platform",
      platform.url,
      "--cluster",
      "staging",
    ]);
    // logLevel came from the platform's agentValues through the values URL.
    expect(container.args.slice(-2)).toEqual(["--log-level", "debug"]);
    expect(container.env.find((e) => e.name === "TETHER_PSK")?.valueFrom).toEqual({
      secretKeyRef: { name: "tether-agent-psk", key: "psk" },
    });
    const psk = (await cp.admin.json("GET", `/api/v1/namespaces/${NS}/secrets/tether-agent-psk`)) as {
      data: { psk: string };
    };
    expect(Buffer.from(psk.data.psk, "base64").toString()).toBe(created.psk);
    const cm = (await cp.admin.json("GET", `/api/v1/namespaces/${NS}/configmaps/tether-agent-values`)) as {
      data: { "values.yaml": string };
    };
    // Both layers of the effective values: the platform's agentValues and the cluster's annotation.
    expect(parseYaml(cm.data["values.yaml"])).toEqual({
      logLevel: "debug",
      mtu: 1380,
      stunServers: ["127.0.0.1:3478"],
    });
    console.log(await kubectlGet(cp.admin, NS, SELECTOR));
  });

  it("the printed values key reads its cluster's values and gets 403 on another cluster", async () => {
    const own = await platformGet("/clusters/staging", created.valuesKey);
    expect(own).toEqual({
      status: 200,
      text: (await platformGet("/clusters/staging", platform.adminKey)).text,
    });
    const other = await runTether([
      "--platform",
      platform.url,
      "--access-key",
      platform.adminKey,
      "cluster",
      "add",
      "other",
      "--display-name",
      "Other",
    ]);
    expect(other.code, other.stderr).toBe(0);
    const denied = await platformGet("/clusters/other", created.valuesKey);
    expect(denied.status).toBe(403);
    expect(JSON.parse(denied.text)).toMatchObject({ error: { code: "insufficient_scope" } });
    expect((await platformGet("/api/v1/clusters", created.valuesKey)).status).toBe(403);
  });

  it("the kubectl form renders the same chart: applied through the API server, the same objects", async () => {
    const [namespaceLine, applyLine] = created.connect.kubectl.split("\n");
    expect(namespaceLine).toBe(
      `kubectl create namespace ${NS} --dry-run=client -o yaml | kubectl apply -f -`,
    );
    const pipe = ` | kubectl apply -n ${NS} -f -`;
    expect(applyLine?.endsWith(pipe)).toBe(true);
    const render = applyLine!.slice(0, -pipe.length);
    expect(render.startsWith(`helm template tether-agent ${created.connect.chartUrl} -n ${NS} `)).toBe(true);

    const helmDeploy = (await cp.admin.json(
      "GET",
      `/apis/apps/v1/namespaces/${NS}/deployments/tether-agent`,
    )) as Deployment;
    const helmValues = (await cp.admin.json(
      "GET",
      `/api/v1/namespaces/${NS}/configmaps/tether-agent-values`,
    )) as {
      data: unknown;
    };
    // The Helm release goes (its state Secret stays, by the chart's keep policy), then the kubectl form.
    await helmOk(["uninstall", "tether-agent", "-n", NS], { kubeconfig: cp.kubeconfig });
    expect(
      (await cp.admin.call("GET", `/apis/apps/v1/namespaces/${NS}/deployments/tether-agent`)).status,
    ).toBe(404);

    const objects: K8sObject[] = [
      // What `kubectl create namespace tether --dry-run=client -o yaml` prints.
      { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } },
      ...parseManifests(await runPrinted(render)),
    ];
    const applied = await applyObjects(cp.admin, NS, objects);
    console.log(applied.join("\n"));
    expect(applied).toContain("deployment/tether-agent created");
    expect(applied).toContain("secret/tether-agent-state configured");

    const deploy = (await cp.admin.json(
      "GET",
      `/apis/apps/v1/namespaces/${NS}/deployments/tether-agent`,
    )) as Deployment;
    expect(deploy.spec.template.spec).toEqual(helmDeploy.spec.template.spec);
    const values = (await cp.admin.json(
      "GET",
      `/api/v1/namespaces/${NS}/configmaps/tether-agent-values`,
    )) as {
      data: unknown;
    };
    expect(values.data).toEqual(helmValues.data);
    const psk = (await cp.admin.json("GET", `/api/v1/namespaces/${NS}/secrets/tether-agent-psk`)) as {
      data: { psk: string };
    };
    expect(Buffer.from(psk.data.psk, "base64").toString()).toBe(created.psk);
  });

  it("the served chart passes helm show chart, helm lint on the download, and helm template by URL", async () => {
    const shown = parseYaml(await helmOk(["show", "chart", created.connect.chartUrl])) as {
      name: string;
      version: string;
    };
    expect(shown).toMatchObject({ name: "tether-agent", version: "0.1.0" });
    const res = await fetch(created.connect.chartUrl);
    expect(res.status).toBe(200);
    const tgz = join(workDir, "tether-agent-0.1.0.tgz");
    await writeFile(tgz, Buffer.from(await res.arrayBuffer()));
    const lint = await helmOk([
      "lint",
      tgz,
      "--set",
      "platform.url=https://p.example",
      "--set",
      "cluster.name=c",
      "--set",
      "cluster.psk=tpsk_x",
    ]);
    expect(lint).toContain("1 chart(s) linted, 0 chart(s) failed");
    const rendered = parseManifests(
      await helmOk([
        "template",
        "t",
        created.connect.chartUrl,
        "--set",
        "platform.url=https://p.example",
        "--set",
        "cluster.name=c",
        "--set",
        "cluster.psk=tpsk_x",
      ]),
    );
    expect(rendered.map((o) => o.kind).sort()).toContain("Deployment");
    // The repository index: helm pulls the chart by name through it.
    const pulled = await helmOk([
      "pull",
      "tether-agent",
      "--repo",
      `${platform.url}/charts`,
      "--version",
      "0.1.0",
      "-d",
      workDir,
    ]);
    expect(pulled).toBe("");
  });
});
