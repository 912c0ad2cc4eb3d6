import { type ClusterCondition, DUPLICATE_CLUSTER, type PeerStatus } from "../../protocol/api.ts";
import type { ClusterRecord } from "./records.ts";
import { revokedMessage } from "./revoked-message.ts";

/** What the cluster's control channel says right now (null when nobody asked it). */
export interface LivePresence {
  connected: boolean;
  lastSeen: number | null;
}

export interface ConditionInputs {
  record: ClusterRecord;
  now: number;
  online: boolean;
  /** The last sign of life (ms) from the channel or the heartbeat, or null. */
  lastSeen: number | null;
  viaChannel: boolean;
  peers: PeerStatus[];
  /** The platform's own version (TETHER_VERSION), or null when unknown. */
  platformVersion: string | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

function condition(
  type: ClusterCondition["type"],
  on: boolean,
  reason: string,
  message: string,
  at: number,
): ClusterCondition {
  return { type, status: on ? "True" : "False", reason, message, lastTransitionTime: iso(at) };
}

/** "1.2" of "v1.2.3-rc.1"; null when it is not a version. */
function majorMinor(version: string): string | null {
  const m = /^v?(\d+)\.(\d+)\./.exec(version);
  return m ? `${m[1]}.${m[2]}` : null;
}

function duplicateCondition(cluster: ClusterRecord["cluster"]): ClusterCondition {
  const at = cluster.reasonAt ?? cluster.createdAt;
  return cluster.reason === DUPLICATE_CLUSTER
    ? condition("DuplicateCluster", true, "ClusterUidMismatch", cluster.message, at)
    : condition("DuplicateCluster", false, "NoConflict", "", at);
}

/**
 * The cluster's conditions, always all six in the same order. Times are the best the platform
 * records for each flip: presence transitions (channel opened or closed), the registration, the
 * duplicate's refusal, the last path report.
 */
export function clusterConditions(i: ConditionInputs): ClusterCondition[] {
  const { cluster, agent } = i.record;
  const created = cluster.createdAt;
  const presenceAt = agent?.presenceAt ?? agent?.registeredAt ?? created;
  const lastSeenText = i.lastSeen === null ? "never" : iso(i.lastSeen);

  // While revoked the agent row is not joined (records.ts), so `agent` is null: no presence, no paths.
  const revokedAt = cluster.credentialRevokedAt;
  if (revokedAt !== null) return revokedConditions(i, revokedAt);

  const connected =
    agent === null
      ? condition(
          "AgentConnected",
          false,
          "NeverConnected",
          "No agent has registered for this cluster.",
          created,
        )
      : i.online
        ? condition(
            "AgentConnected",
            true,
            i.viaChannel ? "ControlChannelOpen" : "HeartbeatFallback",
            i.viaChannel
              ? "The agent holds its control channel."
              : "The agent reaches the platform by HTTP heartbeat only (its control channel is down).",
            presenceAt,
          )
        : condition("AgentConnected", false, "Disconnected", `Last seen ${lastSeenText}.`, presenceAt);

  const offline =
    agent !== null && !i.online
      ? condition(
          "AgentOffline",
          true,
          "NoSignOfLife",
          `The agent was last seen ${lastSeenText}.`,
          presenceAt,
        )
      : condition(
          "AgentOffline",
          false,
          agent === null ? "NotRegistered" : "AgentConnected",
          agent === null ? "No agent has registered yet." : `Last seen ${lastSeenText}.`,
          presenceAt,
        );

  const duplicate = duplicateCondition(cluster);

  const revoked = condition(
    "CredentialRevoked",
    false,
    agent === null ? "NoCredential" : "CredentialValid",
    "",
    agent?.registeredAt ?? created,
  );

  const agentMinor = agent === null ? null : majorMinor(agent.version);
  const platformMinor = i.platformVersion === null ? null : majorMinor(i.platformVersion);
  const skewed = agentMinor !== null && platformMinor !== null && agentMinor !== platformMinor;
  const skew = condition(
    "VersionSkew",
    skewed,
    skewed ? "MinorVersionDiffers" : agent === null ? "NotRegistered" : "VersionsMatch",
    skewed ? `The agent runs ${agent?.version}; the platform is ${i.platformVersion}.` : "",
    agent?.registeredAt ?? created,
  );

  const relayed = i.peers.filter((p) => p.path === "relay").map((p) => p.cluster);
  const direct = condition(
    "DirectPathUnavailable",
    relayed.length > 0,
    relayed.length > 0 ? "RelayOnly" : "DirectOrIdle",
    relayed.length > 0 ? `Relayed, no direct path: ${relayed.join(", ")}.` : "",
    agent?.peerStatsAt ?? agent?.registeredAt ?? created,
  );

  return [connected, offline, duplicate, revoked, skew, direct];
}

/**
 * An admin revoked the agent: it is cut off, not merely offline, so AgentOffline stays False and
 * CredentialRevoked carries the cause and the way back.
 */
function revokedConditions(i: ConditionInputs, at: number): ClusterCondition[] {
  const { cluster } = i.record;
  const cut = `The agent's credential was revoked at ${iso(at)}.`;
  return [
    condition("AgentConnected", false, "CredentialRevoked", cut, at),
    condition("AgentOffline", false, "CredentialRevoked", cut, at),
    duplicateCondition(cluster),
    condition("CredentialRevoked", true, "Revoked", revokedMessage(at), at),
    condition("VersionSkew", false, "NotRegistered", "", at),
    condition("DirectPathUnavailable", false, "DirectOrIdle", "", at),
  ];
}
