import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentState } from "../../agent/control/state-file.ts";
import { KubeApiError } from "../../agent/kube/api-client.ts";
import { readClusterUid } from "../../agent/kube/cluster-uid.ts";
import { detectInCluster, inClusterClient } from "../../agent/kube/in-cluster.ts";
import { inClusterIdentity } from "../../agent/kube/in-cluster-identity.ts";
import { kubeSecretStateStore, STATE_SECRET_KEY } from "../../agent/kube/secret-state-store.ts";
import { type ControlPlane, requestServiceAccountToken, startControlPlane } from "./control-plane.ts";
import { CHART_DIR, CONNECT_SETS, helmOk } from "./helm.ts";
import { kubectlGet } from "./kubectl-get.ts";

const NS = "tether";
const SELECTOR = "app.kubernetes.io/name=tether-agent";

const STATE: AgentState = {
  version: 1,
  platform: "https://platform.example.test",
  cluster: "staging",
  privateKey: "Y2x1c3Rlci1wcml2YXRlLWtleS0zMi1ieXRlcy1sb25nIQ==",
  credential: "tac_first-credential",
  meshIp: "100.64.0.2",
  meshPrefix: "100.64.0.0/10",
  clusterUid: "to-be-replaced",
};

/**
 * The chart installed by the real helm into a real kube-apiserver; the agent's side then runs as
 * the pod would: a service-account directory with a token of the chart's ServiceAccount (from the
 * TokenRequest API, as the kubelet projects it) and KUBERNETES_SERVICE_HOST/PORT.
 */
describe("the chart on a real API server, and the agent's in-cluster identity", () => {
  let cp: ControlPlane;
  let saDir: string;

  const install = (extra: string[] = []) =>
    helmOk(
      [
        "upgrade",
        "--install",
        "tether-agent",
        CHART_DIR,
        "-n",
        NS,
        "--create-namespace",
        "--wait=false",
        ...CONNECT_SETS,
        ...extra,
      ],
      { kubeconfig: cp.kubeconfig },
    );

  /** What the agent in the pod would build: detection, then a client with the mounted token. */
  async function podClient() {
    const config = await detectInCluster({
      env: { KUBERNETES_SERVICE_HOST: "127.0.0.1", KUBERNETES_SERVICE_PORT: new URL(cp.server).port },
      serviceAccountDir: saDir,
    });
    if (config === null) throw new Error("not detected as in-cluster");
    return { config, client: inClusterClient(config) };
  }

  beforeAll(async () => {
    cp = await startControlPlane();
    saDir = await mkdtemp(join(tmpdir(), "tether-pod-sa-"));
  }, 900_000);
  afterAll(async () => {
    await cp?.stop();
    if (saDir) await rm(saDir, { recursive: true, force: true });
  });

  it("helm upgrade --install creates the objects, and prints the kubectl get pods line", async () => {
    const out = await install();
    expect(out).toContain("STATUS: deployed");
    expect(out).toContain(`kubectl get pods -n ${NS} -l ${SELECTOR}`);

    const deploy = (await cp.admin.json(
      "GET",
      `/apis/apps/v1/namespaces/${NS}/deployments/tether-agent`,
    )) as {
      spec: {
        template: { spec: { serviceAccountName: string; containers: Array<{ securityContext: unknown }> } };
      };
    };
    expect(deploy.spec.template.spec.serviceAccountName).toBe("tether-agent");
    expect(deploy.spec.template.spec.containers[0]!.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    });
    const role = (await cp.admin.json(
      "GET",
      `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/roles/tether-agent`,
    )) as {
      rules: unknown;
    };
    expect(role.rules).toEqual([
      {
        apiGroups: [""],
        resources: ["secrets"],
        resourceNames: ["tether-agent-state"],
        verbs: ["get", "update", "patch"],
      },
    ]);
    const clusterRole = (await cp.admin.json(
      "GET",
      "/apis/rbac.authorization.k8s.io/v1/clusterroles/tether-tether-agent",
    )) as { rules: unknown };
    expect(clusterRole.rules).toEqual([
      { apiGroups: [""], resources: ["namespaces"], resourceNames: ["kube-system"], verbs: ["get"] },
    ]);
    const psk = (await cp.admin.json("GET", `/api/v1/namespaces/${NS}/secrets/tether-agent-psk`)) as {
      data: Record<string, string>;
    };
    expect(Buffer.from(psk.data.psk!, "base64").toString()).toBe("tpsk_test-psk-value");

    const table = await kubectlGet(cp.admin, NS, SELECTOR);
    console.log(table);
    expect(table.split("\n").slice(1)).toEqual([
      "deployment.apps/tether-agent\t0/1",
      "serviceaccount/tether-agent",
      "secret/tether-agent-psk\tOpaque\t1",
      "secret/tether-agent-state\tOpaque\t0",
      "role.rbac.authorization.k8s.io/tether-agent",
    ]);

    const token = await requestServiceAccountToken(cp.admin, NS, "tether-agent");
    await writeFile(join(saDir, "token"), token);
    await writeFile(join(saDir, "ca.crt"), cp.caPem);
    await writeFile(join(saDir, "namespace"), NS);
  });

  it("reads the cluster UID from kube-system with the chart's ClusterRole", async () => {
    const { client } = await podClient();
    const kubeSystem = (await cp.admin.json("GET", "/api/v1/namespaces/kube-system")) as {
      metadata: { uid: string };
    };
    expect(await readClusterUid(client)).toBe(kubeSystem.metadata.uid);
  });

  it("keeps the identity in its Secret: a new store (a restarted pod) reads the same one", async () => {
    const { config, client } = await podClient();
    const store = kubeSecretStateStore({ client, namespace: config.namespace, name: "tether-agent-state" });
    expect(store.description).toBe("secret tether/tether-agent-state");
    expect(await store.load()).toBeNull(); // the chart's empty Secret
    const state = { ...STATE, clusterUid: await readClusterUid(client) };
    await store.save(state);

    const restarted = kubeSecretStateStore({
      client: (await podClient()).client,
      namespace: NS,
      name: "tether-agent-state",
    });
    expect(await restarted.load()).toEqual(state);
    await restarted.save({ ...state, credential: "tac_rotated" });
    expect(await store.load()).toEqual({ ...state, credential: "tac_rotated" });

    // Helm's labels and annotations stay on the Secret; the agent only adds its key.
    const secret = (await cp.admin.json("GET", `/api/v1/namespaces/${NS}/secrets/tether-agent-state`)) as {
      metadata: { labels: Record<string, string>; annotations: Record<string, string> };
      data: Record<string, string>;
    };
    expect(secret.metadata.labels["app.kubernetes.io/managed-by"]).toBe("Helm");
    expect(secret.metadata.annotations["helm.sh/resource-policy"]).toBe("keep");
    expect(Object.keys(secret.data)).toEqual([STATE_SECRET_KEY]);
  });

  it("saves safely when two writers race (resourceVersion conflicts are retried)", async () => {
    const a = kubeSecretStateStore({
      client: (await podClient()).client,
      namespace: NS,
      name: "tether-agent-state",
    });
    const b = kubeSecretStateStore({
      client: (await podClient()).client,
      namespace: NS,
      name: "tether-agent-state",
    });
    const base = (await a.load())!;
    const one = { ...base, credential: "tac_writer-one" };
    const two = { ...base, credential: "tac_writer-two" };
    await Promise.all([a.save(one), b.save(two), a.save(one), b.save(two)]);
    expect([one, two]).toContainEqual(await a.load());
    await a.save(base);
  });

  it("keeps the stored identity across helm upgrade and helm uninstall", async () => {
    const store = kubeSecretStateStore({
      client: (await podClient()).client,
      namespace: NS,
      name: "tether-agent-state",
    });
    const before = await store.load();
    expect(before).not.toBeNull();
    await install(["--set", "logLevel=debug"]);
    expect(await store.load()).toEqual(before);

    const out = await helmOk(["uninstall", "tether-agent", "-n", NS], { kubeconfig: cp.kubeconfig });
    expect(out).toContain("These resources were kept due to the resource policy");
    expect(
      (await cp.admin.call("GET", `/apis/apps/v1/namespaces/${NS}/deployments/tether-agent`)).status,
    ).toBe(404);
    // The Role, its binding and the ServiceAccount went with the release: the old token reads nothing
    // (403 while the API server still knows the account from its cache, 401 once it does not).
    const gone = await store.load().catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(KubeApiError);
    expect([401, 403]).toContain((gone as KubeApiError).status);
    // Reinstalling adopts the kept Secret, identity included.
    await install();
    const token = await requestServiceAccountToken(cp.admin, NS, "tether-agent");
    await writeFile(join(saDir, "token"), token);
    const again = kubeSecretStateStore({
      client: (await podClient()).client,
      namespace: NS,
      name: "tether-agent-state",
    });
    expect(await again.load()).toEqual(before);
  });

  it("gives the pod's agent its store and cluster UID in one call, with the chart's env", async () => {
    const kubeSystem = (await cp.admin.json("GET", "/api/v1/namespaces/kube-system")) as {
      metadata: { uid: string };
    };
    const identity = await inClusterIdentity({
      env: {
        KUBERNETES_SERVICE_HOST: "127.0.0.1",
        KUBERNETES_SERVICE_PORT: new URL(cp.server).port,
        TETHER_STATE_SECRET: "tether-agent-state",
      },
      serviceAccountDir: saDir,
    });
    expect(identity?.clusterUid).toBe(kubeSystem.metadata.uid);
    expect(identity?.namespace).toBe(NS);
    expect(identity?.store.description).toBe("secret tether/tether-agent-state");
    expect((await identity?.store.load())?.clusterUid).toBe(kubeSystem.metadata.uid);
  });

  it("gives the agent's token 403 on any other Secret, namespace or verb", async () => {
    const { client } = await podClient();
    const forbidden = [
      `/api/v1/namespaces/${NS}/secrets/tether-agent-psk`,
      `/api/v1/namespaces/${NS}/secrets`,
      "/api/v1/namespaces/kube-system/secrets",
      "/api/v1/namespaces/default/secrets/anything",
      "/api/v1/namespaces/default",
      "/api/v1/namespaces",
      `/api/v1/namespaces/${NS}/configmaps/tether-agent-values`,
    ];
    for (const path of forbidden) {
      const res = await client.call("GET", path);
      expect(res.status, path).toBe(403);
      expect((res.body as { reason: string }).reason).toBe("Forbidden");
      expect((res.body as { message: string }).message).toContain(
        "system:serviceaccount:tether:tether-agent",
      );
    }
    expect((await client.call("DELETE", `/api/v1/namespaces/${NS}/secrets/tether-agent-state`)).status).toBe(
      403,
    );

    const other = kubeSecretStateStore({ client, namespace: NS, name: "tether-agent-psk" });
    const err = await other.load().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).status).toBe(403);
    expect((err as Error).message).toContain("the agent may not get secret tether/tether-agent-psk");
    expect((err as Error).message).toContain("its Role must grant get, update and patch on that Secret");
  });

  it("says the Secret must come from the chart when it is missing (create is not granted)", async () => {
    const { client } = await podClient();
    const store = kubeSecretStateStore({ client, namespace: NS, name: "tether-agent-state" });
    const kept = await store.load();
    await cp.admin.json("DELETE", `/api/v1/namespaces/${NS}/secrets/tether-agent-state`);
    // get on a missing Secret is allowed by name (404), so load() reports no identity.
    expect(await store.load()).toBeNull();
    const err = await store.save(kept!).catch((e: unknown) => e);
    expect((err as KubeApiError).status).toBe(403);
    expect((err as Error).message).toContain(
      "secret tether/tether-agent-state does not exist and the agent may not create it (install the chart, which creates it)",
    );
    // helm upgrade puts the chart's Secret back, and the agent can save again.
    await install();
    await store.save(kept!);
    expect(await store.load()).toEqual(kept);
  });
});
