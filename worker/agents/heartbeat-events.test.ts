import { describe, expect, it } from "vitest";
import type { PeerStatus } from "../../protocol/api.ts";
import { heartbeatEvents, MAX_PATH_EVENTS } from "./heartbeat-events.ts";

function peer(cluster: string, path: PeerStatus["path"]): PeerStatus {
  return {
    cluster,
    path,
    endpoint: null,
    rttMs: null,
    rxBytes: 0,
    txBytes: 0,
    lastHandshakeAgeSeconds: null,
  };
}

const t0 = 1_800_000_000_000;

describe("heartbeatEvents", () => {
  it("is empty while nothing changes", () => {
    const peers = [peer("a", "direct")];
    expect(heartbeatEvents({ lastSeen: t0, peers, values: null }, peers, undefined, t0 + 5_000)).toEqual([]);
  });

  it("records a peer that went away as a path to none, as a Warning", () => {
    const events = heartbeatEvents(
      { lastSeen: t0, peers: [peer("a", "relay")], values: null },
      [],
      undefined,
      t0 + 1,
    );
    expect(events).toEqual([
      {
        type: "Warning",
        reason: "PathChanged",
        message: "Peer a: relay -> none.",
        detail: { peer: "a", from: "relay", to: "none" },
      },
    ]);
  });

  it(`records at most ${MAX_PATH_EVENTS} path changes one by one and sums up the rest`, () => {
    const peers = Array.from({ length: MAX_PATH_EVENTS + 5 }, (_, i) => peer(`p${i}`, "direct"));
    const events = heartbeatEvents({ lastSeen: t0, peers: [], values: null }, peers, undefined, t0 + 1);
    expect(events).toHaveLength(MAX_PATH_EVENTS + 1);
    expect(events[MAX_PATH_EVENTS]).toEqual({
      type: "Normal",
      reason: "PathChanged",
      message: "5 more peer(s) changed path.",
      detail: { more: 5 },
    });
  });

  it("records the first report of values, then only a change of what was applied or rejected", () => {
    const report = { applied: ["mtu"], rejected: [], revision: "a" };
    const first = heartbeatEvents({ lastSeen: t0, peers: [], values: null }, [], report, t0 + 1);
    expect(first.map((e) => e.reason)).toEqual(["ValuesApplied"]);
    const stored = { applied: ["mtu"], rejected: [], revision: "a", reportedAt: "x" };
    // A new revision with the same outcome is not news.
    const same = heartbeatEvents(
      { lastSeen: t0, peers: [], values: stored },
      [],
      { ...report, revision: "b" },
      t0 + 2,
    );
    expect(same).toEqual([]);
  });
});
