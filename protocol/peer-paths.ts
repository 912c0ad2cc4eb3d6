import type { PeerStatus } from "./api/clusters.ts";

/**
 * "2 direct, 1 relay" from an agent's per-peer report, "no peers" when it has none: the same
 * words in the CLI's cluster list and the web UI's.
 */
export function peerPathCounts(peers: readonly PeerStatus[]): string {
  if (peers.length === 0) return "no peers";
  const counts = { direct: 0, relay: 0, none: 0 };
  for (const p of peers) counts[p.path] += 1;
  const parts: string[] = [];
  if (counts.direct) parts.push(`${counts.direct} direct`);
  if (counts.relay) parts.push(`${counts.relay} relay`);
  if (counts.none) parts.push(`${counts.none} no path`);
  return parts.join(", ");
}
