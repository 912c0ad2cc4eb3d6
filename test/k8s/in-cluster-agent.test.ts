/**
 * The agent as the chart's pod runs it, against a real kube-apiserver and a local platform:
 *
 * - the chart is installed by the Helm command `tether cluster add --json` printed, run as printed
 *   with the real helm (the chart and the values come from the platform's URLs);
 * - the agent runs the bundle (dist/tether.mjs, what the image carries) with exactly the container
 *   args and env of the installed Deployment (the PSK from the chart's Secret), inside a mount
 *   namespace where /var/run/secrets/kubernetes.io/serviceaccount holds a token of the chart's
 *   ServiceAccount, the cluster CA and the namespace, as the kubelet would mount them;
 * - so it finds itself in a pod, keeps its identity in the chart's Secret, registers kube-system's uid,
 *   and a restart (a fresh, empty state directory, as a rescheduled pod has) is the same peer.
 *
 * There is no kubelet: the process stands in for the container. Needs root (a mount namespace).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreateClusterResponse } from "../../protocol/api.ts";
import { getCluster } from "../helpers/admin-api.ts";
import { type Platform, PROJECT_ROOT, startPlatform } from "../helpers/platform.ts";
import { runTether } from "../helpers/run-cli.ts";
import { type ControlPlane, requestServiceAccountToken, startControlPlane } from "./control-plane.ts";

import { kubectlGet } from "./kubectl-get.ts";
import { runPrinted } from "./run-printed.ts";

const NS = "tether";
const SA_MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount";
const BUNDLE = join(PROJECT_ROOT, "dist", "tether.mjs");

interface Container {
  args: string[];
  env: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
}

interface PodProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

describe("the agent in a pod, against a real API server", () => {
  let platform: Platform;
  let cp: ControlPlane;
  let workDir: string;
  let created: CreateClusterResponse;
  let container: Container;
  let podEnv: Record<string, string>;
  const pods: PodProcess[] = [];

  async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}\n--- agent output ---\n${pods.at(-1)?.output()}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Starts the container's command in a mount namespace that has the pod's service-account files. */
  async function startPod(): Promise<PodProcess> {
    const saSource = await mkdtemp(join(workDir, "sa-"));
    await writeFile(join(saSource, "token"), await requestServiceAccountToken(cp.admin, NS, "tether-agent"));
    await writeFile(join(saSource, "ca.crt"), cp.caPem);
    await writeFile(join(saSource, "namespace"), NS);
    // A private /run (so /var/run/tether, the chart's emptyDir, starts empty) with the service
    // account where the kubelet puts it; nothing of this is visible outside the namespace.
    const script = [
      "set -e",
      "mount -t tmpfs -o mode=0755 tmpfs /run",
      `mkdir -p ${SA_MOUNT} /run/tether`,
      `cp "$SA_SOURCE"/token "$SA_SOURCE"/ca.crt "$SA_SOURCE"/namespace ${SA_MOUNT}/`,
      'exec "$@"',
    ].join("\n");
    const child = spawn(
      "unshare",
      [
        "--mount",
        "--propagation",
        "private",
        "--",
        "bash",
        "-c",
        script,
        "pod",
        process.execPath,
        BUNDLE,
        ...container.args,
      ],
      {
        cwd: workDir,
        stdio: ["ignore", "pipe", "pipe"],
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: workDir, SA_SOURCE: saSource, ...podEnv },
      },
    );
    let output = "";
    child.stdout?.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr?.on("data", (d: Buffer) => {
      output += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const pod = { child, output: () => output, exited };
    pods.push(pod);
    return pod;
  }

  async function stopPod(pod: PodProcess): Promise<number | null> {
    pod.child.kill("SIGTERM");
    const timer = setTimeout(() => pod.child.kill("SIGKILL"), 10_000);
    const code = await pod.exited;
    clearTimeout(timer);
    return code;
  }

  async function stateSecret(): Promise<{ meshIp: string; privateKey: string; clusterUid: string } | null> {
    const secret = (await cp.admin.json("GET", `/api/v1/namespaces/${NS}/secrets/tether-agent-state`)) as {
      data?: Record<string, string>;
    };
    const encoded = secret.data?.["agent-state.json"];
    return encoded ? JSON.parse(Buffer.from(encoded, "base64").toString("utf8")) : null;
  }

  beforeAll(async () => {
    if (process.getuid?.() !== 0)
      throw new Error("this test needs root: it runs the agent in a mount namespace");
    workDir = await mkdtemp(join(tmpdir(), "tether-k8s-pod-"));
    // The bundle is what the image runs; build it from these sources.
    execFileSync("npm", ["run", "--silent", "build"], { cwd: PROJECT_ROOT, stdio: "inherit" });
    [cp, platform] = await Promise.all([startControlPlane(), startPlatform()]);
  }, 900_000);

  afterAll(async () => {
    for (const pod of pods) if (pod.child.exitCode === null) await stopPod(pod);
    await platform?.stop();
    await cp?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  }, 60_000);

  it("installs the chart with the Helm command that `tether cluster add --json` printed", async () => {
    const add = await runTether([
      ...["--platform", platform.url, "--access-key", platform.adminKey],
      "--json",
      "cluster",
      "add",
      "edge",
      "--display-name",
      "Edge",
    ]);
    expect(add.code, add.stderr).toBe(0);
    created = JSON.parse(add.stdout) as CreateClusterResponse;
    const out = await runPrinted(created.connect.helm, { workDir, kubeconfig: cp.kubeconfig });
    expect(out).toContain("STATUS: deployed");
    expect(out).toContain(`kubectl get pods -n ${NS} -l app.kubernetes.io/name=tether-agent`);

    const deployment = (await cp.admin.json(
      "GET",
      `/apis/apps/v1/namespaces/${NS}/deployments/tether-agent`,
    )) as {
      spec: { template: { spec: { containers: Container[] } } };
    };
    const found = deployment.spec.template.spec.containers[0];
    if (!found) throw new Error("the Deployment has no container");
    container = found;
    podEnv = {
      // What the kubelet injects into every container for the API server's Service.
      KUBERNETES_SERVICE_HOST: "127.0.0.1",
      KUBERNETES_SERVICE_PORT: new URL(cp.server).port,
    };
    for (const e of container.env) {
      const ref = e.valueFrom?.secretKeyRef;
      if (ref) {
        const secret = (await cp.admin.json("GET", `/api/v1/namespaces/${NS}/secrets/${ref.name}`)) as {
          data: Record<string, string>;
        };
        podEnv[e.name] = Buffer.from(secret.data[ref.key] ?? "", "base64").toString("utf8");
      } else if (e.value !== undefined) {
        podEnv[e.name] = e.value;
      }
    }
    expect(podEnv.TETHER_PSK).toBe(created.psk);
    expect(container.args).not.toContain(created.psk);
    expect(await stateSecret()).toBeNull();
  });

  it("runs as the pod would: the cluster turns Connected and its identity is in the Secret", async () => {
    const pod = await startPod();
    const cluster = await waitFor("the cluster online", async () => {
      const c = await getCluster(platform, "edge");
      return c.status.online ? c : undefined;
    });
    // Initialized and online is what the UI and the CLI show as Connected.
    expect(cluster.status.phase).toBe("Initialized");
    const state = await stateSecret();
    const kubeSystem = (await cp.admin.json("GET", "/api/v1/namespaces/kube-system")) as {
      metadata: { uid: string };
    };
    expect(state?.meshIp).toBe(cluster.meshIp);
    expect(state?.clusterUid).toBe(kubeSystem.metadata.uid);
    expect(pod.output()).toContain("running in a Kubernetes pod");
    // The chart's probes: the agent serves them on the port its args name, once it is up (the
    // platform can see it online a moment before).
    await waitFor("the pod's readiness probe", async () => {
      const res = await fetch("http://127.0.0.1:8081/readyz").catch(() => null);
      return res?.status === 200 ? true : undefined;
    });

    console.log(
      `kubectl get deploy,sa,secret,role -n ${NS} -l app.kubernetes.io/name=tether-agent\n` +
        (await kubectlGet(cp.admin, NS, "app.kubernetes.io/name=tether-agent")),
    );
    expect(await stopPod(pod)).toBe(0);
  });

  it("a restarted pod, with an empty state directory, is the same peer", async () => {
    const before = await stateSecret();
    const pod = await startPod();
    // The cluster still counts as online from the last pod, so wait for this one's readiness probe.
    await waitFor("the new pod ready", async () => {
      const res = await fetch("http://127.0.0.1:8081/readyz").catch(() => null);
      return res?.status === 200 ? true : undefined;
    });
    expect((await getCluster(platform, "edge")).status.online).toBe(true);
    const after = await stateSecret();
    expect(after?.privateKey).toBe(before?.privateKey);
    expect(after?.meshIp).toBe(before?.meshIp);
    // Reused, not registered again: the log says which.
    expect(pod.output()).not.toContain("registered with the platform");
    expect(await stopPod(pod)).toBe(0);
  });
});
