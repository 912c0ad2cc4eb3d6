import { describe, expect, it } from "vitest";
import { RtoEstimator } from "./rto.ts";

describe("RtoEstimator", () => {
  it("starts at the initial RTO before any sample", () => {
    const e = new RtoEstimator(200, 60_000, 1000);
    expect(e.rto).toBe(1000);
    expect(e.srtt).toBeUndefined();
  });

  it("applies RFC 6298 formulas to the first and later samples", () => {
    const e = new RtoEstimator(1, 60_000, 1000);
    e.sample(100);
    expect(e.srtt).toBe(100);
    expect(e.rttvar).toBe(50);
    expect(e.rto).toBe(300);
    e.sample(200);
    expect(e.rttvar).toBe(0.75 * 50 + 0.25 * 100);
    expect(e.srtt).toBe(0.875 * 100 + 0.125 * 200);
    expect(e.rto).toBeCloseTo(112.5 + 4 * 62.5);
  });

  it("clamps to the minimum and maximum", () => {
    const e = new RtoEstimator(200, 60_000, 1000);
    e.sample(2);
    expect(e.rto).toBe(200);
    e.sample(100_000);
    expect(e.rto).toBe(60_000);
  });

  it("doubles on backoff up to the maximum and a new sample collapses the backoff", () => {
    const e = new RtoEstimator(200, 3000, 1000);
    e.backoff();
    expect(e.rto).toBe(2000);
    e.backoff();
    expect(e.rto).toBe(3000);
    e.sample(10);
    expect(e.rto).toBe(200);
  });
});
