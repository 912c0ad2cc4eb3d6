import type { Netmap } from "../../protocol/api.ts";
import type { NetmapDelta } from "../../protocol/control.ts";

/**
 * The netmap after a pushed delta, or null when the delta was made against another version than
 * the one held (a message lost across a reconnect): then the agent asks for the whole netmap.
 * Peers stay ordered by cluster name, as the platform orders them.
 */
export function applyDelta(held: Netmap | null, delta: NetmapDelta): Netmap | null {
  if (held === null || held.version !== delta.base) return null;
  const byCluster = new Map(held.peers.map((p) => [p.cluster, p]));
  for (const name of delta.removes) byCluster.delete(name);
  for (const p of delta.upserts) if (p.cluster !== held.self.cluster) byCluster.set(p.cluster, p);
  const peers = [...byCluster.values()].sort((a, b) =>
    a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0,
  );
  return { ...held, peers, version: delta.version };
}
