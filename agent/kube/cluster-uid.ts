import { type KubeApiClient, kubeError } from "./api-client.ts";

/**
 * The physical cluster's id: kube-system's metadata.uid. It is set when the cluster is created and
 * survives upgrades, so the platform can tell a second cluster under the same name from a restart.
 * The chart grants exactly `get` on this one namespace.
 */
export async function readClusterUid(client: KubeApiClient): Promise<string> {
  const path = "/api/v1/namespaces/kube-system";
  const res = await client.call("GET", path);
  if (res.status === 403) {
    const err = kubeError("GET", path, res);
    err.message = `${err.message} (the agent's ClusterRole must allow get on namespaces/kube-system)`;
    throw err;
  }
  if (res.status !== 200) throw kubeError("GET", path, res);
  const uid = (res.body as { metadata?: { uid?: unknown } }).metadata?.uid;
  if (typeof uid !== "string" || uid === "")
    throw new Error(`GET ${path}: the namespace has no metadata.uid`);
  return uid;
}
