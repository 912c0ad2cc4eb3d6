import { describe, expect, it } from "vitest";
import { RackState } from "./rack.ts";

describe("RACK's reordering window (RFC 8985 §6.2 step 4)", () => {
  it("is min_RTT / 4 normally, and zero in recovery or past three SACKed segments until reordering is seen", () => {
    const r = new RackState();
    r.update(0, 1000, 8); // an 8 ms RTT sample
    expect(r.minRttMs).toBe(8);
    expect(r.reoWnd(false, 0, 20)).toBe(2);
    expect(r.reoWnd(true, 0, 20)).toBe(0);
    expect(r.reoWnd(false, 3, 20)).toBe(0);
    r.reorderingSeen = true;
    expect(r.reoWnd(true, 5, 20)).toBe(2);
  });

  it("widens on a D-SACK at most once per round trip, up to SRTT", () => {
    const r = new RackState();
    r.update(0, 1000, 8);
    r.onDsack(100, 500); // round ends when SND.UNA passes 500
    expect(r.reorderingSeen).toBe(true);
    expect(r.reoWnd(false, 0, 100)).toBe(4);
    r.onDsack(200, 600); // same round: no change
    expect(r.reoWnd(false, 0, 100)).toBe(4);
    r.onDsack(500, 900); // next round
    expect(r.reoWnd(false, 0, 100)).toBe(8);
    for (let una = 900; una < 20_000; una += 1000) r.onDsack(una, una + 1000);
    expect(r.reoWnd(false, 0, 30)).toBe(30);
  });

  it("falls back to min_RTT / 4 after 16 recoveries without a D-SACK", () => {
    const r = new RackState();
    r.update(0, 1000, 8);
    r.onDsack(0, 100);
    expect(r.reoWnd(false, 0, 100)).toBe(4);
    for (let i = 0; i < 15; i++) r.onRecoveryEnd();
    expect(r.reoWnd(false, 0, 100)).toBe(4);
    r.onRecoveryEnd();
    expect(r.reoWnd(false, 0, 100)).toBe(2);
  });

  it("keeps the most recently sent delivered segment and the minimum RTT", () => {
    const r = new RackState();
    r.update(10, 2000, 30);
    r.update(5, 1000, 31); // sent earlier: not the latest, but its RTT (26) is a new minimum
    expect(r.xmitTs).toBe(10);
    expect(r.endSeq).toBe(2000);
    expect(r.rttMs).toBe(20);
    expect(r.minRttMs).toBe(20);
    r.update(12, 3000, 40);
    expect(r.rttMs).toBe(28);
    expect(r.minRttMs).toBe(20);
  });
});
