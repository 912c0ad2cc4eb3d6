import { describe, expect, it } from "vitest";
import type { PeerStatus } from "../../../protocol/api.ts";
import { ago, bytes, pathSummary, rttSummary } from "./format.ts";

const NOW = Date.parse("2026-01-02T03:04:05.000Z");

function peer(cluster: string, path: PeerStatus["path"], rttMs: number | null): PeerStatus {
  return { cluster, path, endpoint: null, rttMs, rxBytes: 0, txBytes: 0, lastHandshakeAgeSeconds: null };
}

describe("ago", () => {
  it.each([
    [null, "never"],
    ["2026-01-02T03:04:05.000Z", "0 s ago"],
    ["2026-01-02T03:03:06.000Z", "59 s ago"],
    ["2026-01-02T03:03:05.000Z", "1 min ago"],
    ["2026-01-02T02:04:06.000Z", "59 min ago"],
    ["2026-01-01T03:04:06.000Z", "23 h ago"],
    ["2025-12-31T03:04:05.000Z", "2 d ago"],
    // A clock behind the platform's never shows negative ages.
    ["2026-01-02T03:05:05.000Z", "0 s ago"],
  ])("%j -> %j", (iso, expected) => {
    expect(ago(iso, NOW)).toBe(expected);
  });
});

describe("bytes", () => {
  it.each([
    [0, "0 B"],
    [1023, "1023 B"],
    [1024, "1.0 KiB"],
    [1536, "1.5 KiB"],
    [5 * 1024 ** 3, "5.0 GiB"],
    [3 * 1024 ** 5, "3072.0 TiB"],
  ])("%d -> %j", (n, expected) => {
    expect(bytes(n)).toBe(expected);
  });
});

describe("pathSummary", () => {
  it("says no peers for an empty report", () => {
    expect(pathSummary([])).toEqual({ text: "no peers", title: "" });
  });

  it("counts paths and lists each peer with its RTT in the title", () => {
    const peers = [
      peer("hub", "direct", 3),
      peer("eu", "relay", null),
      peer("us", "direct", 12),
      peer("ap", "none", null),
    ];
    expect(pathSummary(peers)).toEqual({
      text: "2 direct, 1 relay, 1 no path",
      title: "hub: direct (3 ms)\neu: relay\nus: direct (12 ms)\nap: none",
    });
  });
});

describe("rttSummary", () => {
  it("is null without a measured RTT", () => {
    expect(rttSummary([])).toBeNull();
    expect(rttSummary([peer("hub", "relay", null)])).toBeNull();
  });

  it("shows one RTT, or the range across peers, rounded", () => {
    expect(rttSummary([peer("hub", "direct", 2.6)])).toEqual({ text: "3 ms", min: 3 });
    expect(rttSummary([peer("a", "direct", 40), peer("b", "relay", null), peer("c", "relay", 3)])).toEqual({
      text: "3–40 ms",
      min: 3,
    });
  });
});
