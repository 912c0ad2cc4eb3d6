/**
 * What `kubectl apply -f -` does with a stream of new objects, through the API with the admin
 * client (kubectl is not among the tools): create each object, or replace it when it exists.
 */
import type { KubeApiClient } from "../../agent/kube/api-client.ts";
import type { K8sObject } from "./helm.ts";

// The kinds the chart renders: collection path by kind, for a namespace.
const COLLECTIONS: Record<string, (ns: string) => string> = {
  Namespace: () => "/api/v1/namespaces",
  ServiceAccount: (ns) => `/api/v1/namespaces/${ns}/serviceaccounts`,
  Secret: (ns) => `/api/v1/namespaces/${ns}/secrets`,
  ConfigMap: (ns) => `/api/v1/namespaces/${ns}/configmaps`,
  Role: (ns) => `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`,
  RoleBinding: (ns) => `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`,
  ClusterRole: () => "/apis/rbac.authorization.k8s.io/v1/clusterroles",
  ClusterRoleBinding: () => "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
  Deployment: (ns) => `/apis/apps/v1/namespaces/${ns}/deployments`,
};

/** Applies objects in order, in `namespace` unless they name their own (kubectl apply -n). */
export async function applyObjects(
  admin: KubeApiClient,
  namespace: string,
  objects: K8sObject[],
): Promise<string[]> {
  const applied: string[] = [];
  for (const object of objects) {
    const collection = COLLECTIONS[object.kind];
    if (collection === undefined) throw new Error(`apply: no API path known for kind ${object.kind}`);
    const path = collection(object.metadata.namespace ?? namespace);
    const created = await admin.call("POST", path, object);
    if (created.status === 409) {
      const current = (await admin.json("GET", `${path}/${object.metadata.name}`)) as K8sObject;
      const resourceVersion = (current.metadata as { resourceVersion?: string }).resourceVersion;
      await admin.json("PUT", `${path}/${object.metadata.name}`, {
        ...object,
        metadata: { ...object.metadata, resourceVersion },
      });
      applied.push(`${object.kind.toLowerCase()}/${object.metadata.name} configured`);
    } else if (created.status >= 200 && created.status < 300) {
      applied.push(`${object.kind.toLowerCase()}/${object.metadata.name} created`);
    } else {
      throw new Error(
        `apply ${object.kind}/${object.metadata.name}: ${created.status} ${JSON.stringify(created.body)}`,
      );
    }
  }
  return applied;
}
