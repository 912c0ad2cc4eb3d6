import type { Netmap, PeerStatus } from "../../protocol/api.ts";

/**
 * The peer stats worth keeping from a heartbeat: one entry per cluster this agent may really
 * talk to (its netmap under the current policy), in the agent's order. Unknown names are
 * dropped rather than refused, because an agent can briefly hold a peer the policy just took
 * away and its heartbeat must still land; dropping also bounds what an agent credential can
 * make every cluster listing carry to the number of real peers.
 */
export function realPeersOnly(reported: readonly PeerStatus[], netmap: Netmap): PeerStatus[] {
  const real = new Set(netmap.peers.map((p) => p.cluster));
  const kept = new Map<string, PeerStatus>();
  for (const peer of reported) {
    if (real.has(peer.cluster) && !kept.has(peer.cluster)) kept.set(peer.cluster, peer);
  }
  return [...kept.values()];
}
