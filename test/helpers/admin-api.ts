/** The platform's admin API as tests call it: JSON with the admin key, and creating clusters. */
import type { Cluster, CreateClusterResponse } from "../../protocol/api.ts";
import type { Platform } from "./platform.ts";

export async function adminApi<T>(
  platform: Pick<Platform, "url" | "adminKey">,
  path: string,
  init: { method?: string; body?: unknown } = {},
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${platform.url}${path}`, {
    method: init.method ?? "GET",
    headers: { authorization: `Bearer ${platform.adminKey}`, "content-type": "application/json" },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

/** Creates a cluster and returns its one-time PSK. */
export async function createCluster(
  platform: Pick<Platform, "url" | "adminKey">,
  name: string,
  local = false,
): Promise<string> {
  const r = await adminApi<CreateClusterResponse>(platform, "/api/v1/clusters", {
    method: "POST",
    body: { name, displayName: name, local },
  });
  if (r.status !== 201)
    throw new Error(`creating cluster ${name}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.psk;
}

export async function getCluster(
  platform: Pick<Platform, "url" | "adminKey">,
  name: string,
): Promise<Cluster> {
  const r = await adminApi<Cluster>(platform, `/api/v1/clusters/${name}`);
  if (r.status !== 200) throw new Error(`cluster ${name}: HTTP ${r.status}`);
  return r.body;
}
