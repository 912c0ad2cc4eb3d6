import { describe, expect, it } from "vitest";
import { RateLimiter } from "./rate-limiter.ts";

describe("RateLimiter", () => {
  it("allows a burst, then the refill rate, per key", () => {
    const r = new RateLimiter(20, 5);
    expect([1, 2, 3, 4, 5, 6].map(() => r.allow("h", 0))).toEqual([true, true, true, true, true, false]);
    expect(r.allow("other", 0)).toBe(true);
    expect(r.allow("h", 49)).toBe(false);
    expect(r.allow("h", 50)).toBe(true);
    expect(r.allow("h", 50)).toBe(false);
    expect([1, 2, 3, 4, 5, 6].map(() => r.allow("h", 10_000))).toEqual([true, true, true, true, true, false]);
  });

  it("forgets idle sources so the table stays bounded", () => {
    const r = new RateLimiter(20, 5);
    for (let i = 0; i < 100; i++) r.allow(`h${i}`, 0);
    expect(r.size).toBe(100);
    r.allow("late", 5_000);
    expect(r.size).toBe(1);
  });
});
