import { describe, expect, it } from "vitest";
import type { HeartbeatRequest } from "../../protocol/api.ts";
import { RTT_REPORT_MIN_MS, STATUS_REFRESH_MS, statusDue, statusKey } from "./status-report.ts";

const base: HeartbeatRequest = {
  version: "0.1.0",
  endpoints: ["192.0.2.1:51820"],
  listenPort: 51820,
  peers: [
    {
      cluster: "hub",
      path: "direct",
      endpoint: "192.0.2.9:51820",
      rttMs: 3,
      rxBytes: 10,
      txBytes: 10,
      lastHandshakeAgeSeconds: 4,
    },
  ],
};

describe("status reports", () => {
  it("are due at once when a path or endpoint moves", () => {
    const key = statusKey(base);
    expect(statusDue(key, 0, base, 1_000)).toBe(false);
    expect(statusDue(key, 0, { ...base, endpoints: ["192.0.2.2:51820"] }, 1_000)).toBe(true);
    const relayed = { ...base, peers: base.peers.map((p) => ({ ...p, path: "relay" as const })) };
    expect(statusDue(key, 0, relayed, 1_000)).toBe(true);
    expect(statusDue(null, 0, base, 1_000)).toBe(true);
  });

  it("wait for the refresh interval when only counters or RTT jitter move", () => {
    const busy = { ...base, peers: base.peers.map((p) => ({ ...p, rxBytes: 999, rttMs: 3.4 })) };
    const key = statusKey(base);
    expect(statusDue(key, 0, busy, STATUS_REFRESH_MS - 1)).toBe(false);
    expect(statusDue(key, 0, busy, STATUS_REFRESH_MS)).toBe(true);
  });

  it("send a first RTT at once, and an RTT that doubled or halved at most once a minute", () => {
    const withRtt = (rttMs: number | null): HeartbeatRequest => ({
      ...base,
      peers: base.peers.map((p) => ({ ...p, rttMs })),
    });
    const none = statusKey(withRtt(null));
    expect(statusDue(none, 0, withRtt(3), 1_000)).toBe(true);
    const key = statusKey(withRtt(3));
    expect(statusDue(key, 0, withRtt(40), RTT_REPORT_MIN_MS - 1)).toBe(false);
    expect(statusDue(key, 0, withRtt(40), RTT_REPORT_MIN_MS)).toBe(true);
  });
});
