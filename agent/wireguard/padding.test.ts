import { describe, expect, it } from "vitest";
import { paddedLength } from "./padding.ts";

describe("paddedLength", () => {
  it("rounds up to 16 bytes below the MTU", () => {
    expect([0, 1, 15, 16, 17, 84, 1392].map((n) => paddedLength(n, 1420))).toEqual([
      0, 16, 16, 16, 32, 96, 1392,
    ]);
  });

  it("never pads past the MTU", () => {
    expect(paddedLength(1410, 1420)).toBe(1420);
    expect(paddedLength(1420, 1420)).toBe(1420);
    expect(paddedLength(1275, 1280)).toBe(1280);
  });

  it("pads a packet over the MTU as its last MTU-sized piece", () => {
    expect(paddedLength(1430, 1420)).toBe(1436);
    expect(paddedLength(2840, 1420)).toBe(2840);
    expect(paddedLength(2839, 1420)).toBe(2840);
  });
});
