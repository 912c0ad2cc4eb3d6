import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inClusterIdentity } from "../../agent/kube/in-cluster-identity.ts";
import type { CreateClusterResponse } from "../../protocol/api.ts";
import { adminApi, getCluster } from "../helpers/admin-api.ts";
import { type AgentProcess, startAgent } from "../helpers/agent-process.ts";
import { type Platform, startPlatform } from "../helpers/platform.ts";
import { type ControlPlane, requestServiceAccountToken, startControlPlane } from "./control-plane.ts";
import { CHART_DIR, helmOk } from "./helm.ts";

/**
 * The platform's Helm values installed by the real helm into a real API server, and the cluster UID
 * that the chart's ServiceAccount reads from kube-system registered by a real agent process: the
 * cluster comes online, and a second physical cluster (another UID) under the same name is refused.
 * The agent runs as a process with --cluster-uid: its daemon does not read the UID itself yet.
 */
describe("the cluster UID from a real API server, registered with the platform", () => {
  let platform: Platform;
  let cp: ControlPlane;
  let workDir: string;
  let created: CreateClusterResponse;
  let uid: string;
  const agents: AgentProcess[] = [];

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), "tether-k8s-register-"));
    cp = await startControlPlane();
    platform = await startPlatform();
  }, 900_000);
  afterAll(async () => {
    for (const a of agents) await a.stop(true);
    await platform?.stop();
    await cp?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  }, 60_000);

  it("installs the chart with the Helm values the platform prints for a new cluster", async () => {
    const add = await adminApi<CreateClusterResponse>(platform, "/api/v1/clusters", {
      method: "POST",
      body: { displayName: "Staging", name: "staging" },
    });
    expect(add.status).toBe(201);
    created = add.body;
    const valuesFile = join(workDir, "connect-values.yaml");
    await writeFile(valuesFile, created.connect.helmValues);
    const out = await helmOk(
      [
        "upgrade",
        "--install",
        "tether-agent",
        CHART_DIR,
        "-n",
        "tether",
        "--create-namespace",
        "--values",
        valuesFile,
      ],
      { kubeconfig: cp.kubeconfig },
    );
    expect(out).toContain("STATUS: deployed");
    const psk = (await cp.admin.json("GET", "/api/v1/namespaces/tether/secrets/tether-agent-psk")) as {
      data: { psk: string };
    };
    expect(Buffer.from(psk.data.psk, "base64").toString()).toBe(created.psk);
  });

  it("registers kube-system's uid, read with the chart's ServiceAccount token, and comes online", async () => {
    const saDir = join(workDir, "serviceaccount");
    await rm(saDir, { recursive: true, force: true });
    await mkdir(saDir);
    await writeFile(
      join(saDir, "token"),
      await requestServiceAccountToken(cp.admin, "tether", "tether-agent"),
    );
    await writeFile(join(saDir, "ca.crt"), cp.caPem);
    await writeFile(join(saDir, "namespace"), "tether");
    const identity = await inClusterIdentity({
      env: { KUBERNETES_SERVICE_HOST: "127.0.0.1", KUBERNETES_SERVICE_PORT: new URL(cp.server).port },
      serviceAccountDir: saDir,
    });
    const kubeSystem = (await cp.admin.json("GET", "/api/v1/namespaces/kube-system")) as {
      metadata: { uid: string };
    };
    uid = identity!.clusterUid;
    expect(uid).toBe(kubeSystem.metadata.uid);

    const agent = await startAgent({
      platform: platform.url,
      cluster: "staging",
      psk: created.psk,
      args: ["--cluster-uid", uid],
    });
    agents.push(agent);
    const deadline = Date.now() + 30_000;
    let cluster = await getCluster(platform, "staging");
    while (!cluster.status.online && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      cluster = await getCluster(platform, "staging");
    }
    expect(cluster.status.online).toBe(true);
  });

  it("refuses a second physical cluster (another kube-system uid) under the same name, saying why", async () => {
    const other = startAgent({
      platform: platform.url,
      cluster: "staging",
      psk: created.psk,
      // In the work dir: a refused agent never returns a handle that could remove its state.
      stateDir: join(workDir, "other-cluster-agent"),
      args: ["--cluster-uid", "0b3c1e8e-5d1f-4a8e-9c57-000000000002"],
    });
    const err = await other.then(
      (a) => {
        agents.push(a);
        return null;
      },
      (e: unknown) => e as Error,
    );
    expect(err?.message).toContain(
      'Cluster "staging" is already registered by a different physical cluster (cluster UID mismatch)',
    );
    const status = (await getCluster(platform, "staging")).status;
    expect(status.online).toBe(true);
    // The admin sees it in the cluster's status, not only the refused agent.
    expect(status.reason).toBe("DuplicateCluster");
    expect(status.message).toContain("cluster UID 0b3c1e8e-5d1f-4a8e-9c57-000000000002");
  });
});
