import { and, asc, eq } from "drizzle-orm";
import type { Netmap, NetmapPeer, PeeringPolicy } from "../../protocol/api.ts";
import { isOnline, isStringArray, parseJsonColumn } from "../clusters/to-json.ts";
import type { Db } from "../db/client.ts";
import { agents, clusters } from "../db/schema.ts";
import { HttpError } from "../http/errors.ts";
import { hashSecret } from "../secrets.ts";

/**
 * Who `self` may talk to. hub: the local (primary) cluster sees every other
 * cluster and the rest see only the local one. mesh: everyone sees everyone.
 * Only clusters with a live agent registration appear: without a public key
 * there is nothing to peer with.
 */
export async function buildNetmap(db: Db, self: string, policy: PeeringPolicy, now: number): Promise<Netmap> {
  const rows = await db
    .select({
      cluster: clusters.name,
      local: clusters.local,
      meshIp: clusters.meshIp,
      publicKey: agents.publicKey,
      endpoints: agents.endpoints,
      lastSeen: agents.lastSeen,
    })
    .from(clusters)
    .innerJoin(agents, and(eq(agents.cluster, clusters.name), eq(agents.revoked, false)))
    .orderBy(asc(clusters.name));
  const me = rows.find((r) => r.cluster === self);
  if (me === undefined) throw new HttpError(401, "invalid_credential", "This agent is no longer registered.");
  const peers: NetmapPeer[] = rows
    .filter((r) => r.cluster !== self && (policy === "mesh" || me.local || r.local))
    .map((r) => ({
      cluster: r.cluster,
      meshIp: r.meshIp,
      publicKey: r.publicKey,
      endpoints: parseJsonColumn(r.endpoints, isStringArray, []),
      online: isOnline(r.lastSeen, now),
    }));
  const unversioned = {
    self: { cluster: me.cluster, meshIp: me.meshIp, publicKey: me.publicKey },
    policy,
    peers,
  };
  return { ...unversioned, version: await contentVersion(JSON.stringify(unversioned)) };
}

/** A short digest of content, so agents can poll "did it change?" cheaply. */
export async function contentVersion(content: string): Promise<string> {
  return (await hashSecret(content)).slice(0, 16);
}
