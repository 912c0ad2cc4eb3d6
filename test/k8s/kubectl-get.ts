/**
 * What `kubectl get deploy,sa,secret,role -n NS -l SELECTOR` prints, read through the API with the
 * admin client (kubectl is not among the tools), so a test log shows the installed objects.
 */
import type { KubeApiClient } from "../../agent/kube/api-client.ts";

const KINDS: Array<{ prefix: string; path: (ns: string) => string; columns: (o: Item) => string[] }> = [
  {
    prefix: "deployment.apps",
    path: (ns) => `/apis/apps/v1/namespaces/${ns}/deployments`,
    columns: (o) => [`${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`],
  },
  { prefix: "serviceaccount", path: (ns) => `/api/v1/namespaces/${ns}/serviceaccounts`, columns: () => [] },
  {
    prefix: "secret",
    path: (ns) => `/api/v1/namespaces/${ns}/secrets`,
    columns: (o) => [o.type ?? "", String(Object.keys(o.data ?? {}).length)],
  },
  {
    prefix: "role.rbac.authorization.k8s.io",
    path: (ns) => `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`,
    columns: () => [],
  },
];

interface Item {
  metadata: { name: string; creationTimestamp?: string };
  spec?: { replicas?: number };
  status?: { readyReplicas?: number };
  type?: string;
  data?: Record<string, string>;
}

export async function kubectlGet(admin: KubeApiClient, namespace: string, selector: string): Promise<string> {
  const lines = [`$ kubectl get deploy,sa,secret,role -n ${namespace} -l ${selector}`];
  for (const kind of KINDS) {
    const list = (await admin.json(
      "GET",
      `${kind.path(namespace)}?labelSelector=${encodeURIComponent(selector)}`,
    )) as { items: Item[] };
    for (const item of list.items) {
      lines.push([`${kind.prefix}/${item.metadata.name}`, ...kind.columns(item)].join("\t"));
    }
  }
  return lines.join("\n");
}
