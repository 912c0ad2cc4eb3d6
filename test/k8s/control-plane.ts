/**
 * A real Kubernetes control plane for tests, as envtest runs one: etcd and kube-apiserver (built
 * from their pinned Go modules by test/k8s/tools.sh) on free loopback ports, with certificates and
 * a service-account signing key made for the run, RBAC authorization, and an admin kubeconfig for
 * helm. stop() kills both processes and removes the temp dir; a failed start cleans up the same way.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeApiClient } from "../../agent/kube/api-client.ts";
import { freePort } from "../helpers/free-port.ts";
import { goTool } from "../helpers/go-tools.ts";
import { type ControlPlaneCerts, makeControlPlaneCerts, writeKubeconfig } from "./certs.ts";

export interface ControlPlane {
  /** https://127.0.0.1:PORT */
  server: string;
  /** Admin kubeconfig (client certificate in system:masters). */
  kubeconfig: string;
  /** PEM of the cluster CA, as a pod finds it in its service account's ca.crt. */
  caPem: string;
  /** An API client authenticated as the admin. */
  admin: KubeApiClient;
  dir: string;
  /** The API server's log (for failure messages). */
  apiserverLog: string;
  stop(): Promise<void>;
}

export const SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local";
const READY_TIMEOUT_MS = 120_000;

function startProcess(bin: string, args: string[], logFile: string): ChildProcess {
  const log = createWriteStream(logFile);
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return child;
}

async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const graceful = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
  if (!graceful) {
    child.kill("SIGKILL");
    await exited;
  }
}

async function tail(file: string): Promise<string> {
  const text = await readFile(file, "utf8").catch(() => "");
  return text.split("\n").slice(-25).join("\n");
}

/** Polls `probe` until it returns true; fails early if `child` exits, and after the deadline. */
async function waitFor(
  what: string,
  child: ChildProcess,
  logFile: string,
  probe: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `${what} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${await tail(logFile)}`,
      );
    }
    if (await probe().catch(() => false)) return;
    await sleep(250);
  }
  throw new Error(`${what} was not ready in ${READY_TIMEOUT_MS} ms:\n${await tail(logFile)}`);
}

export async function startControlPlane(): Promise<ControlPlane> {
  const dir = await mkdtemp(join(tmpdir(), "tether-k8s-"));
  let etcd: ChildProcess | undefined;
  let apiserver: ChildProcess | undefined;
  const stop = async () => {
    await stopProcess(apiserver);
    await stopProcess(etcd);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const certs: ControlPlaneCerts = await makeControlPlaneCerts(dir);
    const [etcdClientPort, etcdPeerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
    const etcdPeer = `http://127.0.0.1:${etcdPeerPort}`;
    await mkdir(join(dir, "etcd"), { mode: 0o700 });
    const etcdLog = join(dir, "etcd.log");
    etcd = startProcess(
      goTool("etcd", "etcd"),
      [
        "--name=test",
        `--data-dir=${join(dir, "etcd")}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${etcdPeer}`,
        `--initial-advertise-peer-urls=${etcdPeer}`,
        `--initial-cluster=test=${etcdPeer}`,
        // A test cluster's data dies with the run; skipping fsync keeps a loaded CI box fast.
        "--unsafe-no-fsync",
        "--log-level=warn",
      ],
      etcdLog,
    );
    await waitFor("etcd", etcd, etcdLog, async () => {
      const res = await fetch(`${etcdUrl}/health`, { signal: AbortSignal.timeout(2_000) });
      return res.ok;
    });

    const server = `https://127.0.0.1:${apiPort}`;
    const apiserverLog = join(dir, "kube-apiserver.log");
    apiserver = startProcess(
      goTool("kube-apiserver", "kube-apiserver"),
      [
        `--etcd-servers=${etcdUrl}`,
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        `--secure-port=${apiPort}`,
        `--cert-dir=${join(dir, "apiserver-certs")}`,
        `--tls-cert-file=${certs.servingCert}`,
        `--tls-private-key-file=${certs.servingKey}`,
        `--client-ca-file=${certs.caCert}`,
        `--service-account-key-file=${certs.serviceAccountPub}`,
        `--service-account-signing-key-file=${certs.serviceAccountKey}`,
        `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
        "--authorization-mode=RBAC",
        // An address range for Service objects only; nothing is routed to it.
        "--service-cluster-ip-range=10.0.0.0/24",
        "--endpoint-reconciler-type=none",
        "--profiling=false",
        "--v=0",
      ],
      apiserverLog,
    );
    const caPem = await readFile(certs.caCert, "utf8");
    const admin = new KubeApiClient({
      server,
      ca: caPem,
      cert: await readFile(certs.adminCert, "utf8"),
      key: await readFile(certs.adminKey, "utf8"),
    });
    await waitFor("kube-apiserver", apiserver, apiserverLog, async () => {
      const res = await admin.call("GET", "/readyz");
      if (res.status !== 200) return false;
      // The system namespaces appear shortly after /readyz; the agent reads kube-system's uid.
      return (await admin.call("GET", "/api/v1/namespaces/kube-system")).status === 200;
    });
    const kubeconfig = join(dir, "kubeconfig");
    await writeKubeconfig(kubeconfig, server, certs);
    return { server, kubeconfig, caPem, admin, dir, apiserverLog, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * A token of the ServiceAccount NS/NAME from the TokenRequest API, as the kubelet projects into
 * the pod (audience: the issuer, the API server's default).
 */
export async function requestServiceAccountToken(
  admin: KubeApiClient,
  namespace: string,
  name: string,
  expirationSeconds = 3600,
): Promise<string> {
  const body = (await admin.json("POST", `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
    apiVersion: "authentication.k8s.io/v1",
    kind: "TokenRequest",
    spec: { expirationSeconds },
  })) as { status?: { token?: unknown } };
  const token = body.status?.token;
  if (typeof token !== "string" || token === "")
    throw new Error(`TokenRequest for ${namespace}/${name} returned no token`);
  return token;
}
