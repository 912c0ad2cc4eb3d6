import { access, readFile } from "node:fs/promises";
import { join } from "node:path";
import { KubeApiClient } from "./api-client.ts";

/**
 * Detects that the agent runs in a pod and gathers what it needs to call the API server: the
 * service host and port from the kubelet's env, and the service account's token, CA and namespace
 * from the mounted directory. Both the env and the directory must be there: either alone is a
 * half-configured pod (automountServiceAccountToken: false, or a copied env), not in-cluster mode.
 */

export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export interface InClusterConfig {
  server: string;
  namespace: string;
  ca: string;
  tokenFile: string;
}

export interface DetectOptions {
  env?: Record<string, string | undefined>;
  serviceAccountDir?: string;
}

export class InClusterError extends Error {}

/** null when not in a pod; throws InClusterError when the pod's service account files are unusable. */
export async function detectInCluster(options: DetectOptions = {}): Promise<InClusterConfig | null> {
  const env = options.env ?? process.env;
  const dir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  const tokenFile = join(dir, "token");
  if (!host || !port) return null;
  try {
    await access(tokenFile);
  } catch {
    return null;
  }
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    throw new InClusterError(`KUBERNETES_SERVICE_PORT is not a port: "${port}"`);
  }
  const read = async (name: string): Promise<string> => {
    try {
      return await readFile(join(dir, name), "utf8");
    } catch (e) {
      throw new InClusterError(
        `cannot read the service account's ${name} in ${dir}: ${(e as Error).message}`,
      );
    }
  };
  const [ca, namespace] = await Promise.all([read("ca.crt"), read("namespace")]);
  const ns = namespace.trim();
  if (ns === "") throw new InClusterError(`${join(dir, "namespace")} is empty`);
  // An IPv6 service host needs brackets in a URL.
  const hostPart = host.includes(":") ? `[${host}]` : host;
  return { server: `https://${hostPart}:${port}`, namespace: ns, ca, tokenFile };
}

/** An API client that authenticates as the pod's service account. */
export function inClusterClient(config: InClusterConfig): KubeApiClient {
  return new KubeApiClient({
    server: config.server,
    ca: config.ca,
    token: async () => {
      const token = (await readFile(config.tokenFile, "utf8")).trim();
      if (token === "") throw new InClusterError(`${config.tokenFile} is empty`);
      return token;
    },
  });
}
