import { describe, expect, it } from "vitest";
import { isUsefulSackBlock, SackScoreboard } from "./sack-scoreboard.ts";

describe("SackScoreboard", () => {
  it("merges overlapping and touching blocks and keeps them sorted", () => {
    const s = new SackScoreboard();
    s.add(300, 400, 100, 1000);
    s.add(150, 200, 100, 1000);
    s.add(200, 250, 100, 1000);
    s.add(350, 500, 100, 1000);
    expect(s.toArray()).toEqual([
      [150, 250],
      [300, 500],
    ]);
    expect(s.sackedBytes).toBe(300);
    expect(s.highest).toBe(500);
    s.add(240, 310, 100, 1000);
    expect(s.toArray()).toEqual([[150, 500]]);
  });

  it("clamps blocks to what was sent and ignores nonsense", () => {
    const s = new SackScoreboard();
    s.add(50, 120, 100, 1000);
    s.add(900, 5000, 100, 1000);
    s.add(600, 500, 100, 1000);
    s.add(2000, 3000, 100, 1000);
    expect(s.toArray()).toEqual([
      [100, 120],
      [900, 1000],
    ]);
  });

  it("finds holes and covered ranges", () => {
    const s = new SackScoreboard();
    s.add(200, 300, 100, 1000);
    s.add(400, 500, 100, 1000);
    expect(s.nextHole(100)).toBe(100);
    expect(s.nextHole(200)).toBe(300);
    expect(s.nextHole(450)).toBeUndefined();
    expect(s.coveredUntil(250)).toBe(300);
    expect(s.coveredUntil(350)).toBeUndefined();
    expect(s.nextStartAfter(300)).toBe(400);
    expect(s.nextStartAfter(450)).toBeUndefined();
  });

  it("drops what the cumulative ACK covers", () => {
    const s = new SackScoreboard();
    s.add(200, 300, 100, 1000);
    s.add(400, 500, 100, 1000);
    s.advance(250);
    expect(s.toArray()).toEqual([
      [250, 300],
      [400, 500],
    ]);
    s.advance(500);
    expect(s.isEmpty).toBe(true);
  });

  it("works across the sequence wrap and caps the number of ranges", () => {
    const s = new SackScoreboard(2);
    const base = 0xffffff00;
    s.add(base + 0x80, 0x10, base, 0x1000);
    expect(s.toArray()).toEqual([[base + 0x80, 0x10]]);
    s.add(0x20, 0x30, base, 0x1000);
    s.add(0x40, 0x50, base, 0x1000);
    expect(s.rangeCount).toBe(2);
    expect(s.highest).toBe(0x30);
  });

  it("tells useful blocks from D-SACKs and inverted ones", () => {
    expect(isUsefulSackBlock(200, 300, 100)).toBe(true);
    expect(isUsefulSackBlock(50, 90, 100)).toBe(false);
    expect(isUsefulSackBlock(300, 200, 100)).toBe(false);
  });
});
