import { and, asc, eq, gt } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { agents, clusters } from "../db/schema.ts";

export type ClusterRow = typeof clusters.$inferSelect;
export type AgentRow = typeof agents.$inferSelect;

/** A cluster and its agent registration, if any. */
export interface ClusterRecord {
  cluster: ClusterRow;
  agent: AgentRow | null;
}

function selectRecords(db: Db) {
  return db
    .select({ cluster: clusters, agent: agents })
    .from(clusters)
    .leftJoin(agents, and(eq(agents.cluster, clusters.name), eq(agents.revoked, false)));
}

export function clusterRecordQuery(db: Db, name: string) {
  return selectRecords(db).where(eq(clusters.name, name)).limit(1);
}

export async function findClusterRecord(db: Db, name: string): Promise<ClusterRecord | undefined> {
  const rows = await clusterRecordQuery(db, name);
  return rows[0];
}

/** Clusters ordered by name, strictly after `after` when given. */
export async function listClusterRecords(
  db: Db,
  after: string | null,
  limit: number,
): Promise<ClusterRecord[]> {
  const query = selectRecords(db);
  const filtered = after === null ? query : query.where(gt(clusters.name, after));
  return filtered.orderBy(asc(clusters.name)).limit(limit);
}
