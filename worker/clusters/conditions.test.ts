import { describe, expect, it } from "vitest";
import { DUPLICATE_CLUSTER, type PeerStatus } from "../../protocol/api.ts";
import { clusterConditions } from "./conditions.ts";
import type { ClusterRecord } from "./records.ts";

const T0 = Date.parse("2026-01-01T10:00:00.000Z");

function record(
  over: {
    cluster?: Partial<ClusterRecord["cluster"]>;
    agent?: Partial<NonNullable<ClusterRecord["agent"]>> | null;
  } = {},
): ClusterRecord {
  const cluster: ClusterRecord["cluster"] = {
    name: "edge",
    displayName: "Edge",
    description: "",
    annotations: "{}",
    local: false,
    meshIp: "100.64.0.2",
    phase: "Initialized",
    reason: "",
    message: "",
    createdAt: T0,
    reasonAt: null,
    credentialRevokedAt: null,
    ...over.cluster,
  };
  const agent: ClusterRecord["agent"] =
    over.agent === null
      ? null
      : {
          cluster: "edge",
          publicKey: "k",
          credentialHash: "h",
          clusterUid: "u",
          version: "0.1.0",
          endpoints: "[]",
          peerStats: "[]",
          lastSeen: T0 + 1_000,
          createdAt: T0,
          revoked: false,
          connectedSince: T0 + 1_000,
          presenceAt: T0 + 1_000,
          registeredAt: T0 + 500,
          peerStatsAt: T0 + 2_000,
          valuesReport: null,
          ...over.agent,
        };
  return { cluster, agent };
}

const peer = (cluster: string, path: PeerStatus["path"]): PeerStatus => ({
  cluster,
  path,
  endpoint: null,
  rttMs: null,
  rxBytes: 0,
  txBytes: 0,
  lastHandshakeAgeSeconds: null,
});

const byType = (cs: ReturnType<typeof clusterConditions>) => Object.fromEntries(cs.map((c) => [c.type, c]));

describe("clusterConditions", () => {
  it("an agent on its channel: connected, not offline, versions matching, direct", () => {
    const c = byType(
      clusterConditions({
        record: record(),
        now: T0 + 5_000,
        online: true,
        lastSeen: T0 + 4_000,
        viaChannel: true,
        peers: [peer("hub", "direct")],
        platformVersion: "0.1.3",
      }),
    );
    expect(c.AgentConnected).toEqual({
      type: "AgentConnected",
      status: "True",
      reason: "ControlChannelOpen",
      message: "The agent holds its control channel.",
      lastTransitionTime: "2026-01-01T10:00:01.000Z",
    });
    expect(c.AgentOffline?.status).toBe("False");
    expect(c.VersionSkew).toMatchObject({ status: "False", reason: "VersionsMatch" });
    expect(c.DirectPathUnavailable).toMatchObject({ status: "False", reason: "DirectOrIdle" });
  });

  it("an offline agent with a skewed version, relayed peers and a refused duplicate", () => {
    const c = byType(
      clusterConditions({
        record: record({
          cluster: {
            reason: DUPLICATE_CLUSTER,
            message: "A second physical cluster...",
            reasonAt: T0 + 9_000,
          },
          agent: { version: "0.2.0", connectedSince: null },
        }),
        now: T0 + 60_000,
        online: false,
        lastSeen: T0 + 1_000,
        viaChannel: false,
        peers: [peer("hub", "relay"), peer("other", "direct"), peer("far", "relay")],
        platformVersion: "0.1.0",
      }),
    );
    expect(c.AgentOffline).toMatchObject({
      status: "True",
      reason: "NoSignOfLife",
      message: "The agent was last seen 2026-01-01T10:00:01.000Z.",
    });
    expect(c.AgentConnected).toMatchObject({ status: "False", reason: "Disconnected" });
    expect(c.DuplicateCluster).toMatchObject({
      status: "True",
      reason: "ClusterUidMismatch",
      lastTransitionTime: "2026-01-01T10:00:09.000Z",
    });
    expect(c.VersionSkew).toMatchObject({
      status: "True",
      reason: "MinorVersionDiffers",
      message: "The agent runs 0.2.0; the platform is 0.1.0.",
    });
    expect(c.DirectPathUnavailable).toMatchObject({
      status: "True",
      reason: "RelayOnly",
      message: "Relayed, no direct path: hub, far.",
      lastTransitionTime: "2026-01-01T10:00:02.000Z",
    });
  });

  it("a cluster no agent ever registered for", () => {
    const c = byType(
      clusterConditions({
        record: record({ agent: null }),
        now: T0,
        online: false,
        lastSeen: null,
        viaChannel: false,
        peers: [],
        platformVersion: null,
      }),
    );
    expect(c.AgentConnected).toMatchObject({ status: "False", reason: "NeverConnected" });
    expect(c.AgentOffline).toMatchObject({ status: "False", reason: "NotRegistered" });
    expect(c.CredentialRevoked).toMatchObject({ status: "False", reason: "NoCredential" });
    expect(c.VersionSkew).toMatchObject({ status: "False", reason: "NotRegistered" });
  });

  it("a revoked agent: cut off, not offline, with the way back in the message", () => {
    const revokedAt = T0 + 30_000;
    const all = clusterConditions({
      // records.ts does not join a revoked agent, so the record has none.
      record: record({ cluster: { phase: "Failed", credentialRevokedAt: revokedAt }, agent: null }),
      now: T0 + 60_000,
      online: false,
      lastSeen: null,
      viaChannel: false,
      peers: [],
      platformVersion: "0.1.0",
    });
    expect(all.map((k) => k.type)).toEqual([
      "AgentConnected",
      "AgentOffline",
      "DuplicateCluster",
      "CredentialRevoked",
      "VersionSkew",
      "DirectPathUnavailable",
    ]);
    const c = byType(all);
    expect(c.CredentialRevoked).toEqual({
      type: "CredentialRevoked",
      status: "True",
      reason: "Revoked",
      message:
        "The agent's credential was revoked at 2026-01-01T10:00:30.000Z: its credential and PSK no longer work. To reconnect, rotate the PSK and run the new connect command.",
      lastTransitionTime: "2026-01-01T10:00:30.000Z",
    });
    expect(c.AgentConnected).toMatchObject({ status: "False", reason: "CredentialRevoked" });
    expect(c.AgentOffline).toMatchObject({ status: "False", reason: "CredentialRevoked" });
    expect(c.DirectPathUnavailable?.status).toBe("False");
  });
});
