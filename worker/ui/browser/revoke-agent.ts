// "Revoke agent…": cuts a cluster's agent off and keeps the cluster, behind a confirmation that says
// what happens and what brings the agent back (Reconnect, which rotates the PSK).
import type { Cluster, ClusterDetail } from "../../../protocol/api.ts";
import { api, clusterPath, messageOf } from "./api.ts";
import { confirmDialog } from "./confirm-dialog.ts";
import { toast } from "./dom.ts";

export const REVOKE_LABEL = "Revoke agent…";

/** Asks, then revokes. Resolves with the cluster as the platform answered, or null (cancelled or failed). */
export async function confirmAndRevoke(cluster: Cluster): Promise<ClusterDetail | null> {
  const ok = await confirmDialog({
    title: `Revoke the agent of ${cluster.displayName}?`,
    message:
      "The agent is cut off at once: its credential, its PSK and the cluster's values keys stop working, its control channel and relays close, and its peers drop it. The cluster and its settings are kept. To connect an agent again, use Reconnect: it rotates the PSK and shows new connect commands.",
    confirmLabel: "Revoke agent",
    danger: true,
  });
  if (!ok) return null;
  try {
    const revoked = await api<ClusterDetail>("POST", `${clusterPath(cluster.name)}/revoke`);
    toast(`The agent of ${cluster.name} is revoked.`);
    return revoked;
  } catch (err) {
    toast(`Could not revoke the agent of ${cluster.name}: ${messageOf(err)}`);
    return null;
  }
}
