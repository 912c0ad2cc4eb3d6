import { readClusterUid } from "./cluster-uid.ts";
import { type DetectOptions, detectInCluster, inClusterClient } from "./in-cluster.ts";
import { kubeSecretStateStore, type StateStore } from "./secret-state-store.ts";

/** The chart passes the state Secret's name in this env var; the default is the chart's default name. */
export const STATE_SECRET_ENV = "TETHER_STATE_SECRET";
export const DEFAULT_STATE_SECRET = "tether-agent-state";

export interface InClusterIdentity {
  /** Where the agent keeps its identity: the Secret, instead of the state file. */
  store: StateStore;
  /** kube-system's metadata.uid, registered so the platform can refuse a second physical cluster. */
  clusterUid: string;
  namespace: string;
}

/**
 * What the agent needs to run in a pod, in one call: null outside a pod, otherwise the Secret
 * state store and the cluster UID. Reading the UID here, at start, fails fast with the RBAC hint
 * when the ClusterRole is missing, rather than after registration.
 */
export async function inClusterIdentity(options: DetectOptions = {}): Promise<InClusterIdentity | null> {
  const config = await detectInCluster(options);
  if (config === null) return null;
  const env = options.env ?? process.env;
  const name = env[STATE_SECRET_ENV]?.trim() || DEFAULT_STATE_SECRET;
  if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(name)) {
    throw new Error(`${STATE_SECRET_ENV} is not a Secret name: "${name}"`);
  }
  const client = inClusterClient(config);
  return {
    store: kubeSecretStateStore({ client, namespace: config.namespace, name }),
    clusterUid: await readClusterUid(client),
    namespace: config.namespace,
  };
}
