import { and, asc, eq, gt } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { agents, clusters } from "../db/schema.ts";

export type ClusterRow = typeof clusters.$inferSelect;
export type AgentRow = typeof agents.$inferSelect;

/** A cluster and its agent registration, if any. */
export interface ClusterRecord {
  cluster: ClusterRow;
  /** The live registration: null when there is none, or when it was revoked. */
  agent: AgentRow | null;
  /** When a revoked agent was last seen: shown on the cluster, never counted as presence. */
  revokedAgentLastSeen?: number | null;
}

function selectRecords(db: Db) {
  return db
    .select({ cluster: clusters, agent: agents })
    .from(clusters)
    .leftJoin(agents, and(eq(agents.cluster, clusters.name), eq(agents.revoked, false)));
}

/** The cluster with its live agent only (a revoked one reads as none), for use inside a batch. */
export function clusterRecordQuery(db: Db, name: string) {
  return selectRecords(db).where(eq(clusters.name, name)).limit(1);
}

/** Like selectRecords, but a revoked agent's row comes too, so its last sighting can be shown. */
function selectRecordsShowingRevoked(db: Db) {
  return db
    .select({ cluster: clusters, agent: agents })
    .from(clusters)
    .leftJoin(agents, eq(agents.cluster, clusters.name));
}

function toRecord(row: { cluster: ClusterRow; agent: AgentRow | null }): ClusterRecord {
  if (row.agent?.revoked)
    return { cluster: row.cluster, agent: null, revokedAgentLastSeen: row.agent.lastSeen };
  return row;
}

export async function findClusterRecord(db: Db, name: string): Promise<ClusterRecord | undefined> {
  const rows = await selectRecordsShowingRevoked(db).where(eq(clusters.name, name)).limit(1);
  return rows[0] === undefined ? undefined : toRecord(rows[0]);
}

/** Clusters ordered by name, strictly after `after` when given. */
export async function listClusterRecords(
  db: Db,
  after: string | null,
  limit: number,
): Promise<ClusterRecord[]> {
  const query = selectRecordsShowingRevoked(db);
  const filtered = after === null ? query : query.where(gt(clusters.name, after));
  return (await filtered.orderBy(asc(clusters.name)).limit(limit)).map(toRecord);
}
