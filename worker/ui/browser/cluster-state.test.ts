import { describe, expect, it } from "vitest";
import type { ClusterStatus, PeerStatus } from "../../../protocol/api.ts";
import { clusterState, failureFix } from "./cluster-state.ts";

function peer(path: PeerStatus["path"]): PeerStatus {
  return {
    cluster: "hub",
    path,
    endpoint: null,
    rttMs: null,
    rxBytes: 0,
    txBytes: 0,
    lastHandshakeAgeSeconds: null,
  };
}

function status(overrides: Partial<ClusterStatus>): { status: ClusterStatus } {
  return {
    status: {
      phase: "Initialized",
      reason: "",
      message: "",
      online: true,
      lastSeen: "2026-01-02T03:04:05.000Z",
      agentVersion: "0.1.0",
      endpoints: [],
      peers: [],
      values: null,
      conditions: [],
      ...overrides,
    },
  };
}

describe("clusterState", () => {
  it.each([
    ["online, no peers", status({}), "connected"],
    ["online, one direct peer", status({ peers: [peer("direct"), peer("relay")] }), "connected"],
    ["online, every peer on the relay", status({ peers: [peer("relay"), peer("relay")] }), "degraded"],
    ["online, a peer with no path yet", status({ peers: [peer("none")] }), "connected"],
    ["not online, seen before", status({ online: false }), "offline"],
    ["never seen", status({ online: false, lastSeen: null, phase: "" }), "waiting"],
    ["phase Failed", status({ phase: "Failed", reason: "InvalidPSK", online: false }), "failed"],
    ["a duplicate cluster, first agent still online", status({ reason: "DuplicateCluster" }), "failed"],
    [
      "revoked by an admin",
      status({ phase: "Failed", reason: "CredentialRevoked", online: false, lastSeen: null }),
      "revoked",
    ],
  ])("%s -> %s", (_what, cluster, expected) => {
    expect(clusterState(cluster)).toBe(expected);
  });
});

describe("failureFix", () => {
  it("tells the user to rotate the PSK when it does not match", () => {
    expect(failureFix("InvalidPSK")).toBe("The PSK does not match; rotate it for a new command.");
  });

  it("knows nothing about reasons it was not taught", () => {
    expect(failureFix("SomethingElse")).toBeNull();
  });
});
