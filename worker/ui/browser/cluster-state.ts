// One word for a cluster's state, as every view shows it. The API has the raw facts (online, phase,
// reason, peers); the user needs to tell a broken cluster from a quiet one at a glance.

import { CREDENTIAL_REVOKED, DUPLICATE_CLUSTER } from "../../../protocol/api/constants.ts";
import type { Cluster, PeerStatus } from "../../../protocol/api.ts";
import { h } from "./dom.ts";

export type ClusterState = "connected" | "degraded" | "offline" | "failed" | "revoked" | "waiting";

export const CLUSTER_STATES: readonly ClusterState[] = [
  "connected",
  "degraded",
  "offline",
  "failed",
  "revoked",
  "waiting",
];

interface StateLook {
  label: string;
  /** Shown beside the label, so the state never depends on colour alone. */
  icon: string;
  description: string;
}

const LOOKS: Record<ClusterState, StateLook> = {
  connected: { label: "Connected", icon: "●", description: "The agent is online." },
  degraded: {
    label: "Degraded",
    icon: "◐",
    description: "The agent is online, but every peer is reached through the relay only.",
  },
  offline: { label: "Offline", icon: "○", description: "The agent has not sent a heartbeat recently." },
  failed: { label: "Failed", icon: "✕", description: "A registration failed; see the reason." },
  revoked: {
    label: "Revoked",
    icon: "⊘",
    description: "An admin revoked the agent; Reconnect rotates the PSK to connect it again.",
  },
  waiting: { label: "Waiting", icon: "…", description: "No agent has registered yet." },
};

/** Relay only: at least one peer and none of them on a direct path. */
function relayOnly(peers: readonly PeerStatus[]): boolean {
  return peers.length > 0 && peers.every((p) => p.path === "relay");
}

/**
 * A revocation wins over everything (the agent is cut off until the PSK is rotated); a failure wins
 * over online: a cluster whose PSK is held by a second cluster needs the admin.
 */
export function clusterState(c: Pick<Cluster, "status">): ClusterState {
  const s = c.status;
  if (s.reason === CREDENTIAL_REVOKED) return "revoked";
  if (s.phase === "Failed" || s.reason === DUPLICATE_CLUSTER) return "failed";
  if (s.online) return relayOnly(s.peers) ? "degraded" : "connected";
  return s.lastSeen === null ? "waiting" : "offline";
}

export function stateLabel(state: ClusterState): string {
  return LOOKS[state].label;
}

/** A badge with an icon and a word (colour is a third cue, never the only one). */
export function stateBadge(state: ClusterState): HTMLSpanElement {
  const look = LOOKS[state];
  return h(
    "span",
    { class: `badge state-${state}`, title: look.description, dataset: { state } },
    h("span", { class: "badge-icon", "aria-hidden": "true" }, look.icon),
    look.label,
  );
}

/** What a registration failure means and what fixes it; null for reasons the page does not know. */
export function failureFix(reason: string): string | null {
  switch (reason) {
    case "InvalidPSK":
      return "The PSK does not match; rotate it for a new command.";
    case DUPLICATE_CLUSTER:
      return "A second physical cluster holds this cluster's PSK; rotate the PSK if it was not meant to have it, or Reconnect to move the cluster.";
    case CREDENTIAL_REVOKED:
      return "An admin revoked this cluster's agent; Reconnect rotates the PSK and shows new connect commands to bring it back.";
    case "RateLimited":
      return "Too many failed registrations from one address; the agent retries by itself once the PSK is right.";
    default:
      return null;
  }
}
