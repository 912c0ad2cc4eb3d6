import { describe, expect, it } from "vitest";
import type { Cluster, ClusterStatus, PeerStatus } from "../../../protocol/api.ts";
import {
  DEFAULT_QUERY,
  type ListQuery,
  listQueryString,
  matches,
  parseListQuery,
  sortClusters,
} from "./cluster-list-query.ts";

function peer(path: PeerStatus["path"], rttMs: number | null): PeerStatus {
  return {
    cluster: "hub",
    path,
    endpoint: null,
    rttMs,
    rxBytes: 0,
    txBytes: 0,
    lastHandshakeAgeSeconds: null,
  };
}

function cluster(name: string, displayName: string, status: Partial<ClusterStatus>): Cluster {
  return {
    name,
    displayName,
    description: `about ${name}`,
    annotations: {},
    local: false,
    meshIp: "100.64.0.2",
    createdAt: "2026-01-01T00:00:00.000Z",
    status: {
      phase: "Initialized",
      reason: "",
      message: "",
      online: true,
      lastSeen: "2026-01-02T00:00:00.000Z",
      agentVersion: "0.1.0",
      endpoints: [],
      peers: [],
      values: null,
      conditions: [],
      ...status,
    },
  };
}

const ITEMS = [
  cluster("bravo", "Bravo", { peers: [peer("direct", 12)], lastSeen: "2026-01-02T00:00:05.000Z" }),
  cluster("alpha", "Alpha EU", {
    online: false,
    peers: [peer("direct", 3)],
    lastSeen: "2026-01-01T00:00:00.000Z",
  }),
  cluster("charlie", "Charlie", { phase: "Failed", reason: "InvalidPSK", online: false, lastSeen: null }),
  cluster("delta", "Delta", { peers: [peer("relay", 40)], lastSeen: "2026-01-02T00:00:01.000Z" }),
];

const names = (q: Partial<ListQuery>) =>
  sortClusters(
    ITEMS.filter((c) => matches(c, { ...DEFAULT_QUERY, ...q })),
    { ...DEFAULT_QUERY, ...q },
  ).map((c) => c.name);

describe("the Clusters list query", () => {
  it("round-trips through the URL and leaves defaults out", () => {
    const q: ListQuery = { search: "eu west", state: "offline", sort: "rtt", descending: true };
    expect(listQueryString(q)).toBe("?q=eu+west&state=offline&sort=rtt&dir=desc");
    expect(parseListQuery(listQueryString(q))).toEqual(q);
    expect(listQueryString(DEFAULT_QUERY)).toBe("");
  });

  it("falls back to the defaults for unknown values", () => {
    expect(parseListQuery("?state=sleepy&sort=colour&dir=up")).toEqual(DEFAULT_QUERY);
  });

  it("sorts by display name, state (failures first), last seen (newest first) and RTT (unknown last)", () => {
    expect(names({})).toEqual(["alpha", "bravo", "charlie", "delta"]);
    expect(names({ descending: true })).toEqual(["delta", "charlie", "bravo", "alpha"]);
    expect(names({ sort: "state" })).toEqual(["charlie", "alpha", "delta", "bravo"]);
    expect(names({ sort: "lastSeen" })).toEqual(["bravo", "delta", "alpha", "charlie"]);
    expect(names({ sort: "rtt" })).toEqual(["alpha", "bravo", "delta", "charlie"]);
  });

  it("filters by state and searches names, display names, descriptions and mesh IPs", () => {
    expect(names({ state: "degraded" })).toEqual(["delta"]);
    expect(names({ state: "failed" })).toEqual(["charlie"]);
    expect(names({ search: " eu" })).toEqual(["alpha"]);
    expect(names({ search: "ABOUT BR" })).toEqual(["bravo"]);
    expect(names({ search: "100.64.0.2", state: "connected" })).toEqual(["bravo"]);
    expect(names({ search: "nothing like it" })).toEqual([]);
  });
});
