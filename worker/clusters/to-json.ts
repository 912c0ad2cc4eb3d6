import {
  type Cluster,
  ClusterValuesStatus,
  ONLINE_WINDOW_SECONDS,
  type PeerStatus,
} from "../../protocol/api.ts";
import type { AgentRow, ClusterRecord } from "./records.ts";

/** JSON columns are written by this Worker, but a bad row must degrade to empty, not break listing. */
export function parseJsonColumn<T>(text: string, guard: (value: unknown) => value is T, fallback: T): T {
  try {
    const value: unknown = JSON.parse(text);
    return guard(value) ? value : fallback;
  } catch {
    return fallback;
  }
}

export function isStringRecord(value: unknown): value is Record<string, string> {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === "string")
  );
}

export function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === "string");
}

export function isPeerStatusArray(value: unknown): value is PeerStatus[] {
  return Array.isArray(value) && value.every((v) => typeof v === "object" && v !== null && "cluster" in v);
}

function isValuesStatus(value: unknown): value is ClusterValuesStatus {
  return ClusterValuesStatus.safeParse(value).success;
}

/** The agent's last values report, or null when it sent none (or the column is unreadable). */
export function valuesStatusOf(agent: AgentRow | null): ClusterValuesStatus | null {
  if (agent === null || agent.valuesReport === null) return null;
  return parseJsonColumn<ClusterValuesStatus | null>(agent.valuesReport, isValuesStatus, null);
}

export function isOnline(lastSeen: number | null, now: number): boolean {
  return lastSeen !== null && now - lastSeen <= ONLINE_WINDOW_SECONDS * 1000;
}

export function clusterAnnotations(record: ClusterRecord): Record<string, string> {
  return parseJsonColumn(record.cluster.annotations, isStringRecord, {});
}

export function toClusterJson(record: ClusterRecord, now: number): Cluster {
  const { cluster, agent } = record;
  const lastSeen = agent?.lastSeen ?? null;
  return {
    name: cluster.name,
    displayName: cluster.displayName,
    description: cluster.description,
    annotations: clusterAnnotations(record),
    local: cluster.local,
    meshIp: cluster.meshIp,
    createdAt: new Date(cluster.createdAt).toISOString(),
    status: {
      phase: cluster.phase,
      reason: cluster.reason,
      message: cluster.message,
      online: isOnline(lastSeen, now),
      lastSeen: lastSeen === null ? null : new Date(lastSeen).toISOString(),
      agentVersion: agent?.version ?? null,
      endpoints: agent ? parseJsonColumn(agent.endpoints, isStringArray, []) : [],
      peers: agent ? parseJsonColumn(agent.peerStats, isPeerStatusArray, []) : [],
      values: valuesStatusOf(agent),
    },
  };
}
