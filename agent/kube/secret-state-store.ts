import { type AgentState, isAgentState } from "../control/state-file.ts";
import type { StateStore } from "../control/state-store.ts";
import { type KubeApiClient, KubeApiError, type KubeResponse, kubeError } from "./api-client.ts";

export type { StateStore } from "../control/state-store.ts";

export interface SecretStateStoreOptions {
  client: KubeApiClient;
  namespace: string;
  /** The Secret's name (the chart creates it empty and grants get/update/patch on it alone). */
  name: string;
}

/** The key inside the Secret's data; the same file name the state directory uses. */
export const STATE_SECRET_KEY = "agent-state.json";

/** Reads the identity out of a Secret's data; null when the Secret holds none yet. */
export function stateFromSecretData(
  data: Record<string, string> | undefined,
  where: string,
): AgentState | null {
  const encoded = data?.[STATE_SECRET_KEY];
  if (encoded === undefined || encoded === "") return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(encoded, "base64").toString("utf8"));
  } catch {
    throw new Error(`${where} key ${STATE_SECRET_KEY} is not valid JSON; delete that key to register again`);
  }
  if (!isAgentState(parsed)) {
    throw new Error(`${where} key ${STATE_SECRET_KEY} is missing fields; delete that key to register again`);
  }
  return parsed;
}

interface SecretObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; [k: string]: unknown };
  type?: string;
  data?: Record<string, string>;
  [k: string]: unknown;
}

/** Saving retries this many times when someone else updated the Secret in between. */
const MAX_CONFLICT_RETRIES = 5;

/**
 * The agent's identity in a Secret of its own namespace, so a restarted or rescheduled pod keeps
 * its WireGuard key and credential. Writes replace the Secret with the resourceVersion that was
 * read, so a concurrent change is never overwritten blindly: a 409 re-reads and tries again.
 */
export function kubeSecretStateStore({ client, namespace, name }: SecretStateStoreOptions): StateStore {
  const description = `secret ${namespace}/${name}`;
  const collection = `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`;
  const path = `${collection}/${encodeURIComponent(name)}`;

  const denied = (verb: string, res: KubeResponse): KubeApiError => {
    const err = kubeError(verb, path, res);
    return new KubeApiError(
      403,
      err.reason,
      `the agent may not ${verb} ${description}: ${err.message} (its Role must grant get, update and patch on that Secret)`,
    );
  };

  const read = async (): Promise<SecretObject | null> => {
    const res = await client.call("GET", path);
    if (res.status === 404) return null;
    if (res.status === 403) throw denied("get", res);
    if (res.status !== 200) throw kubeError("GET", path, res);
    return res.body as SecretObject;
  };

  return {
    description,
    async load() {
      const secret = await read();
      return secret === null ? null : stateFromSecretData(secret.data, description);
    },
    async save(state) {
      const encoded = Buffer.from(`${JSON.stringify(state)}\n`, "utf8").toString("base64");
      for (let attempt = 0; attempt <= MAX_CONFLICT_RETRIES; attempt++) {
        const current = await read();
        if (current === null) {
          const res = await client.call("POST", collection, {
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name, namespace },
            type: "Opaque",
            data: { [STATE_SECRET_KEY]: encoded },
          });
          if (res.status === 201 || res.status === 200) return;
          if (res.status === 409) continue; // created meanwhile: update it instead
          if (res.status === 403) {
            throw new KubeApiError(
              403,
              "Forbidden",
              `${description} does not exist and the agent may not create it (install the chart, which creates it): ${kubeError("POST", collection, res).message}`,
            );
          }
          throw kubeError("POST", collection, res);
        }
        // Keep everything else on the Secret (labels, Helm's annotations, other keys) as it is.
        const next: SecretObject = { ...current, data: { ...current.data, [STATE_SECRET_KEY]: encoded } };
        const res = await client.call("PUT", path, next);
        if (res.status === 200) return;
        if (res.status === 409) continue;
        if (res.status === 403) throw denied("update", res);
        throw kubeError("PUT", path, res);
      }
      throw new Error(
        `${description} kept changing while the agent saved its identity; gave up after ${MAX_CONFLICT_RETRIES + 1} tries`,
      );
    },
  };
}
