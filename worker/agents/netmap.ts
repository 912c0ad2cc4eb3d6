import { and, asc, eq, or } from "drizzle-orm";
import type { Netmap, NetmapPeer, PeeringPolicy } from "../../protocol/api.ts";
import { isOnline, isStringArray, parseJsonColumn } from "../clusters/to-json.ts";
import type { Db } from "../db/client.ts";
import { agents, clusters } from "../db/schema.ts";
import { HttpError } from "../http/errors.ts";
import { hashSecret } from "../secrets.ts";

interface PeerRow {
  cluster: string;
  local: boolean;
  meshIp: string;
  publicKey: string;
  endpoints: string;
  lastSeen: number | null;
  connectedSince: number | null;
}

function peerRows(db: Db) {
  return db
    .select({
      cluster: clusters.name,
      local: clusters.local,
      meshIp: clusters.meshIp,
      publicKey: agents.publicKey,
      endpoints: agents.endpoints,
      lastSeen: agents.lastSeen,
      connectedSince: agents.connectedSince,
    })
    .from(clusters)
    .innerJoin(agents, and(eq(agents.cluster, clusters.name), eq(agents.revoked, false)));
}

/** A peer as netmaps show it: online while its control channel is open or it heartbeated recently. */
export function toNetmapPeer(r: PeerRow, now: number): NetmapPeer {
  return {
    cluster: r.cluster,
    meshIp: r.meshIp,
    publicKey: r.publicKey,
    endpoints: parseJsonColumn(r.endpoints, isStringArray, []),
    online: r.connectedSince !== null || isOnline(r.lastSeen, now),
  };
}

/**
 * Who `self` may talk to. hub: the local (primary) cluster sees every other
 * cluster and the rest see only the local one. mesh: everyone sees everyone.
 * Only clusters with a live agent registration appear: without a public key
 * there is nothing to peer with.
 *
 * Under hub, a spoke's netmap reads two rows (itself and the local cluster), not every cluster:
 * the one O(N) read is the hub's own.
 */
export async function buildNetmap(db: Db, self: string, policy: PeeringPolicy, now: number): Promise<Netmap> {
  const order = asc(clusters.name);
  let rows =
    policy === "hub"
      ? await peerRows(db)
          .where(or(eq(clusters.name, self), eq(clusters.local, true)))
          .orderBy(order)
      : await peerRows(db).orderBy(order);
  let me = rows.find((r) => r.cluster === self);
  if (policy === "hub" && me?.local) {
    rows = await peerRows(db).orderBy(order);
    me = rows.find((r) => r.cluster === self);
  }
  if (me === undefined) throw new HttpError(401, "invalid_credential", "This agent is no longer registered.");
  const local = me.local;
  const peers = rows
    .filter((r) => r.cluster !== self && (policy === "mesh" || local || r.local))
    .map((r) => toNetmapPeer(r, now));
  return versioned({
    self: { cluster: me.cluster, meshIp: me.meshIp, publicKey: me.publicKey },
    policy,
    peers,
  });
}

/** One cluster as its peers' netmaps show it; null when it has no live agent. */
export async function netmapPeerOf(
  db: Db,
  cluster: string,
  now: number,
): Promise<{ peer: NetmapPeer; local: boolean } | null> {
  const [row] = await peerRows(db).where(eq(clusters.name, cluster)).limit(1);
  return row === undefined ? null : { peer: toNetmapPeer(row, now), local: row.local };
}

/**
 * The netmap after a delta: upserts replace (or add) the peer of their cluster, removes drop
 * one. Peers stay ordered by cluster name, as buildNetmap orders them, so the version of the
 * result is the version GET /netmap would give for the same content.
 */
export async function applyNetmapDelta(
  netmap: Netmap,
  upserts: readonly NetmapPeer[],
  removes: readonly string[],
): Promise<Netmap> {
  const byCluster = new Map(netmap.peers.map((p) => [p.cluster, p]));
  for (const name of removes) byCluster.delete(name);
  for (const p of upserts) if (p.cluster !== netmap.self.cluster) byCluster.set(p.cluster, p);
  const peers = [...byCluster.values()].sort((a, b) =>
    a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0,
  );
  return versioned({ self: netmap.self, policy: netmap.policy, peers });
}

async function versioned(unversioned: Omit<Netmap, "version">): Promise<Netmap> {
  return { ...unversioned, version: await contentVersion(JSON.stringify(unversioned)) };
}

/** A short digest of content, so agents can poll "did it change?" cheaply. */
export async function contentVersion(content: string): Promise<string> {
  return (await hashSecret(content)).slice(0, 16);
}
