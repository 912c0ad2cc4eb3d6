import { describe, expect, it } from "vitest";
import type { Cluster } from "../../protocol/api.ts";
import {
  formatAge,
  formatBytes,
  renderCluster,
  renderClusterList,
  renderConditions,
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
      conditions: [],
    },
    ...overrides,
  };
}

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
      meshIp: "100.64.0.1",
      status: {
        ...cluster().status,
        phase: "Initialized",
        online: true,
        lastSeen: "2026-01-01T11:59:50Z",
        agentVersion: "0.1.0",
      },
    });
    const text = renderClusterList([online, cluster()], NOW);
    expect(text).toBe(
      [
        "NAME      DISPLAY NAME   PHASE         ONLINE   LAST SEEN   VERSION   MESH IP",
        "prod      Production     Initialized   yes      10s ago     0.1.0     100.64.0.1",
        "staging   Staging        -             no       -           -         100.64.0.2",
        "",
      ].join("\n"),
    );
  });

  it("says how to add one when there are none", () => {
    expect(renderClusterList([], NOW)).toContain("tether cluster add");
  });
});

describe("renderCluster", () => {
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
    expect(text).toContain("Name:          staging\n");
    expect(text).toContain("Mesh IP:       100.64.0.2\n");
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
