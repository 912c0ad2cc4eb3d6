import { describe, expect, it } from "vitest";
import type { AccessKey, Cluster, PeerStatus } from "../../protocol/api.ts";
import {
  formatAge,
  formatBytes,
  pathSummary,
  renderCluster,
  renderClusterList,
  renderConditions,
  renderEvents,
  renderKeyList,
  renderKeyValues,
  renderTable,
} from "./output.ts";

const NOW = Date.parse("2026-01-01T12:00:00Z");

function cluster(overrides: Partial<Cluster> = {}): Cluster {
  return {
    name: "staging",
    displayName: "Staging",
    description: "",
    annotations: {},
    local: false,
    meshIp: "100.64.0.2",
    createdAt: "2026-01-01T10:00:00.000Z",
    status: {
      phase: "",
      reason: "",
      message: "",
      online: false,
      lastSeen: null,
      agentVersion: null,
      endpoints: [],
      peers: [],
      values: null,
      conditions: [],
    },
    ...overrides,
  };
}

function peer(name: string, path: PeerStatus["path"]): PeerStatus {
  return {
    cluster: name,
    path,
    endpoint: null,
    rttMs: null,
    rxBytes: 0,
    txBytes: 0,
    lastHandshakeAgeSeconds: null,
  };
}

describe("pathSummary", () => {
  it("counts paths while online, says so when there are no peers, and shows nothing when offline", () => {
    expect(pathSummary(true, [peer("a", "relay"), peer("b", "none")])).toBe("1 relay, 1 no path");
    expect(pathSummary(true, [])).toBe("no peers");
    expect(pathSummary(false, [peer("a", "direct")])).toBe("-");
  });
});

describe("renderKeyList", () => {
  const key = (overrides: Partial<AccessKey>): AccessKey => ({
    id: "k1",
    name: "ci",
    scope: "admin",
    cluster: null,
    createdAt: "2026-01-01T10:00:00Z",
    expiresAt: null,
    lastUsedAt: null,
    disabled: false,
    ...overrides,
  });

  it("shows scope, cluster, state, created, last used and expiry", () => {
    const text = renderKeyList(
      [
        key({}),
        key({
          id: "k2",
          name: "helm",
          scope: "cluster-values:read",
          cluster: "staging",
          expiresAt: "2026-01-31T12:00:00Z",
          lastUsedAt: "2026-01-01T11:59:30Z",
        }),
        key({ id: "k3", name: "old", disabled: true }),
        key({ id: "k4", name: "gone", expiresAt: "2026-01-01T11:00:00Z" }),
      ],
      NOW,
    );
    expect(text).toBe(
      [
        "ID   NAME   SCOPE                 CLUSTER   STATE     CREATED   LAST USED   EXPIRES",
        "k1   ci     admin                 -         active    2h ago    never       never",
        "k2   helm   cluster-values:read   staging   active    2h ago    30s ago     in 30d",
        "k3   old    admin                 -         revoked   2h ago    never       never",
        "k4   gone   admin                 -         expired   2h ago    never       60m ago",
        "",
      ].join("\n"),
    );
  });

  it("says how to create one when there are none", () => {
    expect(renderKeyList([], NOW)).toContain("tether key create");
  });
});

describe("renderEvents", () => {
  it("prints time, type, reason and message in the order given", () => {
    expect(
      renderEvents([
        {
          id: "1",
          at: "2026-01-01T10:00:00.000Z",
          type: "Normal",
          reason: "Registered",
          message: "ok",
          detail: {},
        },
        {
          id: "2",
          at: "2026-01-01T10:01:00.000Z",
          type: "Warning",
          reason: "InvalidPSK",
          message: "bad",
          detail: {},
        },
      ]),
    ).toBe(
      [
        "TIME                       TYPE      REASON       MESSAGE",
        "2026-01-01T10:00:00.000Z   Normal    Registered   ok",
        "2026-01-01T10:01:00.000Z   Warning   InvalidPSK   bad",
        "",
      ].join("\n"),
    );
    expect(renderEvents([])).toBe("No events yet.\n");
  });
});

describe("renderTable", () => {
  it("pads every column but the last and never leaves trailing blanks", () => {
    expect(
      renderTable(
        ["A", "LONG HEADER", "C"],
        [
          ["xx", "y", ""],
          ["x", "", "z"],
        ],
      ),
    ).toBe("A    LONG HEADER   C\nxx   y\nx                  z\n");
  });
});

describe("renderKeyValues", () => {
  it("aligns values after the longest key", () => {
    expect(
      renderKeyValues([
        ["Name", "a"],
        ["Mesh IP", "b"],
      ]),
    ).toBe("Name:    a\nMesh IP: b\n");
  });
});

describe("formatAge", () => {
  it("covers never, seconds, minutes, hours, days and garbage", () => {
    expect(formatAge(null, NOW)).toBe("-");
    expect(formatAge("2026-01-01T12:00:00Z", NOW)).toBe("just now");
    expect(formatAge("2026-01-01T11:59:18Z", NOW)).toBe("42s ago");
    expect(formatAge("2026-01-01T11:55:00Z", NOW)).toBe("5m ago");
    expect(formatAge("2026-01-01T09:00:00Z", NOW)).toBe("3h ago");
    expect(formatAge("2025-12-28T12:00:00Z", NOW)).toBe("4d ago");
    expect(formatAge("not a date", NOW)).toBe("not a date");
  });
});

describe("formatBytes", () => {
  it("uses binary units", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(5 * 1024 * 1024)).toBe("5.0 MiB");
  });
});

describe("renderClusterList", () => {
  it("prints the agreed columns, one row per cluster", () => {
    const online = cluster({
      name: "prod",
      displayName: "Production",
      local: true,
      meshIp: "100.64.0.1",
      status: {
        ...cluster().status,
        phase: "Initialized",
        online: true,
        lastSeen: "2026-01-01T11:59:50Z",
        agentVersion: "0.1.0",
        peers: [peer("a", "direct"), peer("b", "relay"), peer("c", "direct")],
      },
    });
    // Offline with a last report: its paths are not current, so they are not shown.
    const offline = cluster({ status: { ...cluster().status, peers: [peer("prod", "direct")] } });
    const text = renderClusterList([online, offline], NOW);
    expect(text).toBe(
      [
        "NAME      DISPLAY NAME   LOCAL   PHASE         ONLINE   LAST SEEN   VERSION   MESH IP      PATHS",
        "prod      Production     yes     Initialized   yes      10s ago     0.1.0     100.64.0.1   2 direct, 1 relay",
        "staging   Staging        -       -             no       -           -         100.64.0.2   -",
        "",
      ].join("\n"),
    );
  });

  it("shows a revoked cluster's reason beside its Failed phase", () => {
    const revoked = cluster({
      status: { ...cluster().status, phase: "Failed", reason: "CredentialRevoked", message: "..." },
    });
    expect(renderClusterList([revoked], NOW)).toBe(
      [
        "NAME      DISPLAY NAME   LOCAL   PHASE                        ONLINE   LAST SEEN   VERSION   MESH IP      PATHS",
        "staging   Staging        -       Failed (CredentialRevoked)   no       -           -         100.64.0.2   -",
        "",
      ].join("\n"),
    );
  });

  it("says how to add one when there are none", () => {
    expect(renderClusterList([], NOW)).toContain("tether cluster add");
  });
});

describe("renderCluster", () => {
  it("shows the paths and the values the agent applied and rejected", () => {
    const text = renderCluster(
      cluster({
        status: {
          ...cluster().status,
          online: true,
          peers: [peer("prod", "relay")],
          values: {
            applied: ["mtu", "expose.0"],
            rejected: [{ path: "relay.mode", message: "must be one of auto, always, never" }],
            revision: "r1",
            reportedAt: "2026-01-01T11:59:00Z",
          },
        },
      }),
      NOW,
    );
    expect(text).toContain(`${"Paths:".padEnd(16)} 1 relay\n`);
    expect(text).toContain(`${"Values applied:".padEnd(16)} mtu, expose.0\n`);
    expect(text).toContain(
      `${"Values rejected:".padEnd(16)} relay.mode: must be one of auto, always, never\n`,
    );
  });

  it("shows fields, annotations as indented YAML, and the peer table", () => {
    const text = renderCluster(
      cluster({
        annotations: { "loft.sh/agent-values": "logLevel: debug\nmtu: 1280\n" },
        status: {
          ...cluster().status,
          peers: [
            {
              cluster: "prod",
              path: "direct",
              endpoint: "192.0.2.1:51820",
              rttMs: 3,
              rxBytes: 2048,
              txBytes: 10,
              lastHandshakeAgeSeconds: 12,
            },
          ],
        },
      }),
      NOW,
    );
    expect(text).toContain(`${"Name:".padEnd(16)} staging\n`);
    expect(text).toContain(`${"Mesh IP:".padEnd(16)} 100.64.0.2\n`);
    // Offline: the last report's paths are not current.
    expect(text).toContain(`${"Paths:".padEnd(16)} -\n`);
    expect(text).toContain(`${"Values applied:".padEnd(16)} -\n`);
    expect(text).toContain("  loft.sh/agent-values: |\n    logLevel: debug\n    mtu: 1280\n");
    expect(text).toContain("Peers:\n  CLUSTER   PATH     ENDPOINT");
    expect(text).toContain("prod      direct   192.0.2.1:51820   3 ms   2.0 KiB   10 B   12s ago");
  });
});

describe("renderConditions", () => {
  it("prints each condition with its reason and age, under a heading", () => {
    const now = Date.parse("2026-01-01T10:05:00.000Z");
    const text = renderConditions(
      [
        {
          type: "AgentOffline",
          status: "True",
          reason: "NoSignOfLife",
          message: "The agent was last seen 2026-01-01T10:00:00.000Z.",
          lastTransitionTime: "2026-01-01T10:00:00.000Z",
        },
        {
          type: "DuplicateCluster",
          status: "False",
          reason: "NoConflict",
          message: "",
          lastTransitionTime: "2026-01-01T09:00:00.000Z",
        },
      ],
      now,
    );
    expect(text).toBe(
      [
        "Conditions:",
        "  TYPE               STATUS   REASON         SINCE     MESSAGE",
        "  AgentOffline       True     NoSignOfLife   5m ago    The agent was last seen 2026-01-01T10:00:00.000Z.",
        "  DuplicateCluster   False    NoConflict     65m ago   -",
        "",
      ].join("\n"),
    );
    expect(renderConditions([], now)).toBe("");
  });
});
