import { and, eq, gt, isNull } from "drizzle-orm";
import type { PeeringPolicy } from "../../protocol/api.ts";
import type { Db } from "../db/client.ts";
import { agents, clusters } from "../db/schema.ts";

/**
 * How long after a cluster is created its peers poll fast for its agent.
 * Connect Cluster is "create, then run the command the page shows": minutes,
 * not days. Past this a cluster nobody connected stops costing heartbeats.
 */
export const AWAITING_WINDOW_MS = 10 * 60_000;
/** The heartbeat interval hinted to an agent while a peer it may talk to is awaited. */
export const AWAITING_HEARTBEAT_SECONDS = 1;

/**
 * Whether a cluster that `self` may peer with (by the policy) was created in
 * the last AWAITING_WINDOW_MS and has no agent registered yet. Agents learn of
 * new peers only from the netmap, at their next heartbeat: while a peer is
 * awaited the platform asks for heartbeats every second, so the first contact
 * with a newly connected cluster does not wait a whole interval.
 */
export async function hasAwaitedPeer(
  db: Db,
  self: string,
  policy: PeeringPolicy,
  now: number,
): Promise<boolean> {
  const rows = (
    await db
      .select({ name: clusters.name, local: clusters.local })
      .from(clusters)
      .leftJoin(agents, and(eq(agents.cluster, clusters.name), eq(agents.revoked, false)))
      .where(and(isNull(agents.cluster), gt(clusters.createdAt, now - AWAITING_WINDOW_MS)))
  ).filter((r) => r.name !== self);
  // Nearly always none: then the policy and our own role never need looking up.
  if (rows.length === 0) return false;
  if (policy === "mesh" || rows.some((r) => r.local)) return true;
  const [me] = await db.select({ local: clusters.local }).from(clusters).where(eq(clusters.name, self));
  return me?.local ?? false;
}
