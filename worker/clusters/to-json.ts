import {
  type Cluster,
  ClusterValuesStatus,
  ONLINE_WINDOW_SECONDS,
  type PeerStatus,
} from "../../protocol/api.ts";
import { clusterConditions, type LivePresence } from "./conditions.ts";
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

/**
 * Whether the agent is here, and when it was last seen. With its control channel open on record,
 * the channel's own answer decides (it closes a socket silent past the window); without one, the
 * fallback heartbeat's last time does.
 */
function presenceOf(record: ClusterRecord, now: number, live: LivePresence | null) {
  const agent = record.agent;
  if (agent === null)
    return { online: false, lastSeen: record.revokedAgentLastSeen ?? null, viaChannel: false };
  if (agent.connectedSince !== null && live !== null) {
    return { online: live.connected, lastSeen: live.lastSeen ?? agent.lastSeen, viaChannel: live.connected };
  }
  if (agent.connectedSince !== null) return { online: true, lastSeen: agent.lastSeen, viaChannel: true };
  return { online: isOnline(agent.lastSeen, now), lastSeen: agent.lastSeen, viaChannel: false };
}

export function toClusterJson(
  record: ClusterRecord,
  now: number,
  live: LivePresence | null = null,
  platformVersion: string | null = null,
): Cluster {
  const { cluster, agent } = record;
  const presence = presenceOf(record, now, live);
  const peers = agent ? parseJsonColumn(agent.peerStats, isPeerStatusArray, []) : [];
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
      online: presence.online,
      lastSeen: presence.lastSeen === null ? null : new Date(presence.lastSeen).toISOString(),
      agentVersion: agent?.version ?? null,
      endpoints: agent ? parseJsonColumn(agent.endpoints, isStringArray, []) : [],
      peers,
      values: valuesStatusOf(agent),
      conditions: clusterConditions({ record, now, ...presence, peers, platformVersion }),
    },
  };
}
